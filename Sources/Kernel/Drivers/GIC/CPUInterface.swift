import HotplugCore

/// The GICv3 CPU interface, system-register form (IHI 0069 §12.2), of the
/// calling CPU. Every function acts on the CPU that runs it. The sequences,
/// with the barriers each access needs, are the pure core's
/// (`CPUInterfaceSequences`), run on `SystemRegisters`.
enum CPUInterface {
    /// Turns this CPU's interface on, EOImode 1, group 1 enabled last
    /// (`CPUInterfaceSequences.enable`, which says why EOImode 1). At EL2
    /// the physical `ICC_CTLR_EL1` governs EL2's own EOIs; the split is
    /// also what lets a guest-bound interrupt stay active after EL2's
    /// priority drop until the guest's own EOI deactivates it through its
    /// list register's HW bit.
    static func enable() {
        CPUInterfaceSequences.enable(SystemRegisters())
    }

    /// Stops delivery of group-1 interrupts to this CPU: the first step of
    /// going offline.
    static func disableGroup1() {
        CPUInterfaceSequences.disableGroup1(SystemRegisters())
    }

    /// `ICC_IAR1_EL1`, then DSB SY: the highest-priority pending interrupt,
    /// now active (1023 when there is none).
    @inline(__always)
    static func acknowledge() -> InterruptID {
        CPUInterfaceSequences.acknowledge(SystemRegisters())
    }

    /// The end of an interrupt the kernel handled itself: `ICC_EOIR1_EL1`
    /// (the priority drop), then `ICC_DIR_EL1` for an SGI, PPI or SPI (an
    /// LPI has no active state, so no DIR), each followed by an ISB.
    @inline(__always)
    static func endOfInterrupt(_ id: InterruptID) {
        CPUInterfaceSequences.endOfInterrupt(id, on: SystemRegisters())
    }

    /// `ICC_EOIR1_EL1` alone: the priority drop of an interrupt that stays
    /// active, a guest-bound one whose deactivation is the guest's EOI
    /// (list register HW = 1).
    @inline(__always)
    static func dropPriority(_ id: InterruptID) {
        CPUInterfaceSequences.dropPriority(id, on: SystemRegisters())
    }

    /// Sends SGI `id` to one CPU (`ICC_SGI1R_EL1`, never broadcast), DSB ISH
    /// before and ISB after.
    static func sendSGI(_ id: InterruptID, to target: MPIDRAffinity) {
        CPUInterfaceSequences.sendSGI(id, to: target, on: SystemRegisters())
    }
}

/// The calling CPU's GIC system registers and barriers: `MRS`, `MSR`, `ISB`
/// and `DSB` through the accessors of Arch/AArch64.h. Each function is
/// inlined with a constant register name, so the `switch` folds away and
/// the image executes the one instruction.
struct SystemRegisters: SystemRegisterFile {
    @inline(__always)
    func read(_ register: SystemRegisterName) -> UInt64 {
        switch register {
        case .ICC_SRE_EL1: return arch_read_icc_sre()
        case .ICC_PMR_EL1: return arch_read_icc_pmr()
        case .ICC_BPR1_EL1: return arch_read_icc_bpr1()
        case .ICC_CTLR_EL1: return arch_read_icc_ctlr()
        case .ICC_IGRPEN1_EL1: return arch_read_icc_igrpen1()
        case .ICC_IAR1_EL1: return arch_read_icc_iar1()
        case .ICC_EOIR1_EL1, .ICC_SGI1R_EL1, .ICC_DIR_EL1:
            fatalError("ICC_EOIR1_EL1, ICC_SGI1R_EL1 and ICC_DIR_EL1 are write-only")
        }
    }

    @inline(__always)
    func write(_ register: SystemRegisterName, _ value: UInt64) {
        switch register {
        case .ICC_SRE_EL1: arch_write_icc_sre(value)
        case .ICC_PMR_EL1: arch_write_icc_pmr(value)
        case .ICC_BPR1_EL1: arch_write_icc_bpr1(value)
        case .ICC_CTLR_EL1: arch_write_icc_ctlr(value)
        case .ICC_IGRPEN1_EL1: arch_write_icc_igrpen1(value)
        case .ICC_EOIR1_EL1: arch_write_icc_eoir1(value)
        case .ICC_SGI1R_EL1: arch_write_icc_sgi1r(value)
        case .ICC_DIR_EL1: arch_write_icc_dir(value)
        case .ICC_IAR1_EL1: fatalError("ICC_IAR1_EL1 is read-only")
        }
    }

    @inline(__always)
    func barrier(_ barrier: Barrier) {
        barrier.execute()
    }
}

extension Barrier {
    /// The barrier instruction itself (ISB, DSB SY, DSB ISH), for every
    /// system-register file of the image.
    @inline(__always)
    func execute() {
        switch self {
        case .instructionSynchronization: arch_isb()
        case .dataSynchronizationFullSystem: arch_dsb_sy()
        case .dataSynchronizationInnerShareable: arch_dsb_ish()
        }
    }
}
