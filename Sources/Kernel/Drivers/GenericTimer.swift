/// The Arm generic timer (Arm ARM DDI 0487, chapter D11) as a one-shot
/// comparator on the calling CPU: the physical count (`CNTPCT_EL0`), a
/// compare value, and its PPI.
///
/// Which comparator depends on the exception level the kernel runs at, and
/// is decided in one place (`comparator`, used by `program`):
/// - at EL1, the EL1 physical timer (`CNTP_CVAL_EL0` / `CNTP_CTL_EL0`, the
///   binding's Non-secure physical PPI). When EL2 exists, EL1 may use it only
///   with `CNTHCTL_EL2.EL1PCEN` (and `EL1PCTEN` for the count) set, which
///   boot/start.S does before it leaves EL2.
/// - at EL2, the EL2 physical timer (`CNTHP_CVAL_EL2` / `CNTHP_CTL_EL2`,
///   the binding's hypervisor PPI), as Xen uses for itself: the EL1 timers
///   then belong to whatever runs at EL1.
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

    /// The comparator for the exception level this CPU runs at
    /// (`CurrentEL` bits 3:2).
    static var comparator: Comparator {
        (arch_read_current_el() >> 2) & 3 == 2 ? .el2Physical : .el1Physical
    }

    /// The comparator's PPI, as the device tree names it.
    static func interrupt(in timer: GenericTimerDescription) -> InterruptID {
        switch comparator {
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
    static func fire(at deadline: UInt64) {
        program(compare: deadline, control: enable)
    }

    /// Stops this CPU's comparator; its PPI is no longer asserted.
    static func stop() {
        program(compare: 0, control: 0)
    }

    /// The one place that names the comparator's registers. The compare
    /// value is written before the control word, so an enabled timer never
    /// compares against a stale value.
    private static func program(compare: UInt64, control: UInt64) {
        switch comparator {
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
