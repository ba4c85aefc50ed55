/// Our policy (`POLICY=balanced`, the default): move as little as possible,
/// keep requested masks, and keep per-CPU counts of movable descriptors
/// within one of each other.
///
/// - Down: only descriptors whose effective target is the dying CPU move,
///   each to the least loaded online CPU of its requested mask (lowest
///   number on a tie). The requested mask is kept. If no CPU of the mask is
///   online, the descriptor goes to the least loaded online CPU and its
///   affinity is marked broken.
/// - Up: first, broken affinities whose mask now has an online CPU are
///   restored (routed inside the mask again). Then the fewest descriptors
///   needed to bring the counts within one are moved, each from a CPU above
///   its fair share to the least loaded CPU of its mask; descriptors whose
///   mask contains the new CPU are taken first. With all-CPU masks one pass
///   reaches balance with exactly `RebalanceBounds.minimumMovesForOnline`
///   moves. When masks forbid the balanced state, a last pass still moves a
///   descriptor whenever the least loaded CPU of its mask has at least two
///   fewer than its own CPU.
///
/// Both directions skip descriptors that are not movable or have a move
/// pending, write nothing for descriptors that stay, and defer the move of
/// an in-progress descriptor to its end of interrupt (its count moves at
/// once). One exception on the way down: a pending move aimed at the dying
/// CPU (its handler running on another CPU) is re-aimed, still deferred and
/// without a write, at the CPU chosen as for a descriptor routed to the
/// dying CPU, so that no pending move points at an offline CPU between the
/// offline and the end of interrupt. The patch (and `SeedPolicy`) leaves it
/// aimed at the dead CPU until the end of interrupt picks another.
///
/// Cost: the policy keeps a `RoutingIndex` (per-CPU lists of movable
/// descriptors and their counts), so it visits only what it may move: on the
/// way down, the dying CPU's descriptors; on the way up, the broken ones
/// (only when there are any) and, per CPU above its share, its descriptors
/// until the CPU is down to its share — with all-CPU masks exactly the
/// descriptors that move. The gap-narrowing pass, run only when masks
/// prevent balance, visits every online CPU's descriptors. The least loaded
/// destination comes from a walk of the mask's online CPUs for the first
/// few moves of an event, then, when the mask holds every online CPU, from
/// a heap of them (built once per event in O(CPUs), O(log CPUs) per move). When the store's
/// `routingGeneration` says something else changed a route since the last
/// rebalance (or the store keeps none), the event starts with one recount of
/// the whole table; a descriptor found on a list where it no longer belongs
/// (a store whose generation missed a change) also causes one recount and a
/// second run of the event. Every visit is counted in `descriptorsExamined`.
public struct BalancedPolicy: RebalancePolicy {
    /// The per-CPU lists and counts, as of the end of the last rebalance.
    public private(set) var routingIndex: RoutingIndex

    /// How many times the policy has recounted the whole table: on first
    /// use, after routing changes made outside it, and after finding its
    /// lists out of date.
    public private(set) var rebuilds: Int

    /// The per-CPU counts of movable descriptors as of the end of the last
    /// rebalance (a move pending counts on its new CPU).
    public var load: CPULoad { routingIndex.load }

    public init() {
        routingIndex = RoutingIndex()
        rebuilds = 0
    }

    public mutating func rebalance<Store: DescriptorStore, Router: InterruptRouter>(
        from cpu: LogicalCPU,
        up: Bool,
        online: CPUMask,
        store: Store,
        router: inout Router
    ) -> RebalanceOutcome {
        if online.isEmpty {
            return .none
        }
        var outcome = RebalanceOutcome.none
        if !routingIndex.isCurrentInPlace(for: store) {
            rebuild(from: store, outcome: &outcome)
        }
        // A second run only if the first found the lists out of date.
        for run in 0 ..< 2 {
            routingIndex.trackLeastLoaded(among: online)
            let drifted = up
                ? rebalanceUp(newCPU: cpu, online: online, store: store, router: &router, outcome: &outcome)
                : rebalanceDown(dyingCPU: cpu, online: online, store: store, router: &router, outcome: &outcome)
            guard drifted && run == 0 else { break }
            rebuild(from: store, outcome: &outcome)
        }
        routingIndex.stopTrackingLeastLoaded()
        return outcome
    }

    /// The next rebalance recounts the whole table first.
    public mutating func noteExternalRoutingChange() {
        routingIndex.invalidate()
    }

    private mutating func rebuild<Store: DescriptorStore>(from store: Store, outcome: inout RebalanceOutcome) {
        routingIndex.rebuild(from: store)
        rebuilds += 1
        outcome.descriptorsExamined += store.count
    }

    /// What a visit did to one descriptor taken from the index.
    private enum Step {
        /// The index had it where its state says it is not: nothing done.
        case drifted
        /// Not moved.
        case skipped
        /// Routed (or its move deferred) to `to`; `broken` is its
        /// `affinityBroken` afterwards.
        case moved(AffinityChange, to: LogicalCPU, broken: Bool)
    }

