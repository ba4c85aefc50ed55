/// The policy chosen at boot (`policy=seed` or `policy=balanced` on the
/// image's command line) or at the console, dispatched by `switch` because
/// Embedded Swift has no existentials.
///
/// Both policies are held side by side rather than as enum payloads so that
/// the chosen one is updated in place: the balanced policy carries a 17 KiB
/// `RoutingIndex`, and taking it out of an enum and back would copy it twice
/// per rebalance.
public struct PolicySelection: SelectablePolicy {
    /// The policy in use.
    public var kind: RebalancePolicyKind
    /// The seed policy's state (its cursor), used when `kind == .seed`.
    public var seed: SeedPolicy
    /// The balanced policy's state, used when `kind == .balanced`.
    public var balanced: BalancedPolicy

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
    /// - to `.seed`: its way down also moves an interrupt routed to the
    ///   dying CPU outside its mask, as the balanced policy leaves one whose
    ///   affinity it broke (see `SeedPolicy`); its cursor starts at 0.
    public init(_ kind: RebalancePolicyKind) {
        self.kind = kind
        seed = SeedPolicy()
        balanced = BalancedPolicy()
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
    public mutating func select(_ kind: RebalancePolicyKind) -> Bool {
        self = PolicySelection(kind)
        return true
    }

    public var seedCursor: Int? {
        kind == .seed ? seed.cpuNext : nil
    }
}

