import HotplugCore

/// The Arm generic timer (Arm ARM DDI 0487, chapter D11) as a one-shot
/// comparator on the calling CPU: the physical count (`CNTPCT_EL0`), a
/// compare value, and its PPI.
///
/// Two comparators, each with one user, decided here (`Comparator`):
/// - the EL1 physical timer (`CNTP_CVAL_EL0` / `CNTP_CTL_EL0`, the
///   binding's Non-secure physical PPI) is the kernel's own clock
///   (`LoadEpochClock`) at either level. At EL1 under an EL2 it needs
///   `CNTHCTL_EL2.EL1PCEN` (and `EL1PCTEN` for the count), which
///   boot/start.S sets before it leaves EL2. The hypervisor (EL2, HCR_EL2.E2H
///   clear) reaches it directly and keeps it from its guests
///   (`CNTHCTL_EL2.EL1PCEN` = 0: they have the virtual timer).
/// - the EL2 physical timer (`CNTHP_CVAL_EL2` / `CNTHP_CTL_EL2`, the
///   binding's hypervisor PPI), in the hypervisor only: the scheduler's time
///   slice (`Scheduler`), as Xen uses it for its own timers.
///
/// The timer's interrupt is level-sensitive and stays asserted while the
/// count is at or past the compare value and the timer is enabled and
/// unmasked (`CNTP_CTL.ISTATUS`): a handler moves the compare value on (or
/// stops the timer) before its end of interrupt, or the PPI is taken again
/// at once.
enum GenericTimer {
    /// The comparators this driver can use.
    enum Comparator {
        /// `CNTP_*`: the EL1 physical timer.
        case el1Physical
        /// `CNTHP_*`: the EL2 physical timer.
        case el2Physical
    }

    /// `CNTx_CTL` bits: ENABLE (bit 0) and IMASK (bit 1).
    private static let enable: UInt64 = 1 << 0

    /// `CNTx_CTL.ISTATUS` (bit 2): the condition is met.
    private static let status: UInt64 = 1 << 2

    /// The kernel's clock's comparator: the EL1 physical timer at either
    /// level (the EL2 one is the hypervisor scheduler's).
    static let comparator = Comparator.el1Physical

    /// A comparator's PPI, as the device tree names it.
    static func interrupt(of which: Comparator = comparator, in timer: GenericTimerDescription) -> InterruptID {
        switch which {
        case .el1Physical: timer.physical
        case .el2Physical: timer.hypervisorPhysical
        }
    }

    /// The physical count now. `CNTPCT_EL0` is not ordered against the code
    /// around it without an ISB; a tick's timestamp does not need that.
    static var now: UInt64 {
        arch_read_physical_counter()
    }

    /// Counter ticks per second (`CNTFRQ_EL0`, written by firmware).
    static var frequency: UInt64 {
        arch_read_counter_frequency()
    }

    /// Arms this CPU's comparator to assert its PPI once the physical count
    /// reaches `deadline` (an absolute compare value: no drift however late
    /// the previous tick was handled).
    static func fire(_ which: Comparator = comparator, at deadline: UInt64) {
        program(which, compare: deadline, control: enable)
    }

    /// Stops this CPU's comparator; its PPI is no longer asserted.
    static func stop(_ which: Comparator = comparator) {
        program(which, compare: 0, control: 0)
    }

    /// Whether this CPU's comparator is enabled and its condition met (it
    /// asserts, or would if unmasked).
    static func hasFired(_ which: Comparator) -> Bool {
        let control: UInt64
        switch which {
        case .el1Physical: control = arch_read_el1_physical_timer_control()
        case .el2Physical: control = arch_read_el2_physical_timer_control()
        }
        return control & (enable | status) == enable | status
    }

    /// The one place that names the comparator's registers. The compare
    /// value is written before the control word, so an enabled timer never
    /// compares against a stale value.
    private static func program(_ which: Comparator, compare: UInt64, control: UInt64) {
        switch which {
        case .el1Physical:
            arch_write_el1_physical_timer_compare(compare)
            arch_write_el1_physical_timer_control(control)
        case .el2Physical:
            arch_write_el2_physical_timer_compare(compare)
            arch_write_el2_physical_timer_control(control)
        }
        arch_isb()
    }

    /// Enables `id` (a PPI) in the calling CPU's redistributor, level-
    /// sensitive (`GICR_ICFGR1`, two bits per PPI, 0b00 level), group 1 and
    /// default priority as `configurePrivateInterrupts` left every PPI.
    static func enablePrivateInterrupt(_ id: InterruptID, on cpu: LogicalCPU) -> Bool {
        guard id.rawValue >= 16 && id.rawValue < 32,
              let redistributor = try? Redistributor.of(cpu, in: Machine.current) else { return false }
        let field = UInt32(3) << (2 * (id.rawValue - 16))
        let configuration = redistributor.frame.read(RedistributorRegister.GICR_ICFGR1)
        redistributor.frame.write(RedistributorRegister.GICR_ICFGR1, configuration & ~field)
        redistributor.frame.write(RedistributorRegister.GICR_ISENABLER0, UInt32(1) << id.rawValue)
        return true
    }
}