    /// Runs `body` on descriptor `position` under its lock; says also
    /// whether that changed its routing state (one step of the store's
    /// generation). Static so that `body` may use the index.
    @inline(__always)
    private static func visit<Store: DescriptorStore>(
        _ position: Int,
        in store: Store,
        _ body: (inout InterruptDescriptor) -> Step
    ) -> (result: Step, changed: Bool) {
        store.withDescriptor(at: position) { descriptor in
            RoutingState.apply(body, to: &descriptor)
        }
    }

    /// Keeps the index in step with a visit: its generation follows the
    /// store's for a change the policy made, and a moved descriptor changes
    /// list. Returns what the visit did.
    @discardableResult
    private mutating func record(
        _ visited: (result: Step, changed: Bool),
        at position: Int,
        outcome: inout RebalanceOutcome
    ) -> Step {
        outcome.descriptorsExamined += 1
        if visited.changed {
            routingIndex.noteOwnChange()
        }
        if case .moved(let change, let target, let broken) = visited.result {
            routingIndex.relocate(position, to: target)
            routingIndex.setBroken(position, broken)
            outcome.record(change)
        }
        return visited.result
    }

    /// Whether a rebalance may move `descriptor` (both policies skip the
    /// move-pending ones, as the patch does).
    @inline(__always)
    private static func isEligible(_ descriptor: InterruptDescriptor) -> Bool {
        descriptor.isMovable && !descriptor.status.contains(.movePending)
    }

    // MARK: Down

    /// Whether `descriptor` has a pending move aimed at `dyingCPU`: deferred
    /// there while its handler ran on another CPU, not yet written. Left
    /// alone, it would point at an offline CPU until its end of interrupt.
    @inline(__always)
    private static func reaimsPendingMove(_ descriptor: InterruptDescriptor, dyingCPU: LogicalCPU) -> Bool {
        descriptor.isMovable && descriptor.status.contains(.movePending) && descriptor.deferredTarget == dyingCPU
    }

    /// Aims `descriptor`'s pending move at `cpu` instead. No router write:
    /// the handler is still running, and `AffinitySetting.completeDeferredMove`
    /// writes the route at its end of interrupt, as for any deferred move.
    ///
    /// - Precondition: the caller holds the descriptor's lock, `cpu` is online.
    @inline(__always)
    private static func reaimPendingMove(_ descriptor: inout InterruptDescriptor, to cpu: LogicalCPU) -> AffinityChange {
        descriptor.deferredTarget = cpu
        return .deferred(cpu)
    }

    /// Moves every eligible descriptor on the dying CPU's list, and re-aims
    /// every pending move aimed at it (`reaimsPendingMove`); returns whether a
    /// descriptor was found on the list that does not belong there.
    ///
    /// The destination is the same for both: the least loaded online CPU of
    /// the requested mask, else the least loaded online CPU with
    /// `affinityBroken` set.
    private mutating func rebalanceDown<Store: DescriptorStore, Router: InterruptRouter>(
        dyingCPU: LogicalCPU,
        online: CPUMask,
        store: Store,
        router: inout Router,
        outcome: inout RebalanceOutcome
    ) -> Bool {
        var drifted = false
        var cursor = routingIndex.first(on: dyingCPU)
        while let position = cursor {
            cursor = routingIndex.next(after: position)
            var newlyBroken = false
            let visited = BalancedPolicy.visit(position, in: store) { descriptor -> Step in
                guard RoutingState(descriptor).isListed(on: dyingCPU) else {
                    return .drifted
                }
                let reaim = BalancedPolicy.reaimsPendingMove(descriptor, dyingCPU: dyingCPU)
                guard reaim || BalancedPolicy.isEligible(descriptor) else {
                    return .skipped
                }
                let wasBroken = descriptor.affinityBroken
                let target: LogicalCPU
                if let inMask = routingIndex.leastLoaded(of: descriptor.requestedAffinity, online: online) {
                    target = inMask
                    descriptor.affinityBroken = false
                } else {
                    // Never nil: `online` is not empty.
                    target = routingIndex.leastLoaded(of: online, online: online)!
                    descriptor.affinityBroken = true
                    newlyBroken = !wasBroken
                }
                let change = reaim
                    ? BalancedPolicy.reaimPendingMove(&descriptor, to: target)
                    : AffinitySetting.retarget(&descriptor, to: target, router: &router)
                return .moved(change, to: target, broken: descriptor.affinityBroken)
            }
            let step = record(visited, at: position, outcome: &outcome)
            if case .drifted = step {
                drifted = true
            }
            if newlyBroken {
                outcome.brokenAffinities += 1
            }
        }
        return drifted
    }

    // MARK: Up

