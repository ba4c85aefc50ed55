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
    ///
    /// DSB SY after the read, as Linux (`gic_read_iar_common`) and Xen do:
    /// the read is a system-register access, which memory barriers do not
    /// order, and its effect (the interrupt made active in the GIC, its
    /// pending state consumed) is only guaranteed to be observed by the
    /// distributor and redistributors, and ordered before this CPU's
    /// following memory accesses (the handler's reads of its device, the
    /// descriptor, a `GICD_ISACTIVER` read) once a DSB completes (IHI 0069,
    /// "Observability of the effects of accesses to the GIC registers"). No
    /// ISB: the architecture makes the read self-synchronising for this
    /// CPU's own interrupt signalling, so unmasking right after it cannot
    /// take the same interrupt again.
    @inline(__always)
    static func acknowledge() -> InterruptID {
        let value = arch_read_icc_iar1()
        arch_dsb_sy()
        return InterruptID(UInt32(truncatingIfNeeded: value & 0xFF_FFFF))
    }

    /// `ICC_EOIR1_EL1`: priority drop and deactivation (EOImode 0).
    ///
    /// ISB after the write, as Linux (`gic_write_eoir`) and Xen
    /// (`gicv3_eoi_irq`) do: a system-register write takes effect for later
    /// instructions only after a context synchronisation event, so without
    /// it the running priority could still be the interrupt's when the next
    /// instructions run, e.g. when interrupts are unmasked or the next
    /// `ICC_IAR1_EL1` read decides what can be taken.
    @inline(__always)
    static func endOfInterrupt(_ id: InterruptID) {
        arch_write_icc_eoir1(UInt64(id.rawValue))
        arch_isb()
    }

    /// Sends SGI `id` to one CPU (`ICC_SGI1R_EL1`, never broadcast).
    static func sendSGI(_ id: InterruptID, to target: MPIDRAffinity) {
        arch_dsb_ish()                   // the target must see what we wrote before the SGI
        arch_write_icc_sgi1r(SoftwareGeneratedInterrupt.registerValue(sending: id, to: target))
        arch_isb()
    }
}
