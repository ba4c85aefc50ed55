/// SPIs and extended SPIs: which handler each has, running it, and the
/// deferred move at end of interrupt.
///
/// Handlers are a closed set (`InterruptHandler`), dispatched by `switch`:
/// no function pointers to allocate, nothing registered at run time beyond
/// one byte per INTID.
enum SharedInterrupts {
    /// The handler of each `InterruptSlots` slot. Written when an interrupt
    /// is claimed (together with the descriptor's `hasHandler`, under the
    /// descriptor lock), read on the IRQ path.
    nonisolated(unsafe) static var handlers = UnsafeMutablePointer<InterruptHandler>.allocate(capacity: 1)

    /// Per slot: 1 while a firing of ours is pending or being handled. A
    /// firer claims it before setting the interrupt pending and the IRQ path
    /// releases it after the handler, so two firings never merge into one
    /// pending state and "fired = handled" is exact even under a storm.
    nonisolated(unsafe) static var inFlight = AtomicTable(count: 0)

    static func setUp(slots: InterruptSlots) {
        handlers = UnsafeMutablePointer<InterruptHandler>.allocate(capacity: slots.count)
        handlers.initialize(repeating: .none, count: slots.count)
        inFlight = AtomicTable(count: slots.count)
    }

    /// Claims `id` for one firing; false while the previous one is in flight.
    static func claimFiring(_ id: InterruptID) -> Bool {
        guard let slot = InterruptCounters.slots.slot(of: id) else { return false }
        return inFlight.replace(slot, expected: 0, desired: 1)
    }

    static func handler(of id: InterruptID) -> InterruptHandler {
        guard let slot = InterruptCounters.slots.slot(of: id) else { return .none }
        return handlers[slot]
    }

    /// Gives `id` a handler of ours, or none (`.none`): the descriptor's
    /// `hasHandler` follows, under its lock.
    static func setHandler(_ handler: InterruptHandler, for id: InterruptID) {
        guard let slot = InterruptCounters.slots.slot(of: id) else { return }
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
        case .none, .test:
            break
        case .uartReceive:
            ConsoleInput.drainUART()
        case .rtcAlarm:
            RealTimeClock.acknowledgeAlarm()
        }
        if let slot = InterruptCounters.slots.slot(of: id) { inFlight.store(slot, 0) }
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
    /// A test interrupt: counted, nothing else.
    case test
    /// PL011 receive: move bytes from the UART FIFO to the console buffer.
    case uartReceive
    /// PL031 alarm: clear it.
    case rtcAlarm

    var name: StaticString {
        switch self {
        case .none: return "-"
        case .test: return "test"
        case .uartReceive: return "pl011-rx"
        case .rtcAlarm: return "pl031-alarm"
        }
    }
}

/// Console input bytes, filled by the UART receive interrupt on whichever
/// CPU it is routed to, consumed by the console loop. A single-producer,
/// single-consumer ring: the UART interrupt is routed to one CPU at a time
/// and its handler never runs on two CPUs at once (the GIC keeps it active
/// until EOI); only the console reads.
///
/// Nothing is dropped: when the ring is full the handler leaves the byte in
/// the UART and masks the UART's receive interrupt, which stops QEMU (or a
/// real sender, through the UART's flow) from sending more; the console
/// unmasks it once it has made room, and the still-asserted receive
/// interrupt fires again.
enum ConsoleInput {
    private static let capacity = 1024
    nonisolated(unsafe) private static var buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: 1024)
    /// 0: bytes written, 1: bytes read, 2: 1 while the receive interrupt is
    /// masked because the ring was full.
    nonisolated(unsafe) private static var counters = AtomicTable(count: 3)

    static func setUp() {
        counters = AtomicTable(count: 3)
    }

    /// From the PL011 receive interrupt.
    static func drainUART() {
        guard let uart = Console.uart else { return }
        while true {
            let written = counters.load(0)
            if written &- counters.load(1) >= UInt32(capacity) {
                counters.store(2, 1)
                uart.maskReceiveInterrupts()
                break
            }
            guard let byte = uart.read() else { break }
            buffer[Int(written % UInt32(capacity))] = byte
            counters.store(0, written &+ 1)
        }
        // The console may run on another CPU, asleep in WFI: wake it.
        let console = ConsoleShell.cpu
        if console != CPUs.current, let machine = Machine.current {
            CPUInterface.sendSGI(KernelSGI.wake, to: machine.affinity(of: console))
        }
    }

    /// The next byte received, if any.
    static func read() -> UInt8? {
        let readCount = counters.load(1)
        guard counters.load(0) != readCount else {
            if counters.exchange(2, 0) == 1 { Console.uart?.enableReceiveInterrupts() }
            return nil
        }
        let byte = buffer[Int(readCount % UInt32(capacity))]
        counters.store(1, readCount &+ 1)
        return byte
    }
}
