/// The rebalance compiled out (`make HOTPLUG=0`): a policy that does
/// nothing, so that call sites stay free of conditional code. This is the
/// review's request for a `static inline` no-op `rebalance_irqs` beside the
/// real one. It has no policy to choose: `inForce` is nil and `select`
/// refuses.
public struct DisabledRebalance: SelectablePolicy {
    public init() {}

    /// Touches no descriptor and writes no router.
    @inline(__always)
    public mutating func rebalance<Store: DescriptorStore, Router: InterruptRouter>(
        from cpu: LogicalCPU,
        up: Bool,
        online: CPUMask,
        store: Store,
        router: inout Router
    ) -> RebalanceOutcome {
        .none
    }

    public var inForce: RebalancePolicyKind? { nil }

    public mutating func select(_ kind: RebalancePolicyKind) -> Bool { false }

    public var seedCursor: Int? { nil }

    public var measuresLoad: Bool { false }

    public mutating func recordHandled(_ handled: UInt32, at position: Int) {}

    public mutating func endEpoch<Store: DescriptorStore, Router: InterruptRouter>(
        online: CPUMask,
        store: Store,
        router: inout Router
    ) -> RebalanceOutcome {
        .none
    }
}
