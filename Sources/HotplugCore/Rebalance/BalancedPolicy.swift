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
/// once). Cost: one counting pass over the table, then moving passes that
/// stop as soon as nothing is left to move: two passes at most on the way
/// down; on the way up a restoring pass only when something is broken, one
/// or two balancing passes, and the gap-narrowing pass only when masks
/// prevent balance. Each move costs a walk of the candidate CPUs.
public struct BalancedPolicy: RebalancePolicy {
    /// The per-CPU counts as of the end of the last rebalance.
    public private(set) var load: CPULoad

    public init() {
        load = CPULoad()
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
        return up
            ? rebalanceUp(newCPU: cpu, online: online, store: store, router: &router)
            : rebalanceDown(dyingCPU: cpu, online: online, store: store, router: &router)
    }

    /// Whether a rebalance may move `descriptor` (both policies skip the
    /// move-pending ones, as the patch does).
    @inline(__always)
    private static func isEligible(_ descriptor: InterruptDescriptor) -> Bool {
        descriptor.isMovable && !descriptor.status.contains(.movePending)
    }

    /// Routes `descriptor` to `target` and keeps `load` current.
    private mutating func move<Router: InterruptRouter>(
        _ descriptor: inout InterruptDescriptor,
        to target: LogicalCPU,
        router: inout Router
    ) -> AffinityChange {
        if let source = descriptor.effectiveTarget {
            load.remove(source)
        }
        load.add(target)
        return AffinitySetting.retarget(&descriptor, to: target, router: &router)
    }

    // MARK: Down

    private mutating func rebalanceDown<Store: DescriptorStore, Router: InterruptRouter>(
        dyingCPU: LogicalCPU,
        online: CPUMask,
        store: Store,
        router: inout Router
    ) -> RebalanceOutcome {
        var outcome = RebalanceOutcome.none

        // Pass 1: count, and find how many descriptors must leave.
        load.reset()
        var leaving = 0
        for index in 0 ..< store.count {
            let descriptor = store.withDescriptor(at: index) { $0 }
            load.account(descriptor)
            if BalancedPolicy.isEligible(descriptor) && descriptor.effectiveTarget == dyingCPU {
                leaving += 1
            }
        }
        outcome.descriptorsExamined += store.count

        // Pass 2: move them, stopping after the last one.
        var index = 0
        while leaving > 0 && index < store.count {
            outcome.descriptorsExamined += 1
            let (change, broken) = store.withDescriptor(at: index) { descriptor -> (AffinityChange, Bool) in
                guard BalancedPolicy.isEligible(descriptor), descriptor.effectiveTarget == dyingCPU else {
                    return (.unchanged, false)
                }
                leaving -= 1
                let wasBroken = descriptor.affinityBroken
                let inMask = descriptor.requestedAffinity.intersection(online)
                if let target = load.leastLoadedInPlace(in: inMask) {
                    descriptor.affinityBroken = false
                    return (move(&descriptor, to: target, router: &router), false)
                }
                // Never nil: `online` is not empty.
                let target = load.leastLoadedInPlace(in: online)!
                descriptor.affinityBroken = true
                let change = move(&descriptor, to: target, router: &router)
                return (change, !wasBroken)
            }
            outcome.record(change)
            if broken {
                outcome.brokenAffinities += 1
            }
            index += 1
        }
        return outcome
    }

    // MARK: Up

    private mutating func rebalanceUp<Store: DescriptorStore, Router: InterruptRouter>(
        newCPU: LogicalCPU,
        online: CPUMask,
        store: Store,
        router: inout Router
    ) -> RebalanceOutcome {
        var outcome = RebalanceOutcome.none

        // Pass 1: count, and find the broken affinities that can be restored.
        load.reset()
        var restorable = 0
        for index in 0 ..< store.count {
            let descriptor = store.withDescriptor(at: index) { $0 }
            load.account(descriptor)
            if BalancedPolicy.isEligible(descriptor) && descriptor.affinityBroken
                && !descriptor.requestedAffinity.isDisjoint(with: online) {
                restorable += 1
            }
        }
        outcome.descriptorsExamined += store.count

        // Pass 2: restore them, each to the least loaded CPU of its mask.
        var index = 0
        while restorable > 0 && index < store.count {
            outcome.descriptorsExamined += 1
            let change = store.withDescriptor(at: index) { descriptor -> AffinityChange in
                guard BalancedPolicy.isEligible(descriptor), descriptor.affinityBroken,
                      let target = load.leastLoadedInPlace(in: descriptor.requestedAffinity.intersection(online)) else {
                    return .unchanged
                }
                restorable -= 1
                descriptor.affinityBroken = false
                return move(&descriptor, to: target, router: &router)
            }
            if change != .unchanged {
                outcome.record(change)
                outcome.restoredAffinities += 1
            }
            index += 1
        }

        // Passes 3 and 4: the fewest moves to balance, preferring descriptors
        // whose mask contains the new CPU. A descriptor moves only if that
        // lowers the number of moves still needed (`LoadImbalance`), so there
        // are never more moves than the minimum. With all-CPU masks the
        // destination is the least loaded CPU overall, and one pass in INTID
        // order suffices: a CPU at q + 2 or more always sheds the descriptor
        // visited (the least count is at most q); a CPU that receives ends
        // within one of the least count; and a descriptor left on a CPU at
        // q + 1 because no more than r CPUs were above q stays unneeded, as
        // that number cannot grow while some CPU is below q. The random
        // sequences of `RebalanceBalancedPolicyTests` check the outcome.
        var imbalance = LoadImbalance(load: &load, online: online)
        for pass in 0 ..< 2 where imbalance.movesNeeded > 0 {
            let preferNewCPU = pass == 0
            var index = 0
            while imbalance.movesNeeded > 0 && index < store.count {
                outcome.descriptorsExamined += 1
                let change = store.withDescriptor(at: index) { descriptor -> AffinityChange in
                    guard BalancedPolicy.isEligible(descriptor),
                          !preferNewCPU || descriptor.requestedAffinity.contains(newCPU),
                          let source = descriptor.effectiveTarget, online.contains(source),
                          let target = load.leastLoadedInPlace(in: descriptor.requestedAffinity.intersection(online)),
                          target != source else {
                        return .unchanged
                    }
                    let sourceCount = load.count(of: source)
                    let targetCount = load.count(of: target)
                    guard imbalance.movesNeeded(afterMovingFrom: sourceCount, to: targetCount) < imbalance.movesNeeded else {
                        return .unchanged
                    }
                    imbalance.noteMove(from: sourceCount, to: targetCount)
                    return move(&descriptor, to: target, router: &router)
                }
                outcome.record(change)
                index += 1
            }
        }

        // Pass 5, only when masks kept the counts apart: narrow local gaps.
        if imbalance.movesNeeded > 0 {
            for index in 0 ..< store.count {
                outcome.descriptorsExamined += 1
                let change = store.withDescriptor(at: index) { descriptor -> AffinityChange in
                    guard BalancedPolicy.isEligible(descriptor),
                          let source = descriptor.effectiveTarget, online.contains(source),
                          let target = load.leastLoadedInPlace(in: descriptor.requestedAffinity.intersection(online)),
                          load.count(of: target) + 2 <= load.count(of: source) else {
                        return .unchanged
                    }
                    return move(&descriptor, to: target, router: &router)
                }
                outcome.record(change)
            }
        }
        return outcome
    }
}
