/// The hardware seam of the rebalance: one call writes one
/// `GICD_IROUTER<n>` / `GICD_IROUTER<n>E` register (Arm IHI 0069 §12.9.21,
/// §12.9.22) so that `id` is delivered to `cpu` alone.
///
/// The kernel's implementation translates the logical CPU to its MPIDR
/// affinity, writes the register and counts the write; host tests use a
/// simulated register file that records every write. Callers hold the
/// descriptor lock of `id` around the call.
public protocol InterruptRouter {
    mutating func route(_ id: InterruptID, to cpu: LogicalCPU)
}
