/// Arm PrimeCell UART (PL011), Technical Reference Manual DDI 0183: the
/// console. QEMU's model needs no baud-rate set-up; transmit polls the
/// "transmit FIFO full" flag, receive is interrupt driven once the receive
/// interrupt is unmasked.
struct PL011 {
    /// UARTDR, UARTFR, UARTIMSC, UARTMIS, UARTICR (TRM §3.2).
    enum Register {
        static let data = 0x000
        static let flags = 0x018
        static let interruptMask = 0x038
        static let maskedInterruptStatus = 0x040
        static let interruptClear = 0x044
    }

    enum Flag {
        /// UARTFR.RXFE: receive FIFO empty.
        static let receiveEmpty: UInt32 = 1 << 4
        /// UARTFR.TXFF: transmit FIFO full.
        static let transmitFull: UInt32 = 1 << 5
    }

    /// UARTIMSC.RXIM | UARTIMSC.RTIM: receive and receive-timeout interrupts.
    static let receiveInterrupts: UInt32 = 1 << 4 | 1 << 6

    let registers: MMIORegion

    @inline(__always)
    func write(_ byte: UInt8) {
        while registers.read32(Register.flags) & Flag.transmitFull != 0 {}
        registers.write32(Register.data, UInt32(byte))
    }

    /// The next received byte, or nil when the receive FIFO is empty.
    @inline(__always)
    func read() -> UInt8? {
        if registers.read32(Register.flags) & Flag.receiveEmpty != 0 { return nil }
        return UInt8(truncatingIfNeeded: registers.read32(Register.data))
    }

    /// Masks the receive interrupts; a received byte stays in the UART.
    func maskReceiveInterrupts() {
        registers.write32(Register.interruptMask, 0)
    }

    /// Unmasks the receive interrupts in the UART (the GIC side is separate).
    /// The receive bits are not cleared first: a byte that arrived before
    /// now holds the receive interrupt, and with the FIFO full (one byte
    /// without FIFOs) no further byte could raise it again.
    func enableReceiveInterrupts() {
        registers.write32(Register.interruptClear, 0x7FF & ~PL011.receiveInterrupts)
        registers.write32(Register.interruptMask, PL011.receiveInterrupts)
    }
}
