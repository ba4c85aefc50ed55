// The two Arm PrimeCell devices the kernel drives, QEMU `virt`'s console and
// clock: their registers, declared once with offset, width and value type,
// and the bits the drivers use, named as the Technical Reference Manuals
// spell them. Every register is 32 bits wide and accessed as a word.

// MARK: - PL011 UART

/// The PL011 UART's registers this kernel uses (PrimeCell UART (PL011)
/// Technical Reference Manual, DDI 0183, §3.2).
public enum PL011Register {
    /// Data Register: bits 7:0 the byte received or to transmit (bits 11:8
    /// carry a received byte's error flags).
    public static let UARTDR = Register<UInt32>(offset: 0x000)
    /// Flag Register (read-only).
    public static let UARTFR = Register<PL011Flags>(offset: 0x018)
    /// Interrupt Mask Set/Clear Register: a set bit unmasks the interrupt.
    public static let UARTIMSC = Register<PL011Interrupts>(offset: 0x038)
    /// Masked Interrupt Status Register (read-only).
    public static let UARTMIS = Register<PL011Interrupts>(offset: 0x040)
    /// Interrupt Clear Register (write-only): a set bit clears the
    /// interrupt.
    public static let UARTICR = Register<PL011Interrupts>(offset: 0x044)
}

/// The value of `UARTFR`, the PL011's Flag Register.
public struct PL011Flags: OptionSet, RegisterValue, Hashable, Sendable {
    public let rawValue: UInt32

    @inline(__always)
    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    /// BUSY, bit 3: the UART is transmitting.
    public static let BUSY = PL011Flags(rawValue: 1 << 3)
    /// RXFE, bit 4: the receive FIFO (or holding register) is empty.
    public static let RXFE = PL011Flags(rawValue: 1 << 4)
    /// TXFF, bit 5: the transmit FIFO (or holding register) is full.
    public static let TXFF = PL011Flags(rawValue: 1 << 5)
    /// RXFF, bit 6: the receive FIFO is full.
    public static let RXFF = PL011Flags(rawValue: 1 << 6)
    /// TXFE, bit 7: the transmit FIFO is empty.
    public static let TXFE = PL011Flags(rawValue: 1 << 7)
}

/// The PL011's interrupts, one bit each at the same place in `UARTIMSC`
/// (the `…IM` mask bits), `UARTRIS`/`UARTMIS` (status) and `UARTICR` (the
/// `…IC` clear bits).
public struct PL011Interrupts: OptionSet, RegisterValue, Hashable, Sendable {
    public let rawValue: UInt32

    @inline(__always)
    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    /// Receive, bit 4 (RXIM, RXIC): the receive FIFO reached its trigger
    /// level, or, without FIFOs, a byte arrived.
    public static let receive = PL011Interrupts(rawValue: 1 << 4)
    /// Transmit, bit 5 (TXIM, TXIC).
    public static let transmit = PL011Interrupts(rawValue: 1 << 5)
    /// Receive timeout, bit 6 (RTIM, RTIC): bytes sit in the receive FIFO
    /// below the trigger level and no more arrive.
    public static let receiveTimeout = PL011Interrupts(rawValue: 1 << 6)
    /// Every interrupt the UART has, bits 10:0 (modem status, receive,
    /// transmit, timeout, framing, parity, break and overrun errors).
    public static let all = PL011Interrupts(rawValue: 0x7FF)

    /// The interrupts that say "there is input": receive, and receive
    /// timeout so that a short line is not left in the FIFO. (Spelled as a
    /// literal so that the image holds it as a constant.)
    public static let receiveAndTimeout = PL011Interrupts(rawValue: 1 << 4 | 1 << 6)
}

/// The PL011 sequence with a rule to it.
public enum PL011Sequences {
    /// Unmasks the receive and receive-timeout interrupts in the UART (the
    /// GIC side is separate).
    ///
    /// Every other interrupt is cleared first, but not these two: a
    /// byte that arrived before now holds the receive interrupt, and with
    /// the FIFO full (one byte, without FIFOs) no further byte could raise
    /// it again, so clearing it would lose the console's input for good.
    public static func enableReceiveInterrupts<Registers: RegisterFile>(_ registers: Registers) {
        registers.write(PL011Register.UARTICR, PL011Interrupts.all.subtracting(.receiveAndTimeout))
        registers.write(PL011Register.UARTIMSC, .receiveAndTimeout)
    }
}

// MARK: - PL031 real-time clock

/// The PL031 real-time clock's registers this kernel uses (PrimeCell Real
/// Time Clock (PL031) Technical Reference Manual, DDI 0224, §3.2).
public enum PL031Register {
    /// Data Register (read-only): the current count, in seconds.
    public static let RTCDR = Register<UInt32>(offset: 0x00)
    /// Match Register: the alarm is raised when the count equals it.
    public static let RTCMR = Register<UInt32>(offset: 0x04)
    /// Interrupt Mask Set/Clear Register.
    public static let RTCIMSC = Register<PL031Interrupt>(offset: 0x10)
    /// Interrupt Clear Register (write-only).
    public static let RTCICR = Register<PL031Interrupt>(offset: 0x1C)
}

/// The PL031's one interrupt, the alarm, as a bit of `RTCIMSC` (mask),
/// `RTCRIS`/`RTCMIS` (status) and `RTCICR` (clear).
public struct PL031Interrupt: OptionSet, RegisterValue, Hashable, Sendable {
    public let rawValue: UInt32

    @inline(__always)
    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    /// RTCINTR, bit 0: the count matched `RTCMR`. Level-sensitive: it
    /// stays raised until cleared in `RTCICR`.
    public static let alarm = PL031Interrupt(rawValue: 1 << 0)
}
