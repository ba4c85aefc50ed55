/// Everything the kernel keeps about one shared interrupt (SPI or extended
/// SPI): Xen's `struct irq_desc`, without the lock, which belongs to the
/// `DescriptorStore` holding it.
///
/// Every field is read and written under that descriptor's lock only.
public struct InterruptDescriptor: Sendable {
    /// The INTID this descriptor stands for.
    public let id: InterruptID

    /// Whether the kernel has a handler for it (Xen: `desc->action != NULL`).
    /// Descriptors without one are never moved.
    public var hasHandler: Bool

    /// Guest-bound, move pending, enabled, in progress.
    public var status: InterruptStatus

    /// The CPUs the interrupt may be delivered to, as last set through
    /// set-affinity (Xen: `desc->affinity`). The balanced policy never
    /// changes it; the seed policy, like the patch, replaces it by the one
    /// CPU it picked.
    public var requestedAffinity: CPUMask

    /// The one CPU `GICD_IROUTER<n>` (or `GICD_IROUTER<n>E`) names, i.e. where
    /// the interrupt is delivered now; `nil` before it was first routed.
    /// GICv3 routes a shared interrupt to exactly one PE here (we never use
    /// 1-of-N routing, IHI 0069 §12.9.21), hence one CPU, not a mask.
    public var effectiveTarget: LogicalCPU?

    /// A move recorded while `inProgress` (with `.movePending` set), applied
    /// at end of interrupt if that CPU is still online then.
    public var deferredTarget: LogicalCPU?

    /// No CPU of `requestedAffinity` was online when the interrupt had to
    /// move, so it is routed outside the mask. Cleared when it is routed
    /// inside the mask again (a CPU of the mask came back, or the mask was
    /// set anew).
    public var affinityBroken: Bool

    /// A descriptor without a handler, routed nowhere, with every CPU in its
    /// requested mask (Xen's `cpumask_setall(desc->affinity)` at creation).
    public init(id: InterruptID) {
        self.id = id
        hasHandler = false
        status = []
        requestedAffinity = CPUMask.all(upTo: CPUMask.capacity)
        effectiveTarget = nil
        deferredTarget = nil
        affinityBroken = false
    }

    /// Whether a rebalance may move it at all: one of ours (a handler) and
    /// not a guest's. A movable descriptor with `.movePending` is still
    /// skipped by both policies until its pending move completes.
    @inline(__always)
    public var isMovable: Bool {
        hasHandler && !status.contains(.guestBound)
    }
}
