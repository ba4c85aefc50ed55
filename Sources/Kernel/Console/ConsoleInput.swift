import HotplugCore
import Synchronization

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
    /// The ring. Allocated once, on first use; each byte is written by the
    /// producer before it publishes `bytesWritten` (release) and read by the
    /// consumer only after it has seen that count (acquire), so producer and
    /// consumer never touch the same byte at once.
    nonisolated(unsafe) private static let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: 1024)
    /// Bytes written into the ring, ever (the producer's count).
    private static let bytesWritten = Atomic<UInt32>(0)
    /// Bytes read from the ring, ever (the consumer's count).
    private static let bytesRead = Atomic<UInt32>(0)
    /// Set while the receive interrupt is masked because the ring was full.
    private static let receiveMasked = Atomic<Bool>(false)

    /// From the PL011 receive interrupt.
    static func drainUART() {
        guard let machine = Machine.current else { return }
        let uart = machine.uart
        while true {
            let writtenCount = bytesWritten.load(ordering: .acquiring)
            if writtenCount &- bytesRead.load(ordering: .acquiring) >= UInt32(capacity) {
                receiveMasked.store(true, ordering: .releasing)
                uart.maskReceiveInterrupts()
                break
            }
            guard let byte = uart.read() else { break }
            buffer[Int(writtenCount % UInt32(capacity))] = byte
            bytesWritten.store(writtenCount &+ 1, ordering: .releasing)
        }
        // The console may run on another CPU, asleep in WFI: wake it.
        let console = ConsoleShell.cpu
        if console != CPUs.current {
            CPUInterface.sendSGI(KernelSGI.wake, to: machine.affinity(of: console))
        }
    }

    /// The next byte received, if any.
    static func read() -> UInt8? {
        let readCount = bytesRead.load(ordering: .acquiring)
        guard bytesWritten.load(ordering: .acquiring) != readCount else {
            if receiveMasked.exchange(false, ordering: .acquiringAndReleasing) {
                Machine.current.uart.enableReceiveInterrupts()
            }
            return nil
        }
        let byte = buffer[Int(readCount % UInt32(capacity))]
        bytesRead.store(readCount &+ 1, ordering: .releasing)
        return byte
    }
}