    /// Restores, then balances; returns whether a descriptor was found on a
    /// list (or in the broken set) where it does not belong.
    private mutating func rebalanceUp<Store: DescriptorStore, Router: InterruptRouter>(
        newCPU: LogicalCPU,
        online: CPUMask,
        store: Store,
        router: inout Router,
        outcome: inout RebalanceOutcome
    ) -> Bool {
        var drifted = false

        // Restore broken affinities, each to the least loaded CPU of its
        // mask; only the broken descriptors are visited.
        var word = 0
        while routingIndex.brokenCount > 0 && word < RoutingIndex.capacity / 64 {
            var bits = routingIndex.brokenWord(word)
            while bits != 0 {
                let position = word * 64 + bits.trailingZeroBitCount
                bits &= bits - 1
                let visited = BalancedPolicy.visit(position, in: store) { descriptor -> Step in
                    guard descriptor.isMovable, descriptor.affinityBroken,
                          routingIndex.list(of: position) == RoutingState(descriptor).destination else {
                        return .drifted
                    }
                    guard BalancedPolicy.isEligible(descriptor),
                          let target = routingIndex.leastLoaded(of: descriptor.requestedAffinity, online: online) else {
                        return .skipped
                    }
                    descriptor.affinityBroken = false
                    return .moved(AffinitySetting.retarget(&descriptor, to: target, router: &router), to: target, broken: false)
                }
                let step = record(visited, at: position, outcome: &outcome)
                switch step {
                case .drifted: drifted = true
                case .skipped: break
                case .moved: outcome.restoredAffinities += 1
                }
            }
            word += 1
        }

        // The fewest moves to balance, preferring descriptors whose mask
        // contains the new CPU. A descriptor moves only if that lowers the
        // number of moves still needed (`LoadImbalance`), so there are never
        // more moves than the minimum, and a CPU's list is walked only while
        // a move from it could still help (`mayShed`). With all-CPU masks
        // the destination is the least loaded CPU overall and one walk over
        // the CPUs suffices: a CPU at q + 2 or more always sheds the
        // descriptor visited (the least count is at most q); a CPU that
        // receives ends within one of the least count; and a CPU left at
        // q + 1 because no more than r CPUs were above q stays unneeded, as
        // that number cannot grow while some CPU is below q. The random
        // sequences of `RebalanceBalancedPolicyTests` check the outcome.
        var imbalance = routingIndex.imbalance(online: online)
        for pass in 0 ..< 2 where imbalance.movesNeeded > 0 {
            let preferNewCPU = pass == 0
            for source in online where imbalance.movesNeeded > 0 {
                var cursor = routingIndex.first(on: source)
                while let position = cursor, imbalance.movesNeeded > 0,
                      imbalance.mayShed(from: routingIndex.count(of: source)) {
                    cursor = routingIndex.next(after: position)
                    let visited = BalancedPolicy.visit(position, in: store) { descriptor -> Step in
                        guard RoutingState(descriptor).isListed(on: source) else {
                            return .drifted
                        }
                        guard BalancedPolicy.isEligible(descriptor),
                              !preferNewCPU || descriptor.requestedAffinity.contains(newCPU),
                              let target = routingIndex.leastLoaded(of: descriptor.requestedAffinity, online: online),
                              target != source else {
                            return .skipped
                        }
                        let sourceCount = routingIndex.count(of: source)
                        let targetCount = routingIndex.count(of: target)
                        guard imbalance.movesNeeded(afterMovingFrom: sourceCount, to: targetCount) < imbalance.movesNeeded else {
                            return .skipped
                        }
                        imbalance.noteMove(from: sourceCount, to: targetCount)
                        let change = AffinitySetting.retarget(&descriptor, to: target, router: &router)
                        return .moved(change, to: target, broken: descriptor.affinityBroken)
                    }
                    let step = record(visited, at: position, outcome: &outcome)
                    if case .drifted = step {
                        drifted = true
                    }
                }
            }
        }

        // Only when masks kept the counts apart: narrow local gaps, over
        // every online CPU's descriptors.
        if imbalance.movesNeeded > 0 {
            for source in online {
                var cursor = routingIndex.first(on: source)
                while let position = cursor {
                    cursor = routingIndex.next(after: position)
                    let visited = BalancedPolicy.visit(position, in: store) { descriptor -> Step in
                        guard RoutingState(descriptor).isListed(on: source) else {
                            return .drifted
                        }
                        guard BalancedPolicy.isEligible(descriptor),
                              let target = routingIndex.leastLoaded(of: descriptor.requestedAffinity, online: online),
                              routingIndex.count(of: target) + 2 <= routingIndex.count(of: source) else {
                            return .skipped
                        }
                        let change = AffinitySetting.retarget(&descriptor, to: target, router: &router)
                        return .moved(change, to: target, broken: descriptor.affinityBroken)
                    }
                    let step = record(visited, at: position, outcome: &outcome)
                    if case .drifted = step {
                        drifted = true
                    }
                }
            }
        }
        return drifted
    }
}
