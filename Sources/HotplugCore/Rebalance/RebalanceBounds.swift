/// The fewest route writes any policy could make for an event: what the
/// balanced policy must reach and what the benchmarks and QEMU checks
/// compare against. Both assume no descriptor is in progress (an in-progress
/// move is deferred, not written).
public enum RebalanceBounds {
    /// For CPU `dyingCPU` going offline: every movable descriptor without a
    /// pending move whose effective target is `dyingCPU` must move, each
    /// with one write; nothing else has to. Evaluated before the rebalance
    /// (one pass over `store`).
    public static func minimumMovesForOffline<Store: DescriptorStore>(from dyingCPU: LogicalCPU, store: Store) -> Int {
        var moves = 0
        for index in 0 ..< store.count {
            let leaves = store.withDescriptor(at: index) { descriptor in
                descriptor.isMovable && !descriptor.status.contains(.movePending)
                    && descriptor.effectiveTarget == dyingCPU
            }
            if leaves {
                moves += 1
            }
        }
        return moves
    }

    /// For a CPU coming online, with every requested mask containing every
    /// CPU: given the counts of movable descriptors on each online CPU (the
    /// new one included) before the rebalance, the fewest single moves after
    /// which the counts differ by at most one.
    ///
    /// With `T` descriptors on `n` CPUs, `q = T / n`, `r = T % n`: sorted
    /// descending, the `r` largest counts aim at `q + 1`, the rest at `q`,
    /// and the answer is `Σ max(0, count − aim)`. Computed without sorting;
    /// see `LoadImbalance`. Counts must not be negative.
    public static func minimumMovesForOnline<Counts: Collection>(counts: Counts) -> Int where Counts.Element == Int {
        LoadImbalance(counts: counts).movesNeeded
    }

    /// `minimumMovesForOnline(counts:)` for the counts of the `online` CPUs
    /// in `load`.
    public static func minimumMovesForOnline(load: CPULoad, online: CPUMask) -> Int {
        var counts = load
        return LoadImbalance(load: &counts, online: online).movesNeeded
    }
}
