/// Placement by measured load (issue 15, `POLICY=load` once wired in):
/// keeps the busiest CPU's handled rate low, within requested masks, with a
/// move budget per epoch and hysteresis; the decisions are
/// `RatePlacement`'s, on the rates of `rates`.
///
/// - Down (a CPU going offline): only what the dying CPU held moves, in
///   descending rate (ties INTID), each to the least loaded online CPU of
///   its mask by rate, else the least loaded online CPU, marked broken.
/// - Up, and at each epoch end (`endEpoch`): interrupts routed nowhere or
///   to an offline CPU are placed, broken affinities whose mask has an
///   online CPU again are restored, then the load moves of
///   `RatePlacement.rebalanceEpoch` within `settings`.
///
/// Every event starts with one pass over the table (each descriptor read
/// under its lock) that takes the routing as it is, so routes changed
/// elsewhere need no notice; each move is a second visit, under the lock
/// again, that routes through `AffinitySetting.retarget` (deferred to end
/// of interrupt when the handler runs) and skips a descriptor that became
/// ineligible in between. Descriptors with a move pending count on their
/// pending CPU and are not moved, as in the other policies, except that on
/// the way down a move pending to the dying CPU is re-aimed (no write), as
/// `BalancedPolicy` does. Descriptors not ours (no handler, guest-bound)
/// count nowhere and are never written.
///
/// The rates are the kernel's to feed (`rates.record` from its per-CPU
/// counters); a position is a store index. Fixed storage (about 50 KiB with
/// the rates, so keep it in static storage, not on a stack); no allocation;
/// an event's locals stay small (the rates are lent, not copied).
public struct LoadPolicy: RebalancePolicy {
    /// The measured rates, one per store index.
    public var rates: InterruptRates
    /// Budget and hysteresis.
    public var settings: LoadPlacementSettings
    /// Where each interrupt is, as of the last event.
    public private(set) var placement: RatePlacement

    /// The kernel's smoothing: none, each epoch's rates are its own counts.
    /// The goal asks for a balanced busiest CPU within two epochs of a load
    /// shift; an average that keeps half of the old rates after the first
    /// close placed a Zipf storm's shift 16% above the bound in its second
    /// epoch and chased the average with moves for two more (`load-storm`,
    /// -smp 4). Noise between epochs is the hysteresis's to absorb.
    public static let defaultSmoothingShift = 0

    public init(count: Int = InterruptRates.capacity, smoothingShift: Int = LoadPolicy.defaultSmoothingShift,
                settings: LoadPlacementSettings = LoadPlacementSettings()) {
        rates = InterruptRates(count: count, smoothingShift: smoothingShift)
        self.settings = settings
        placement = RatePlacement()
    }

    /// Forgets every measured rate, in place (see `InterruptRates.reset`).
    /// The placement needs no reset: every event first takes the routing
    /// of every descriptor as it is (`synchronise`) and recounts its totals.
    public mutating func reset() {
        rates.reset()
    }

    public mutating func rebalance<Store: DescriptorStore, Router: InterruptRouter>(
        from cpu: LogicalCPU,
        up: Bool,
        online: CPUMask,
        store: Store,
        router: inout Router
    ) -> RebalanceOutcome {
        guard !online.isEmpty else { return .none }
        var outcome = RebalanceOutcome.none
        var input = synchronise(with: store, dying: up ? nil : cpu, outcome: &outcome)
        if up {
            placement.rebalanceEpoch(&input, rates: &rates, online: online, settings: settings) {
                LoadPolicy.apply($0, in: store, router: &router, outcome: &outcome)
            }
        } else {
            placement.evacuate(cpu, &input, rates: &rates, online: online) {
                LoadPolicy.apply($0, in: store, router: &router, outcome: &outcome)
            }
        }
        return outcome
    }

    /// Closes the rates' epoch, then re-places as on a CPU coming online.
    /// An epoch in which nothing was handled is not folded in: it measured
    /// nothing (a close right after another, such as a hotplug operation's
    /// just after the timer's), and with no smoothing it would wipe every
    /// rate just before the event that needs them.
    /// Calling context: as for `rebalance` (the routing lock held, never on
    /// a dying CPU's path).
    public mutating func endEpoch<Store: DescriptorStore, Router: InterruptRouter>(
        online: CPUMask,
        store: Store,
        router: inout Router
    ) -> RebalanceOutcome {
        if rates.measuredThisEpoch { rates.closeEpoch() }
        guard let any = online.first else { return .none }
        return rebalance(from: any, up: true, online: online, store: store, router: &router)
    }

