/// The policy chosen at boot (`policy=seed`, `policy=balanced` or
/// `policy=load` on the image's command line) or at the console, dispatched
/// by `switch` because Embedded Swift has no existentials.
///
/// The policies are held side by side rather than as enum payloads so that
/// the chosen one is updated in place: the balanced policy carries a 17 KiB
/// `RoutingIndex`, and taking it out of an enum and back would copy it twice
/// per rebalance. The load policy carries about 55 KiB (its rates and
/// placement), more than fits a 64 KiB CPU stack beside anything else: a
/// selection lives in static storage (the kernel's routing lock), is never
/// copied, and `select` resets it in place.
public struct PolicySelection: SelectablePolicy {
    /// The policy in use.
    public var kind: RebalancePolicyKind
    /// The seed policy's state (its cursor), used when `kind == .seed`.
    public var seed: SeedPolicy
    /// The balanced policy's state, used when `kind == .balanced`.
    public var balanced: BalancedPolicy
    /// The load policy's state (its rates), used when `kind == .load`.
    public var load: LoadPolicy

    /// A fresh policy of `kind`.
    ///
    /// Also how the policy is switched at run time (`policy seed` at the
    /// console): nothing of the old policy carries over, and the state the
    /// descriptors are in is one the new policy's rules cover as it is, so
    /// no interrupt needs moving at the switch:
    /// - to `.balanced`: its index starts empty, so its first event recounts
    ///   the table, broken affinities included (`affinityBroken`, which the
    ///   seed policy's set-affinity clears and an end of interrupt sets);
    ///   its way down moves whatever is routed to the dying CPU, wherever
    ///   the mask says.
    /// - to `.load`: its rates start at zero (the next epoch measures);
    ///   every event takes the routing as it is, broken affinities
    ///   included, and its way down moves only what the dying CPU holds.
    /// - to `.seed`: its way down also moves an interrupt routed to the
    ///   dying CPU outside its mask, as the balanced policy leaves one whose
    ///   affinity it broke (see `SeedPolicy`); its cursor starts at 0.
    public init(_ kind: RebalancePolicyKind) {
        self.kind = kind
        seed = SeedPolicy()
        balanced = BalancedPolicy()
        load = LoadPolicy()
    }

    public mutating func rebalance<Store: DescriptorStore, Router: InterruptRouter>(
        from cpu: LogicalCPU,
        up: Bool,
        online: CPUMask,
        store: Store,
        router: inout Router
    ) -> RebalanceOutcome {
        switch kind {
        case .seed:
            return seed.rebalance(from: cpu, up: up, online: online, store: store, router: &router)
        case .balanced:
            return balanced.rebalance(from: cpu, up: up, online: online, store: store, router: &router)
        case .load:
            return load.rebalance(from: cpu, up: up, online: online, store: store, router: &router)
        }
    }

    public mutating func noteExternalRoutingChange() {
        seed.noteExternalRoutingChange()
        balanced.noteExternalRoutingChange()
    }

    /// The balanced policy, the default.
    public init() {
        self.init(.balanced)
    }

    public var inForce: RebalancePolicyKind? { kind }

    /// A fresh policy of `kind`, as `init(_:)` describes; always true.
    /// Field by field, in place: assigning a whole new selection would
    /// build it on the stack first (see the type's comment).
    public mutating func select(_ kind: RebalancePolicyKind) -> Bool {
        self.kind = kind
        seed = SeedPolicy()
        balanced = BalancedPolicy()
        load.reset()
        return true
    }

    public var seedCursor: Int? {
        kind == .seed ? seed.cpuNext : nil
    }

    public var measuresLoad: Bool { kind == .load }

    public mutating func recordHandled(_ handled: UInt32, at position: Int) {
        guard kind == .load else { return }
        load.rates.record(handled, at: position)
    }

    public mutating func endEpoch<Store: DescriptorStore, Router: InterruptRouter>(
        online: CPUMask,
        store: Store,
        router: inout Router
    ) -> RebalanceOutcome {
        guard kind == .load else { return .none }
        return load.endEpoch(online: online, store: store, router: &router)
    }
}

