/// Arm PrimeCell real-time clock (PL031), Technical Reference Manual
/// DDI 0224: a seconds counter with a match register whose alarm is a real
/// level-sensitive device interrupt. Setting the match register to the
/// current count raises the alarm at once (QEMU's model), which makes the
/// RTC a device interrupt the demonstration can fire at every step.
struct PL031 {
    /// RTCDR, RTCMR, RTCIMSC, RTCICR (TRM §3.2).
    enum Register {
        static let data = 0x00
        static let match = 0x04
        static let interruptMask = 0x10
        static let interruptClear = 0x1C
    }

    let registers: MMIORegion

    /// Unmasks the alarm interrupt in the RTC.
    func enableAlarmInterrupt() {
        registers.write32(Register.interruptClear, 1)
        registers.write32(Register.interruptMask, 1)
    }

    /// Raises the alarm now: match = current count.
    func raiseAlarm() {
        registers.write32(Register.match, registers.read32(Register.data))
    }

    /// Clears the alarm (the handler's job: the line is level-sensitive).
    func clearAlarm() {
        registers.write32(Register.interruptClear, 1)
    }
}

/// The machine's RTC, if the device tree has one.
enum RealTimeClock {
    /// Set once when the kernel claims its interrupts (boot CPU, before the
    /// alarm is enabled), read-only afterwards.
    nonisolated(unsafe) static var device: PL031?

    static func acknowledgeAlarm() {
        device?.clearAlarm()
    }
}
