/// The GICv3 CPU interface, system-register form (IHI 0069 §12.2), of the
/// calling CPU. Every function acts on the CPU that runs it.
enum CPUInterface {
    /// Enables the system-register interface, lets every priority through
    /// (`ICC_PMR_EL1` = 0xFF), uses no preemption groups, and enables group
    /// 1 (§12.2.15-12.2.20).
    static func enable() {
        arch_write_icc_sre(arch_read_icc_sre() | 1)
        arch_isb()
        arch_write_icc_pmr(0xFF)
        arch_write_icc_bpr1(0)
        arch_write_icc_ctlr(0)           // EOImode 0: EOI both drops priority and deactivates
        arch_write_icc_igrpen1(1)
        arch_isb()
    }

    /// Stops delivery of group-1 interrupts to this CPU: the first step of
    /// going offline.
    static func disableGroup1() {
        arch_write_icc_igrpen1(0)
        arch_isb()
    }

    /// `ICC_IAR1_EL1`: the highest-priority pending interrupt, now active
    /// (1023 when there is none).
    @inline(__always)
    static func acknowledge() -> InterruptID {
        InterruptID(UInt32(truncatingIfNeeded: arch_read_icc_iar1() & 0xFF_FFFF))
    }

    /// `ICC_EOIR1_EL1`: priority drop and deactivation (EOImode 0).
    @inline(__always)
    static func endOfInterrupt(_ id: InterruptID) {
        arch_write_icc_eoir1(UInt64(id.rawValue))
    }

    /// Sends SGI `id` to one CPU (`ICC_SGI1R_EL1`, never broadcast).
    static func sendSGI(_ id: InterruptID, to target: MPIDRAffinity) {
        arch_dsb_ish()                   // the target must see what we wrote before the SGI
        arch_write_icc_sgi1r(SoftwareGeneratedInterrupt.registerValue(sending: id, to: target))
        arch_isb()
    }
}
