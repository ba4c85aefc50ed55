import HotplugCore

/// SPIs and extended SPIs: which handler each has, running it, and the
/// deferred move at end of interrupt.
///
/// Handlers are a closed set (`InterruptHandler`), dispatched by `switch`:
/// no function pointers to allocate, nothing registered at run time beyond
/// one byte per INTID.
enum SharedInterrupts {
    /// The handler of each slot of `InterruptCounters.layout`. Allocated
    /// once in `setUp` (boot CPU, before any other CPU runs); an entry is
    /// written when an interrupt is claimed (together with the descriptor's
    /// `hasHandler`, under the descriptor lock) and read on the IRQ path.
    nonisolated(unsafe) static var handlers = UnsafeMutablePointer<InterruptHandler>.allocate(capacity: 1)

    /// Per slot: 1 while a firing of ours is pending or being handled. A
    /// firer claims it before setting the interrupt pending and the IRQ path
    /// releases it after the handler, so two firings never merge into one
    /// pending state and "fired = handled" is exact even under a storm.
    /// Assigned once in `setUp`, then only its atomic entries change.
    nonisolated(unsafe) static var inFlight = AtomicTable(count: 0)

    static func setUp() {
        let slotCount = InterruptCounters.layout.slotCount
        handlers = UnsafeMutablePointer<InterruptHandler>.allocate(capacity: slotCount)
        handlers.initialize(repeating: .none, count: slotCount)
        inFlight = AtomicTable(count: slotCount)
    }

    /// Claims `id` for one firing; false while the previous one is in flight.
    static func claimFiring(_ id: InterruptID) -> Bool {
        guard let slot = InterruptCounters.layout.slot(of: id) else { return false }
        return inFlight.replace(slot, expected: 0, desired: 1)
    }

    static func handler(of id: InterruptID) -> InterruptHandler {
        guard let slot = InterruptCounters.layout.slot(of: id) else { return .none }
        return handlers[slot]
    }

    /// Gives `id` a handler of ours, or none (`.none`): the descriptor's
    /// `hasHandler` follows, under its lock.
    static func setHandler(_ handler: InterruptHandler, for id: InterruptID) {
        guard let slot = InterruptCounters.layout.slot(of: id) else { return }
        InterruptDescriptors.store.withDescriptor(for: id) { descriptor in
            handlers[slot] = handler
            descriptor.hasHandler = handler != .none
        }
    }

    /// Runs on the CPU that acknowledged `id`, interrupts masked.
    ///
    /// The descriptor is marked in progress for the handler's run (so a
    /// set-affinity from another CPU defers its move), the handler runs
    /// without the lock (Xen's rule), and a move recorded meanwhile is
    /// applied before the end of interrupt — to a CPU online now.
    static func handle(_ id: InterruptID, on cpu: LogicalCPU) {
        let store = InterruptDescriptors.store!
        guard let index = store.layout.index(of: id) else {
            CPUInterface.endOfInterrupt(id)
            return
        }
        store.withDescriptor(at: index) { $0.status.insert(.inProgress) }
        switch handler(of: id) {
        case .none, .countOnly:
            break
        case .uartReceive:
            ConsoleInput.drainUART()
        case .rtcAlarm:
            RealTimeClock.acknowledgeAlarm()
        }
        if let slot = InterruptCounters.layout.slot(of: id) { inFlight.store(slot, 0) }
        store.withDescriptor(at: index) { descriptor in
            descriptor.status.remove(.inProgress)
            if descriptor.status.contains(.movePending) {
                var router = GICRouter()
                _ = AffinitySetting.completeDeferredMove(&descriptor, online: CPUs.online, router: &router)
            }
        }
        CPUInterface.endOfInterrupt(id)
    }
}

/// The kernel's own interrupt handlers (Xen's "interrupts Xen itself uses").
enum InterruptHandler: UInt8 {
    /// No handler: an interrupt the kernel does not own.
    case none
    /// An interrupt with no device behind it (made pending through
    /// `GICD_ISPENDR`): the IRQ path's count is all it needs.
    case countOnly
    /// PL011 receive: move bytes from the UART FIFO to the console buffer.
    case uartReceive
    /// PL031 alarm: clear it.
    case rtcAlarm
}
