// A vCPU's guest-bound interrupts between the hypervisor's acknowledge at
// EL2 and the guest's deactivation: those waiting for a list register, and
// those this queue put in one (IHI 0069 §12.4, the list registers; Xen's
// per-vCPU `inflight` and `lr_pending` lists, KVM's `ap_list`). The queue
// is the single writer of the vCPU's list registers, so what they hold is
// known from the queue and the registers read back.

/// Why an interrupt was or was not taken into the queue.
public enum VirtualInterruptAdmission: Equatable, Sendable {
    /// It waits for a list register.
    case queued
    /// Its vINTID already waits here: presenting it twice would have the
    /// guest acknowledge one physical interrupt twice.
    case alreadyQueued
    /// Its vINTID is in a list register (pending or active): the same.
    case alreadyInListRegister
    /// The queue holds `VirtualInterruptQueue.capacity` already; the caller
    /// keeps the interrupt active and reports the refusal.
    case full
}

/// The interrupts one pass of `retire` found deactivated by the guest:
/// the list register values they had (vINTID, pINTID), at most one per
/// list register.
public struct RetiredInterrupts: Sendable {
    private var values: InlineArray<16, ListRegister> = InlineArray(repeating: .empty)
    public private(set) var count = 0

    public init() {}

    mutating func append(_ value: ListRegister) {
        values[count] = value
        count += 1
    }

    public subscript(index: Int) -> ListRegister {
        precondition(index >= 0 && index < count, "RetiredInterrupts: index out of range")
        return values[index]
    }
}

/// One vCPU's guest-bound interrupts waiting for a list register, and the
/// list registers it filled. Fixed capacity, no allocation: used on the
/// interrupt path, under the vCPU's lock (the caller's).
///
/// The hypervisor's sequence on every exit of the vCPU, on the pCPU running
/// it, with its list registers read back into `context`:
///   1. `retire(from:)`: list registers the guest has deactivated are free
///      again;
///   2. each of the vCPU's `GuestInterrupt`s hears its state
///      (`state(of:in:)`, through `taken`/`vcpuExited`), and the list
///      register value it hands over is `add`ed;
///   3. `inject(into:)`: waiting interrupts go into free list registers,
///      the highest priority (lowest value) first, in arrival order among
///      equals; the rest wait for the next pass; then the registers are
///      written back and the vCPU re-entered.
/// Entering a vCPU is steps 2 (`vcpuEntered`) and 3 on its saved context
/// before `VirtualCPUInterfaceContext.restore`; leaving it is
/// `VirtualCPUInterfaceContext.save`, then 1 and `vcpuLeft`. The queue is
/// per vCPU and moves with it, so what waits here follows the vCPU to its
/// next pCPU as its saved list registers do.
/// Retiring first is what lets a physical interrupt the guest deactivated
/// unseen, and that fired again, be taken again without being refused as
/// a duplicate of its own stale list register.
///
/// `state(of:in:)` answers `GuestInterrupt`'s read-back: an interrupt that
/// waits here is still pending for the guest, exactly as one in a list
/// register, so its state machine need not know which.
public struct VirtualInterruptQueue: Sendable {
    /// Interrupts that can wait at once.
    public static let capacity = 64

    private var waiting: InlineArray<64, ListRegister> = InlineArray(repeating: .empty)
    /// Interrupts waiting for a list register.
    public private(set) var waitingCount = 0
    /// What this queue last wrote to each list register (empty: none of its
    /// interrupts is there).
    private var injected: InlineArray<16, ListRegister> = InlineArray(repeating: .empty)

    public init() {}

    /// Whether `virtual` waits for a list register.
    public func isWaiting(_ virtual: InterruptID) -> Bool {
        index(ofWaiting: virtual) != nil
    }

    private func index(ofWaiting virtual: InterruptID) -> Int? {
        for index in 0 ..< waitingCount where waiting[index].virtualID == virtual {
            return index
        }
        return nil
    }

    /// Takes `value` (a pending list register value: for a guest-bound SPI,
    /// `HW` 1 with its pINTID) unless its vINTID is already waiting or in a
    /// list register of `context`, or the queue is full.
    public mutating func add(_ value: ListRegister, context: VirtualCPUInterfaceContext) -> VirtualInterruptAdmission {
        precondition(value.state == .pending, "VirtualInterruptQueue.add: a new interrupt is pending")
        if isWaiting(value.virtualID) { return .alreadyQueued }
        if context.listRegister(holding: value.virtualID) != nil { return .alreadyInListRegister }
        guard waitingCount < VirtualInterruptQueue.capacity else { return .full }
        waiting[waitingCount] = value
        waitingCount += 1
        return .queued
    }

    /// The list registers of `context` that held one of this queue's
    /// interrupts and are now empty (the guest deactivated it; with `HW` 1
    /// the physical interrupt with it) are free again; their interrupts are
    /// returned.
    public mutating func retire(from context: VirtualCPUInterfaceContext) -> RetiredInterrupts {
        var retired = RetiredInterrupts()
        for index in 0 ..< context.listRegisterCount where !injected[index].isEmpty {
            let now = context.listRegisters[index]
            if now.isEmpty {
                retired.append(injected[index])
                injected[index] = .empty
            } else {
                precondition(now.virtualID == injected[index].virtualID,
                             "VirtualInterruptQueue.retire: a list register changed hands behind the queue")
            }
        }
        return retired
    }

    /// Moves waiting interrupts into the empty list registers of `context`,
    /// highest priority first; returns how many. An interrupt whose vINTID
    /// a list register still holds stays waiting (`add` refuses those, so
    /// this only guards the invariant).
    @discardableResult
    public mutating func inject(into context: inout VirtualCPUInterfaceContext) -> Int {
        var count = 0
        while waitingCount > 0 {
            var best = 0
            for index in 1 ..< waitingCount where waiting[index].priority < waiting[best].priority {
                best = index
            }
            let value = waiting[best]
            precondition(context.listRegister(holding: value.virtualID) == nil,
                         "VirtualInterruptQueue.inject: the vINTID is in a list register already")
            guard let register = context.insert(value) else { break }
            precondition(injected[register].isEmpty, "VirtualInterruptQueue.inject: retire was not called first")
            injected[register] = value
            for index in best ..< waitingCount - 1 {
                waiting[index] = waiting[index + 1]
            }
            waitingCount -= 1
            waiting[waitingCount] = .empty
            count += 1
        }
        return count
    }

    /// Where `virtual` is for the guest: pending while it waits here, the
    /// state of its list register in `context` when one holds it, invalid
    /// otherwise (never presented, or deactivated).
    public func state(of virtual: InterruptID, in context: VirtualCPUInterfaceContext) -> VirtualInterruptState {
        if isWaiting(virtual) { return .pending }
        guard let register = context.listRegister(holding: virtual) else { return .invalid }
        return context.listRegisters[register].state
    }
}
