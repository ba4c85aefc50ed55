/// A point in time on the virtual counter (`CNTVCT_EL0`), for bounding every
/// wait on hardware or on another CPU: waits end with a report, never a hang.
struct Deadline {
    private let counterValue: UInt64

    /// `milliseconds` from now, at the counter frequency `CNTFRQ_EL0` gives.
    init(milliseconds: UInt64) {
        let ticksPerMillisecond = max(arch_read_counter_frequency() / 1000, 1)
        counterValue = arch_read_counter() &+ milliseconds &* ticksPerMillisecond
    }

    var hasPassed: Bool {
        arch_read_counter() >= counterValue
    }

    /// Polls `condition` until it holds (true) or the deadline passes
    /// (false), sleeping in WFE between polls: the generic timer's event
    /// stream (`enableEventStream`) wakes the CPU every 16 µs or so, and so
    /// does any SEV, so a waiting CPU executes almost nothing — which keeps
    /// emulated CPUs from starving each other and keeps `-icount` figures
    /// about the CPU being measured.
    static func wait(milliseconds: UInt64, until condition: () -> Bool) -> Bool {
        let deadline = Deadline(milliseconds: milliseconds)
        while !condition() {
            if deadline.hasPassed { return condition() }
            arch_wait_for_event()
        }
        return true
    }

    /// `CNTKCTL_EL1`: EVNTEN with EVNTI = 9, an event each time bit 9 of
    /// the virtual counter flips (every 1024 ticks; Arm ARM D11.2.3), plus
    /// EL0PCTEN/EL0VCTEN left clear. Each CPU sets it on its way up.
    static func enableEventStream() {
        arch_write_counter_control(1 << 2 | 9 << 4)
        arch_isb()
    }
}
