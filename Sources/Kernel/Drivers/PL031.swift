import HotplugCore

/// Arm PrimeCell real-time clock (PL031), Technical Reference Manual
/// DDI 0224: a seconds counter with a match register whose alarm is a real
/// level-sensitive device interrupt. Setting the match register to the
/// current count raises the alarm at once (QEMU's model), which makes the
/// RTC a device interrupt that software can raise whenever it wants.
/// Registers and bits: `PL031Register` in the core.
struct PL031 {
    let registers: MMIORegion

    /// Unmasks the alarm interrupt in the RTC, a stale alarm cleared first.
    func enableAlarmInterrupt() {
        registers.write(PL031Register.RTCICR, .alarm)
        registers.write(PL031Register.RTCIMSC, .alarm)
    }

    /// Raises the alarm now: match = current count.
    func raiseAlarm() {
        registers.write(PL031Register.RTCMR, registers.read(PL031Register.RTCDR))
    }

    /// Clears the alarm (the handler's job: the line is level-sensitive).
    func clearAlarm() {
        registers.write(PL031Register.RTCICR, .alarm)
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
