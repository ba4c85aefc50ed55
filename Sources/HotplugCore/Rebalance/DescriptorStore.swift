/// Where the interrupt descriptors live, each behind its own lock.
///
/// Indices run `0 ..< count` in INTID order: the SPIs first, then the
/// extended SPIs (see `InterruptLayout`). The rebalance policies walk
/// them in that order, which is the order the patch walks INTIDs in.
///
/// The kernel's store takes the descriptor's spin lock (interrupts masked)
/// around `body`; `DescriptorTable` is the lock-free host version. Lock
/// rule: `body` must never call back into the store, so no two descriptor
/// locks are ever held at once and no lock order between them is needed.
public protocol DescriptorStore {
    /// The number of descriptors.
    var count: Int { get }

    /// Runs `body` on descriptor `index` with its lock held.
    ///
    /// - Precondition: `0 <= index < count`.
    @discardableResult
    func withDescriptor<Result>(at index: Int, _ body: (inout InterruptDescriptor) -> Result) -> Result

    /// The routing generation: a number that advances by exactly one for
    /// every visit that changes a descriptor's `RoutingState` (whoever
    /// makes it: a policy, set-affinity, the move at end of interrupt, code
    /// claiming an interrupt), and that no other store shows; `nil` if the
    /// store keeps none (the default).
    ///
    /// The balanced policy trusts its `RoutingIndex` only while this equals
    /// the value its own bookkeeping predicts, and otherwise recounts the
    /// whole table once. So no caller has to tell the policy it changed a
    /// route; a store without a generation costs a recount on every event.
    /// Keep it with `RoutingState.apply` inside `withDescriptor`.
    var routingGeneration: UInt64? { get }
}

extension DescriptorStore {
    /// No generation: the balanced policy recounts the table on every event.
    public var routingGeneration: UInt64? { nil }
}
