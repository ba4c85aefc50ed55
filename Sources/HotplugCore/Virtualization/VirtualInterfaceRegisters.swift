// The other registers of the GICv3 virtual CPU interface's EL2 view
// (IHI 0069 §12.4): control, type, the virtual machine's own control
// state, active priorities, and the three status registers read after a
// maintenance interrupt or before a context switch.

/// `ICH_HCR_EL2`, the Interrupt Controller Hyp Control Register: enables
/// the virtual CPU interface, picks the maintenance interrupts, and counts
/// the guest's EOIs that found no list register.
public struct HypervisorControl: OptionSet, RegisterValue, Hashable, Sendable {
    public let rawValue: UInt64

    @inline(__always)
    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// En, bit 0: the virtual CPU interface is enabled.
    public static let En = HypervisorControl(rawValue: 1 << 0)
    /// UIE, bit 1: maintenance interrupt when the list registers are empty
    /// or hold one valid entry (underflow: time to refill them).
    public static let UIE = HypervisorControl(rawValue: 1 << 1)
    /// LRENPIE, bit 2: maintenance interrupt while `EOIcount` is not 0 (the
    /// guest ended an interrupt no list register held).
    public static let LRENPIE = HypervisorControl(rawValue: 1 << 2)
    /// NPIE, bit 3: maintenance interrupt when no list register is pending.
    public static let NPIE = HypervisorControl(rawValue: 1 << 3)
    /// VGrp0EIE, bit 4; VGrp0DIE, bit 5; VGrp1EIE, bit 6; VGrp1DIE, bit 7:
    /// maintenance interrupts while the guest's group 0 / group 1 is enabled
    /// / disabled.
    public static let VGrp0EIE = HypervisorControl(rawValue: 1 << 4)
    public static let VGrp0DIE = HypervisorControl(rawValue: 1 << 5)
    public static let VGrp1EIE = HypervisorControl(rawValue: 1 << 6)
    public static let VGrp1DIE = HypervisorControl(rawValue: 1 << 7)
    /// TDIR, bit 14: trap the guest's writes to `ICC_DIR_EL1`/`ICV_DIR_EL1`.
    public static let TDIR = HypervisorControl(rawValue: 1 << 14)

    /// EOIcount, bits 31:27.
    public static let eoiCountShift: UInt64 = 27
    public static let eoiCountMask: UInt64 = 0x1F << 27

    /// EOIcount: the guest's deactivations that found no list register (a
    /// 5-bit counter the hypervisor reads and clears).
    public var eoiCount: Int { Int((rawValue & HypervisorControl.eoiCountMask) >> HypervisorControl.eoiCountShift) }

    /// The same value with EOIcount cleared, as written back after the
    /// hypervisor has handled the count.
    public var clearingEOICount: HypervisorControl { HypervisorControl(rawValue: rawValue & ~HypervisorControl.eoiCountMask) }
}

/// `ICH_VTR_EL2`, the VGIC Type Register: what this PE's virtual CPU
/// interface implements. Read-only; every count field is "minus one".
public struct VirtualInterfaceType: RegisterValue, Hashable, Sendable {
    public let rawValue: UInt64

    @inline(__always)
    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// ListRegs, bits 4:0, plus one: the list registers implemented
    /// (`ICH_LR<n>_EL2` for n at or above it are UNDEFINED). The
    /// architecture names only `ICH_LR0_EL2` to `ICH_LR15_EL2`, so a field
    /// above 15 is read as 16.
    public var listRegisterCount: Int { min(Int(rawValue & 0x1F) + 1, 16) }
    /// PREbits, bits 28:26, plus one: virtual preemption bits (at least 5).
    public var preemptionBits: Int { Int((rawValue >> 26) & 0b111) + 1 }
    /// PRIbits, bits 31:29, plus one: virtual priority bits (at least 5).
    public var priorityBits: Int { Int((rawValue >> 29) & 0b111) + 1 }
    /// IDbits, bits 25:23: 0b000 for 16-bit vINTIDs, 0b001 for 24-bit.
    public var virtualIDBits: Int { (rawValue >> 23) & 0b111 == 0b001 ? 24 : 16 }
    /// SEIS, bit 22: the virtual interface can generate SEIs.
    public var supportsSystemErrors: Bool { rawValue & (1 << 22) != 0 }
    /// A3V, bit 21: the virtual interface supports non-zero Aff3 in SGIs.
    public var affinity3Valid: Bool { rawValue & (1 << 21) != 0 }
    /// nV4, bit 20: direct injection of virtual interrupts is NOT supported.
    public var noDirectInjection: Bool { rawValue & (1 << 20) != 0 }
    /// TDS, bit 19: `ICH_HCR_EL2.TDIR` is implemented.
    public var separateDIRTrap: Bool { rawValue & (1 << 19) != 0 }

