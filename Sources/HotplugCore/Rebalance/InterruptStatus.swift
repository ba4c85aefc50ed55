/// The state bits of one shared interrupt's descriptor, in the manner of
/// Xen's `desc->status` (`_IRQ_GUEST`, `_IRQ_MOVE_PENDING`, `_IRQ_DISABLED`,
/// `_IRQ_INPROGRESS`). Read and written only under the descriptor's lock.
public struct InterruptStatus: OptionSet, Sendable {
    public let rawValue: UInt8

    @inline(__always)
    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// Delivered to a guest, not handled by us. Its routing follows the
    /// guest's vCPU and is left to whoever schedules that vCPU, so neither
    /// rebalance policy touches it.
    public static let guestBound = InterruptStatus(rawValue: 1 << 0)

    /// A routing change was asked for while the handler was running
    /// (`inProgress`); the new target is in the descriptor's
    /// `deferredTarget` and is written at end of interrupt. Both rebalance
    /// policies skip such a descriptor, as the patch does.
    public static let movePending = InterruptStatus(rawValue: 1 << 1)

    /// Forwarding is enabled at the distributor (`GICD_ISENABLER<n>`).
    public static let enabled = InterruptStatus(rawValue: 1 << 2)

    /// Acknowledged on some CPU and not yet ended: its handler is running.
    /// Rerouting now could let a second activation start elsewhere before
    /// the first ends, so moves are deferred to end of interrupt.
    public static let inProgress = InterruptStatus(rawValue: 1 << 3)
}
