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
