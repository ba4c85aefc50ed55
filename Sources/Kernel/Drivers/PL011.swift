import HotplugCore

/// Arm PrimeCell UART (PL011), Technical Reference Manual DDI 0183: the
/// console. QEMU's model needs no baud-rate set-up; transmit polls the
/// "transmit FIFO full" flag, receive is interrupt driven once the receive
/// interrupts are unmasked. Registers and bits: `PL011Register` in the core.
struct PL011 {
    let registers: MMIORegion

    /// How long a full transmit FIFO may stay full before a byte is dropped.
    /// At 9600 baud a 32-byte FIFO drains in about 33 ms; a UART that stays
    /// full far longer (flow control held off, clock gated) must not hang
    /// the writer, who holds the console lock with interrupts masked.
    static let transmitTimeoutMilliseconds: UInt64 = 100

    /// Sends `byte`; false (the byte dropped) if the transmit FIFO stayed
    /// full for `transmitTimeoutMilliseconds`.
    @inline(__always)
    @discardableResult
    func write(_ byte: UInt8) -> Bool {
        if registers.read(PL011Register.UARTFR).contains(.TXFF) {
            let drained = Deadline.wait(milliseconds: PL011.transmitTimeoutMilliseconds) {
                !registers.read(PL011Register.UARTFR).contains(.TXFF)
            }
            guard drained else { return false }
        }
        registers.write(PL011Register.UARTDR, UInt32(byte))
        return true
    }

    /// The next received byte, or nil when the receive FIFO is empty.
    @inline(__always)
    func read() -> UInt8? {
        if registers.read(PL011Register.UARTFR).contains(.RXFE) { return nil }
        return UInt8(truncatingIfNeeded: registers.read(PL011Register.UARTDR))
    }

    /// Masks the receive interrupts; a received byte stays in the UART.
    func maskReceiveInterrupts() {
        registers.write(PL011Register.UARTIMSC, [])
    }

    /// Unmasks the receive and receive-timeout interrupts in the UART (the
    /// GIC side is separate), keeping one already raised
    /// (`PL011Sequences.enableReceiveInterrupts`).
    func enableReceiveInterrupts() {
        PL011Sequences.enableReceiveInterrupts(registers)
    }
}