    /// How many `ICH_AP1R<n>_EL2` (and `ICH_AP0R<n>_EL2`) registers hold
    /// state: one bit per group priority, 2^PREbits of them, 32 per
    /// register: 1 for 5 bits, 2 for 6, 4 for 7 (IHI 0069 §12.4,
    /// "ICH_AP1R<n>_EL2"). Only these are saved and restored.
    public var activePriorityRegisterCount: Int {
        switch preemptionBits {
        case ...5: return 1
        case 6: return 2
        default: return 4
        }
    }

    /// A value with these fields, for tests and for describing an
    /// implementation: `listRegisters` 1...16, `preemptionBits` 5...7 (the
    /// four AP1Rs hold 128 group priorities at most), `priorityBits` 5...8,
    /// `preemptionBits <= priorityBits`.
    public init(listRegisters: Int, preemptionBits: Int, priorityBits: Int) {
        precondition((1 ... 16).contains(listRegisters), "ICH_VTR_EL2.ListRegs: 1 to 16 list registers")
        precondition((5 ... 7).contains(preemptionBits) && (5 ... 8).contains(priorityBits) && preemptionBits <= priorityBits,
                      "ICH_VTR_EL2: PREbits 5 to 7, PRIbits 5 to 8, PREbits <= PRIbits")
        rawValue = UInt64(listRegisters - 1) | UInt64(preemptionBits - 1) << 26 | UInt64(priorityBits - 1) << 29
    }
}

/// `ICH_VMCR_EL2`, the Virtual Machine Control Register: the guest's own
/// view of its CPU interface (`ICV_PMR_EL1`, `ICV_BPR<n>_EL1`,
/// `ICV_IGRPEN<n>_EL1`, `ICV_CTLR_EL1.EOImode`), saved and restored with
/// the vCPU. The flags are the option set; the three fields are read with
/// the properties and set with `init(flags:priorityMask:binaryPoint0:binaryPoint1:)`.
public struct VirtualMachineControl: OptionSet, RegisterValue, Hashable, Sendable {
    public let rawValue: UInt64

    @inline(__always)
    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// VENG0, bit 0: the guest's group 0 is enabled (`ICV_IGRPEN0_EL1`).
    public static let VENG0 = VirtualMachineControl(rawValue: 1 << 0)
    /// VENG1, bit 1: the guest's group 1 is enabled (`ICV_IGRPEN1_EL1`).
    public static let VENG1 = VirtualMachineControl(rawValue: 1 << 1)
    /// VAckCtl, bit 2 (legacy; RES0 with system registers only).
    public static let VAckCtl = VirtualMachineControl(rawValue: 1 << 2)
    /// VFIQEn, bit 3 (legacy; RES1 with system registers only).
    public static let VFIQEn = VirtualMachineControl(rawValue: 1 << 3)
    /// VCBPR, bit 4: VBPR0 also governs group 1.
    public static let VCBPR = VirtualMachineControl(rawValue: 1 << 4)
    /// VEOIM, bit 9: the guest's EOI only drops priority; deactivation is
    /// its DIR (`ICV_CTLR_EL1.EOImode`).
    public static let VEOIM = VirtualMachineControl(rawValue: 1 << 9)

    /// VPMR, bits 31:24: the guest's priority mask (`ICV_PMR_EL1`).
    public var priorityMask: UInt8 { UInt8(truncatingIfNeeded: rawValue >> 24) }
    /// VBPR0, bits 23:21 (`ICV_BPR0_EL1`).
    public var binaryPoint0: Int { Int((rawValue >> 21) & 0b111) }
    /// VBPR1, bits 20:18 (`ICV_BPR1_EL1`).
    public var binaryPoint1: Int { Int((rawValue >> 18) & 0b111) }

    /// `flags` with the three fields: `binaryPoint0` and `binaryPoint1` are
    /// 0...7.
    public init(flags: VirtualMachineControl, priorityMask: UInt8, binaryPoint0: Int, binaryPoint1: Int) {
        precondition((0 ... 7).contains(binaryPoint0) && (0 ... 7).contains(binaryPoint1), "ICH_VMCR_EL2.VBPR<n> holds 3 bits")
        rawValue = flags.rawValue & 0x21F | UInt64(priorityMask) << 24 | UInt64(binaryPoint0) << 21 | UInt64(binaryPoint1) << 18
    }
}

