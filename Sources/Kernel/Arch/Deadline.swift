import HotplugCore

/// A point in time on the virtual counter (`CNTVCT_EL0`), for bounding every
/// wait on hardware or on another CPU: waits end with a report, never a hang.
///
/// Waits on other CPUs (`WaitSubject.otherCPUs`) are stretched by `scale`,
/// the `timeout-scale=N` boot option (1 unless given). Under emulation the
/// counter follows the host's clock while each emulated CPU runs only when
/// the host schedules it, so a host busy with other work can make a correct
/// CPU miss a deadline sized for an idle one. The scale changes only how
/// long a real failure takes to be reported: a wait whose condition holds
/// still returns at once. Waits on a device register are not stretched: the
/// device answers by itself (an emulated one within the access).
struct Deadline {
    private let counterValue: UInt64

    /// The multiplier of waits on other CPUs. Set once on the boot CPU
    /// before any wait (`configure`), read-only afterwards.
    nonisolated(unsafe) private(set) static var scale: UInt64 = 1
    /// Largest accepted scale: 1000 stretches a 1 s deadline to 17 minutes.
    static let maximumScale = 1000

    /// `milliseconds` (stretched as `subject` asks) from now, at the counter
    /// frequency `CNTFRQ_EL0` gives.
    init(milliseconds: UInt64, for subject: WaitSubject = .device) {
        let ticksPerMillisecond = max(arch_read_counter_frequency() / 1000, 1)
        counterValue = arch_read_counter() &+ Deadline.milliseconds(milliseconds, for: subject) &* ticksPerMillisecond
    }

    /// What a wait of `milliseconds` on `subject` really allows: the figure
    /// for messages ("timed out after N ms").
    static func milliseconds(_ milliseconds: UInt64, for subject: WaitSubject) -> UInt64 {
        subject == .otherCPUs ? milliseconds &* scale : milliseconds
    }

    /// `milliseconds(_:for:)` as an `Int`, for the console writer.
    static func reported(_ milliseconds: UInt64, for subject: WaitSubject) -> Int {
        Int(truncatingIfNeeded: Deadline.milliseconds(milliseconds, for: subject))
    }

    var hasPassed: Bool {
        arch_read_counter() >= counterValue
    }

    /// Polls `condition` until it holds (true) or the deadline passes
    /// (false).
    ///
    /// Between polls the CPU sleeps in WFE only if its event stream is on
    /// (`EventStream.isOnThisCPU`). WFE returns on a wake-up event: an SEV
    /// from another CPU, an event-stream tick, an interrupt, ... (Arm ARM
    /// DDI 0487, "Wait for Event mechanism and Send event"). Early in boot —
    /// the distributor's RWP wait, say, with interrupts masked and no other
    /// CPU running — none of those may ever come, and a CPU that honours WFE
    /// (hardware; QEMU from the releases that put WFE to sleep) would never
    /// see its deadline. Without the event stream it polls with YIELD
    /// instead, a hint that costs nothing where it is a no-op.
    static func wait(milliseconds: UInt64, for subject: WaitSubject = .device, until condition: () -> Bool) -> Bool {
        let deadline = Deadline(milliseconds: milliseconds, for: subject)
        // CNTKCTL_EL1 is only written by this CPU, so one read holds for
        // the whole wait.
        let sleeps = EventStream.isOnThisCPU
        while !condition() {
            if deadline.hasPassed { return condition() }
            if sleeps {
                arch_wait_for_event()
            } else {
                arch_yield()
            }
        }
        return true
    }

    /// Turns this CPU's event stream on (`EventStream.enable`). Each CPU
    /// calls it on its way up.
    static func enableEventStream() {
        EventStream.enable()
    }

    /// Reads `timeout-scale=N` from the command line, if present. False
    /// (after one `error:` line) when it is not a whole number from 1 to
    /// `maximumScale`. Boot CPU, before any wait.
    static func configure(_ commandLine: BootArguments) -> Bool {
        guard let text = commandLine.value(of: "timeout-scale") else { return true }
        guard let value = commandLine.number(of: "timeout-scale"), value >= 1, value <= maximumScale else {
            Console.line { out in
                out.write("error: timeout-scale '")
                out.write(bytes: text)
                out.write("' is not a whole number from 1 to ", maximumScale)
            }
            return false
        }
        scale = UInt64(value)
        return true
    }
}

/// Who must act for a wait to end, which decides whether `Deadline.scale`
/// stretches it.
enum WaitSubject {
    /// A device register (GICD_CTLR.RWP, GICR_WAKER.ChildrenAsleep): not
    /// stretched.
    case device
    /// Other CPUs: a CPU announcing itself or reaching CPU_OFF, firmware
    /// acting on a CPU's behalf, an interrupt being taken elsewhere, an idle
    /// loop turning. Stretched by `Deadline.scale`.
    case otherCPUs
}

/// The generic timer's event stream on the calling CPU (Arm ARM DDI 0487,
/// D11.2.3 "Event streams"): an event each time a chosen bit of the virtual
/// counter flips, which wakes a CPU sleeping in WFE, so that WFE-based
/// waits poll at a bounded interval even when nothing else happens.
///
/// Read and written through `CNTKCTL_EL1` because the image runs at EL1.
/// Code running at EL2 (a hypervisor, with HCR_EL2.E2H clear) has its own
/// control in `CNTHCTL_EL2` (EVNTEN also bit 2): this type is the one place
/// to change.
enum EventStream {
    /// CNTKCTL_EL1.EVNTEN, bit 2.
    static let enableBit: UInt64 = 1 << 2
    /// CNTKCTL_EL1.EVNTI, bits 7:4: the counter bit whose 0-to-1 transition
    /// (EVNTDIR clear) makes an event. Bit 9: an event every 1024 ticks,
    /// 16 µs at QEMU's 62.5 MHz counter.
    static let triggerBit: UInt64 = 9

    /// Whether this CPU's event stream is on, read from the register so
    /// that it is true only once the write has happened on this CPU
    /// (whoever made it: the boot stub or `enable`).
    static var isOnThisCPU: Bool {
        arch_read_counter_control() & enableBit != 0
    }

    /// EVNTEN with EVNTI = `triggerBit` and EVNTDIR (bit 3) clear; the
    /// other bits (EL0 access) are kept as they are. The ISB makes the new
    /// setting take effect before any following WFE.
    static func enable() {
        let kept = arch_read_counter_control() & ~(0xF << 4 | 1 << 3)
        arch_write_counter_control(kept | enableBit | triggerBit << 4)
        arch_isb()
    }
}
