/// What the balanced policy's `RoutingIndex` records about one descriptor:
/// whether a rebalance may move it, the CPU it is delivered to, and whether
/// its affinity is broken.
///
/// The destination is the CPU of a pending move when there is one
/// (`.movePending` with `deferredTarget`), else the effective target: a
/// move deferred to end of interrupt counts on its new CPU at once, and the
/// end of interrupt that writes it to that CPU changes nothing here.
///
/// A store that keeps a `routingGeneration` advances it for every visit
/// that changes this value; `RoutingState.apply` is the one place that
/// decides what counts as a change, for the stores and the policy alike.
public struct RoutingState: Equatable, Sendable {
    /// `InterruptDescriptor.isMovable`.
    public var isMovable: Bool
    /// Where a movable interrupt is, or will be once its pending move is
    /// written.
    public var destination: LogicalCPU?
    /// `InterruptDescriptor.affinityBroken` of a movable descriptor.
    public var affinityBroken: Bool

    /// The routing state of `descriptor`; only `isMovable` for one that is
    /// not movable (the index keeps nothing else about it, so routing it
    /// somewhere is no change). Out of line: every specialisation of a
    /// store's `withDescriptor` calls it twice, and inlined it would cost
    /// the image hundreds of bytes per call site.
    @inline(never)
    public init(_ descriptor: borrowing InterruptDescriptor) {
        isMovable = descriptor.isMovable
        destination = nil
        affinityBroken = false
        guard isMovable else { return }
        let pending = descriptor.status.contains(.movePending) ? descriptor.deferredTarget : nil
        if let pending {
            destination = pending
        } else {
            destination = descriptor.effectiveTarget
        }
        affinityBroken = descriptor.affinityBroken
    }

    /// Whether the index lists the descriptor on `cpu`: movable and
    /// delivered there.
    @inline(__always)
    public func isListed(on cpu: LogicalCPU) -> Bool {
        isMovable && destination == cpu
    }

    /// Runs `body` on `descriptor` and says whether that changed its routing
    /// state. Stores call it inside `withDescriptor` to keep their
    /// generation; the policy calls it to know which of the generation's
    /// steps are its own.
    public static func apply<Result>(
        _ body: (inout InterruptDescriptor) -> Result,
        to descriptor: inout InterruptDescriptor
    ) -> (result: Result, changed: Bool) {
        let before = RoutingState(descriptor)
        let result = body(&descriptor)
        return (result, before.differs(from: descriptor))
    }

    /// Whether `descriptor`'s routing state is no longer this one. Out of
    /// line for the same reason as `init`.
    @inline(never)
    func differs(from descriptor: borrowing InterruptDescriptor) -> Bool {
        RoutingState(descriptor) != self
    }
}