/// `ICH_AP1R<n>_EL2`, the group 1 active priorities registers: bit `x` of
/// register `n` is set while a group 1 virtual interrupt of group priority
/// `32 n + x` is active in the guest (IHI 0069 §12.4). The group priority
/// of a priority is its top `ICH_VTR_EL2.PREbits + 1` bits. Bit 63 of
/// `ICH_AP1R0_EL2` is NMI (FEAT_GICv3_NMI): a non-maskable one is active.
public struct ActivePriorities: RegisterValue, Hashable, Sendable {
    public let rawValue: UInt64

    @inline(__always)
    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// Nothing active.
    public static let none = ActivePriorities(rawValue: 0)

    /// NMI, bit 63 (register 0 only).
    public static let nmiBit: UInt64 = 1 << 63

    /// Where `priority` is recorded when active, with `preemptionBits`
    /// (5...7) of group priority: the register `n` and the bit in it.
    public static func position(of priority: UInt8, preemptionBits: Int) -> (register: Int, bit: Int) {
        precondition((5 ... 7).contains(preemptionBits), "ICH_AP1R<n>_EL2: 5 to 7 preemption bits")
        let groupPriority = Int(priority) >> (8 - preemptionBits)
        return (groupPriority / 32, groupPriority % 32)
    }

    /// Whether bit `bit` (0...31) is set.
    public func contains(bit: Int) -> Bool { rawValue & (1 << UInt64(bit)) != 0 }
}

/// A set of list registers, bit `n` for `ICH_LR<n>_EL2`: the value of
/// `ICH_ELRSR_EL2` (the empty ones) and of `ICH_EISR_EL2` (the ones with an
/// EOI maintenance interrupt outstanding). Bits 63:16 are RES0.
public struct ListRegisterSet: RegisterValue, Hashable, Sendable {
    public let rawValue: UInt64

    @inline(__always)
    public init(rawValue: UInt64) {
        self.rawValue = rawValue & 0xFFFF
    }

    /// Whether `ICH_LR<index>_EL2` is in the set.
    public func contains(_ index: Int) -> Bool {
        index >= 0 && index < 16 && rawValue & (1 << UInt64(index)) != 0
    }

    /// The lowest-numbered register in the set below `count` (the
    /// implemented ones), or nil: where to write a new interrupt when the
    /// set is `ICH_ELRSR_EL2`.
    public func first(below count: Int) -> Int? {
        let bits = rawValue & ((1 << UInt64(min(count, 16))) - 1)
        return bits == 0 ? nil : bits.trailingZeroBitCount
    }

    /// What `ICH_ELRSR_EL2` reads for these list register values (register
    /// `n` at index `n`).
    public static func emptyRegisters<Registers: Sequence<ListRegister>>(_ registers: Registers) -> ListRegisterSet {
        set(registers) { $0.isEmpty }
    }

    /// What `ICH_EISR_EL2` reads for these list register values.
    public static func endOfInterruptStatus<Registers: Sequence<ListRegister>>(_ registers: Registers) -> ListRegisterSet {
        set(registers) { $0.hasEOIMaintenance }
    }

    private static func set<Registers: Sequence<ListRegister>>(_ registers: Registers, _ member: (ListRegister) -> Bool) -> ListRegisterSet {
        var bits: UInt64 = 0
        var index: UInt64 = 0
        for register in registers where index < 16 {
            if member(register) { bits |= 1 << index }
            index += 1
        }
        return ListRegisterSet(rawValue: bits)
    }
}

/// `ICH_MISR_EL2`, the Maintenance Interrupt State Register: which
/// conditions enabled in `ICH_HCR_EL2` are asserting the maintenance
/// interrupt. Read-only.
public struct MaintenanceInterruptState: OptionSet, RegisterValue, Hashable, Sendable {
    public let rawValue: UInt64

    @inline(__always)
    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// EOI, bit 0: `ICH_EISR_EL2` is not zero.
    public static let EOI = MaintenanceInterruptState(rawValue: 1 << 0)
    /// U, bit 1: underflow (`UIE`, at most one valid list register).
    public static let U = MaintenanceInterruptState(rawValue: 1 << 1)
    /// LRENP, bit 2: `LRENPIE` and `EOIcount` not zero.
    public static let LRENP = MaintenanceInterruptState(rawValue: 1 << 2)
    /// NP, bit 3: `NPIE` and no list register pending.
    public static let NP = MaintenanceInterruptState(rawValue: 1 << 3)
    /// VGrp0E, VGrp0D, VGrp1E, VGrp1D, bits 4 to 7.
    public static let VGrp0E = MaintenanceInterruptState(rawValue: 1 << 4)
    public static let VGrp0D = MaintenanceInterruptState(rawValue: 1 << 5)
    public static let VGrp1E = MaintenanceInterruptState(rawValue: 1 << 6)
    public static let VGrp1D = MaintenanceInterruptState(rawValue: 1 << 7)
}
