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

    /// Polls `condition` until it holds (true) or the deadline passes (false).
    static func wait(milliseconds: UInt64, until condition: () -> Bool) -> Bool {
        let deadline = Deadline(milliseconds: milliseconds)
        while !condition() {
            if deadline.hasPassed { return condition() }
        }
        return true
    }
}
