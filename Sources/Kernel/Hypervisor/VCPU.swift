import HotplugCore

/// The saved state of one vCPU: the world switch's frame (general and
/// FP/SIMD registers, PC and PSTATE, the last exit's syndrome), its EL1
/// system registers and its virtual CPU interface (list registers, active
/// priorities, VMCR, HCR). Loaded onto the pCPU that runs it and saved when
/// it leaves, so whatever is in flight in its list registers travels with
/// it.
///
/// Owned by whoever the scheduler says (`Scheduling.loadedOn`): the pCPU
/// it is loaded on, or, while saved, the pCPU that next loads it. Never two
/// at once, so it needs no lock of its own.
struct VCPURegisters {
    var frame = guest_frame()
    var system = guest_system_registers()
    var interface: VirtualCPUInterfaceContext
    /// What the guest reads as MPIDR_EL1: Aff0 = its index in the domain
    /// (bit 31 RES1), as the guest contract says.
    let virtualMPIDR: UInt64
    /// Its domain's `VTTBR_EL2`.
    let translationTableBase: UInt64

    /// A vCPU that has not run: it starts at the guest's entry, at EL1h
    /// with DAIF masked and its MMU off (SCTLR_EL1's RES1 bits only), x0 = 0.
    init(index: Int, translationTableBase: UInt64, implementation: VirtualInterfaceType) {
        interface = VirtualCPUInterfaceContext(for: implementation)
        virtualMPIDR = 1 << 31 | UInt64(index)
        self.translationTableBase = translationTableBase
        frame.elr = GuestLayout.ramBase
        frame.spsr = VCPURegisters.entryState
        system.sctlr = VCPURegisters.resetSystemControl
    }

    /// SPSR_EL2 for the first entry: EL1h (0b0101), D, A, I and F masked.
    static let entryState: UInt64 = 0x3C5
    /// SCTLR_EL1 at reset: its RES1 bits, MMU and caches off.
    static let resetSystemControl: UInt64 = 0x30D0_0800

    /// Puts this vCPU's state on the calling pCPU: stage 2 (VTTBR_EL2),
    /// VMPIDR_EL2, the EL1 registers, the virtual CPU interface (enabled
    /// last, `VirtualCPUInterfaceContext.restore`), then HCR_EL2 for guests.
    mutating func load() {
        arch_write_vttbr(translationTableBase)
        arch_write_vmpidr(virtualMPIDR)
        arch_load_guest_system_registers(&system)
        interface.restore(to: VirtualInterfaceRegisters())
        arch_write_hcr(GuestControl.running)
        arch_isb()
    }

    /// Takes this vCPU's state off the calling pCPU (EL1 registers, then
    /// the interface, which `save` leaves disabled with its list registers
    /// empty).
    mutating func save() {
        arch_save_guest_system_registers(&system)
        interface.save(from: VirtualInterfaceRegisters())
    }
}

/// HCR_EL2 while a guest runs (Arm ARM, HCR_EL2): RW (EL1 is AArch64), VM
/// (stage 2 on), IMO/FMO/AMO (physical interrupts to EL2, the guest's
/// ICC_* to the virtual interface), TWI (a guest's WFI that would sleep
/// traps: the scheduler's yield), TSC (a guest's SMC traps: it has no
/// firmware of its own).
enum GuestControl {
    static let running: UInt64 = 1 << 31 | 1 << 19 | 1 << 13 | 1 << 5 | 1 << 4 | 1 << 3 | 1 << 0
}