    /// Takes the routing of every descriptor as it is: where it is (its
    /// pending CPU when a move is pending), whether it is broken, whether
    /// the placement may move it: movable with no move pending, or, on the
    /// way down, with a move pending to the dying CPU (re-aimed as in
    /// `BalancedPolicy`, so that no pending move points at an offline CPU).
    /// Returns the placement's view of the store.
    private mutating func synchronise<Store: DescriptorStore>(
        with store: Store,
        dying: LogicalCPU?,
        outcome: inout RebalanceOutcome
    ) -> StoreLoadInput<Store> {
        var input = StoreLoadInput(store: store, count: Swift.min(store.count, rates.count))
        for position in 0 ..< input.count {
            let (state, eligible) = store.withDescriptor(at: position) { descriptor in
                let pending = descriptor.status.contains(.movePending)
                let reaim = pending && dying != nil && descriptor.deferredTarget == dying
                return (RoutingState(descriptor), descriptor.isMovable && (!pending || reaim))
            }
            placement.setTarget(of: position, to: state.destination, broken: state.affinityBroken)
            input.setMovable(position, eligible)
        }
        outcome.descriptorsExamined += input.count
        return input
    }

    /// Carries one move out on its descriptor, under its lock: routes it to
    /// `move.to` (or defers that to end of interrupt) if it is still where
    /// the event's first pass found it and still eligible, and sets or
    /// clears `affinityBroken` as the placement decided. A pending move
    /// aimed at `move.from` (the dying CPU) is re-aimed, without a write.
    private static func apply<Store: DescriptorStore, Router: InterruptRouter>(
        _ move: LoadMove,
        in store: Store,
        router: inout Router,
        outcome: inout RebalanceOutcome
    ) {
        outcome.descriptorsExamined += 1
        let result: (change: AffinityChange, wasBroken: Bool)? = store.withDescriptor(at: move.position) { descriptor in
            guard descriptor.isMovable else { return nil }
            let wasBroken = descriptor.affinityBroken
            if descriptor.status.contains(.movePending) {
                guard descriptor.deferredTarget == move.from else { return nil }
                descriptor.deferredTarget = move.to
                descriptor.affinityBroken = move.broken
                return (.deferred(move.to), wasBroken)
            }
            guard descriptor.effectiveTarget == move.from else { return nil }
            descriptor.affinityBroken = move.broken
            return (AffinitySetting.retarget(&descriptor, to: move.to, router: &router), wasBroken)
        }
        guard let result else { return }
        outcome.record(result.change)
        if move.broken && !result.wasBroken {
            outcome.brokenAffinities += 1
        } else if !move.broken && result.wasBroken {
            outcome.restoredAffinities += 1
        }
    }
}

/// The placement's view of a descriptor store: masks read under each
/// descriptor's lock, eligibility as found by the event's first pass (the
/// rates come from the policy's `InterruptRates`, lent in place).
struct StoreLoadInput<Store: DescriptorStore>: LoadPlacementInput {
    let store: Store
    let count: Int
    /// One bit per position: movable and no move pending.
    private var movable: InlineArray<32, UInt64>

    init(store: Store, count: Int) {
        self.store = store
        self.count = Swift.min(count, RatePlacement.capacity)
        movable = InlineArray(repeating: 0)
    }

    mutating func setMovable(_ position: Int, _ value: Bool) {
        let bit = UInt64(1) << UInt64(position % 64)
        movable[position / 64] = value ? movable[position / 64] | bit : movable[position / 64] & ~bit
    }

    mutating func allowedCPUs(at position: Int) -> CPUMask {
        store.withDescriptor(at: position) { $0.requestedAffinity }
    }

    mutating func isMovable(at position: Int) -> Bool {
        movable[position / 64] & (UInt64(1) << UInt64(position % 64)) != 0
    }
}
