/// What a CPU does with its own GICv3 CPU interface (IHI 0069 §12.2): turn
/// it on when it joins, turn group 1 off when it leaves, acknowledge and end
/// interrupts, send SGIs. Each is generic over the calling CPU's
/// `SystemRegisterFile`, and each puts the barriers the architecture asks
/// for next to the accesses that need them, so no caller can leave one out.
public enum CPUInterfaceSequences {
    /// Turns the calling CPU's interface on: the system-register interface
    /// enabled and synchronised before any other `ICC_*` access relies on
    /// it; every priority let through (`ICC_PMR_EL1` = `InterruptPriority.mask`);
    /// no preemption groups (`ICC_BPR1_EL1` = 0); EOImode 1, so an EOI only
    /// drops priority and deactivation is a separate `ICC_DIR_EL1` write
    /// (`endOfInterrupt`); then, last, group 1 enabled, and an ISB so that
    /// the enable is in effect before the caller unmasks.
    ///
    /// Why EOImode 1, in both images (the hypervisor needs it anyway, to
    /// leave a guest-bound SPI active after its own drop): an LPI has no
    /// active state, so its end of interrupt must be a priority drop and
    /// nothing more. Under EOImode 0 the `ICC_EOIR1_EL1` write of an LPI
    /// also asks for a deactivation; architecturally that does nothing,
    /// but QEMU's GICv3 (7.2 and 10.0 alike) carries it out on the
    /// distributor's SPI active bitmap at the LPI's INTID, thousands of
    /// bits past its end, and so clears bits of the `GICD_IROUTER<n>` it
    /// keeps behind that bitmap: the kernel's own SPIs (the PL011's and
    /// PL031's, INTIDs 33 and 34) were found routed to CPUs no write named.
    /// With the split, an LPI's EOI never deactivates, on any GIC.
    public static func enable<Interface: SystemRegisterFile>(_ interface: Interface) {
        let enable = interface.read(CPUInterfaceRegister.ICC_SRE_EL1)
        interface.write(CPUInterfaceRegister.ICC_SRE_EL1, enable.union(.SRE))
        interface.barrier(.instructionSynchronization)
        interface.write(CPUInterfaceRegister.ICC_PMR_EL1, UInt64(InterruptPriority.mask))
        interface.write(CPUInterfaceRegister.ICC_BPR1_EL1, 0)
        interface.write(CPUInterfaceRegister.ICC_CTLR_EL1, .EOImode)
        interface.write(CPUInterfaceRegister.ICC_IGRPEN1_EL1, .Enable)
        interface.barrier(.instructionSynchronization)
    }

    /// Stops delivery of group 1 interrupts to the calling CPU: the first
    /// step of going offline, and the precondition of setting
    /// `GICR_WAKER.ProcessorSleep` (`RedistributorSequences.sleep`). The ISB
    /// puts the disable in effect before the next instruction.
    public static func disableGroup1<Interface: SystemRegisterFile>(_ interface: Interface) {
        interface.write(CPUInterfaceRegister.ICC_IGRPEN1_EL1, [])
        interface.barrier(.instructionSynchronization)
    }

    /// `ICC_IAR1_EL1`: the highest-priority pending interrupt, now active
    /// (`InterruptID.spurious`, 1023, when there is none).
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
    public static func acknowledge<Interface: SystemRegisterFile>(_ interface: Interface) -> InterruptID {
        let acknowledged = interface.read(CPUInterfaceRegister.ICC_IAR1_EL1)
        interface.barrier(.dataSynchronizationFullSystem)
        return acknowledged.interrupt
    }

    /// The end of an interrupt the kernel handled itself (EOImode 1, set by
    /// `enable`): the priority drop, then, for an SGI, PPI, SPI or eSPI,
    /// its deactivation. An LPI gets the drop alone: it has no active state
    /// (IHI 0069, "LPIs"), as Linux's EOImode 1 path also leaves its
    /// deactivation out.
    @inline(__always)
    public static func endOfInterrupt<Interface: SystemRegisterFile>(_ id: InterruptID, on interface: Interface) {
        dropPriority(id, on: interface)
        if id.kind != .lpi { deactivate(id, on: interface) }
    }

    /// `ICC_EOIR1_EL1`: the priority drop (under EOImode 1, nothing more).
    ///
    /// ISB after the write, as Linux (`gic_write_eoir`) and Xen
    /// (`gicv3_eoi_irq`) do: a system-register write takes effect for later
    /// instructions only after a context synchronisation event, so without
    /// it the running priority could still be the interrupt's when the next
    /// instructions run, e.g. when interrupts are unmasked or the next
    /// `ICC_IAR1_EL1` read decides what can be taken.
    @inline(__always)
    public static func dropPriority<Interface: SystemRegisterFile>(_ id: InterruptID, on interface: Interface) {
        interface.write(CPUInterfaceRegister.ICC_EOIR1_EL1, UInt64(id.rawValue))
        interface.barrier(.instructionSynchronization)
    }

    /// `ICC_DIR_EL1`: the deactivation, after the drop; ISB after it for
    /// the same reason as after the drop (Linux's `gic_write_dir` too).
    @inline(__always)
    public static func deactivate<Interface: SystemRegisterFile>(_ id: InterruptID, on interface: Interface) {
        interface.write(CPUInterfaceRegister.ICC_DIR_EL1, UInt64(id.rawValue))
        interface.barrier(.instructionSynchronization)
    }

    /// Sends SGI `id` to the one CPU with `target` (`ICC_SGI1R_EL1`, never
    /// broadcast). DSB ISH before: the target must observe everything this
    /// CPU wrote before the SGI (its mailbox request) once it takes it,
    /// and the SGI write, a system-register access, is not ordered by the
    /// memory model. ISB after, so the SGI is sent before what follows.
    public static func sendSGI<Interface: SystemRegisterFile>(
        _ id: InterruptID, to target: MPIDRAffinity, on interface: Interface
    ) {
        interface.barrier(.dataSynchronizationInnerShareable)
        interface.write(CPUInterfaceRegister.ICC_SGI1R_EL1, SoftwareGeneratedInterrupt.registerValue(sending: id, to: target))
        interface.barrier(.instructionSynchronization)
    }
}
