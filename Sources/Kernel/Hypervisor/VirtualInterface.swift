import HotplugCore

/// This PE's virtual CPU interface (IHI 0069 §12.5, the `ICH_*_EL2`
/// registers) as the pure core's `VirtualInterfaceRegisterFile`: what
/// `VirtualCPUInterfaceContext.save` and `restore` move when a vCPU leaves
/// or joins this PE. Each access is one `MRS`/`MSR` (AArch64.h); list
/// registers and active-priority registers by number, which must be
/// implemented (`ICH_VTR_EL2`).
struct VirtualInterfaceRegisters: VirtualInterfaceRegisterFile {
    @inline(__always)
    func read(_ register: VirtualInterfaceRegisterName) -> UInt64 {
        switch register {
        case .ICH_LR_EL2(let n): return arch_read_ich_lr(UInt64(n))
        case .ICH_AP1R_EL2(let n): return arch_read_ich_ap1r(UInt64(n))
        case .ICH_VMCR_EL2: return arch_read_ich_vmcr()
        case .ICH_HCR_EL2: return arch_read_ich_hcr()
        case .ICH_VTR_EL2: return arch_read_ich_vtr()
        case .ICH_ELRSR_EL2: return arch_read_ich_elrsr()
        case .ICH_EISR_EL2: return arch_read_ich_eisr()
        case .ICH_MISR_EL2: return arch_read_ich_misr()
        }
    }

    @inline(__always)
    func write(_ register: VirtualInterfaceRegisterName, _ value: UInt64) {
        switch register {
        case .ICH_LR_EL2(let n): arch_write_ich_lr(UInt64(n), value)
        case .ICH_AP1R_EL2(let n): arch_write_ich_ap1r(UInt64(n), value)
        case .ICH_VMCR_EL2: arch_write_ich_vmcr(value)
        case .ICH_HCR_EL2: arch_write_ich_hcr(value)
        case .ICH_VTR_EL2, .ICH_ELRSR_EL2, .ICH_EISR_EL2, .ICH_MISR_EL2:
            fatalError("ICH_VTR_EL2, ICH_ELRSR_EL2, ICH_EISR_EL2 and ICH_MISR_EL2 are read-only")
        }
    }

    @inline(__always)
    func barrier(_ barrier: Barrier) {
        barrier.execute()
    }

    /// What this PE implements (`ICH_VTR_EL2`): list registers, priority
    /// bits. Every PE of the machine is taken to report the same, since a
    /// vCPU's saved interface moves between them.
    static var implementation: VirtualInterfaceType {
        VirtualInterfaceType(rawValue: arch_read_ich_vtr())
    }

    /// The list registers that hold nothing now (`ICH_ELRSR_EL2`).
    static var emptyListRegisters: ListRegisterSet {
        ListRegisterSet(rawValue: arch_read_ich_elrsr())
    }
}
