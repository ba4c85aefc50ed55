// Where the GICv3 registers this project uses live: the one place that holds
// distributor and redistributor offsets and the bits of their control
// registers, named as the GICv3 specification (Arm IHI 0069, chapter 12,
// "Programmers' model") spells them.
//
// Only registers with affinity routing enabled (`GICD_CTLR.ARE` = 1) are
// listed; the legacy `GICD_ITARGETSR` / `GICD_SGIR` interface is never used.

// MARK: - Distributor

/// Offsets from the distributor base (GICD, one 64 KiB frame).
///
/// The bit-per-interrupt and byte-per-interrupt arrays start at INTID 0, so
/// their first word (INTIDs 0–31, the per-CPU interrupts) is RAZ/WI with
/// affinity routing; those interrupts are configured in the redistributor.
/// The `…nE` arrays hold the extended SPIs and start at INTID 4096.
public enum DistributorRegister {
    /// Size of the distributor register frame.
    public static let frameSize = 0x1_0000

    /// Distributor Control Register; bits in `DistributorControl`.
    public static let GICD_CTLR = 0x0000
    /// Interrupt Controller Type Register; decoded by `DistributorType`.
    public static let GICD_TYPER = 0x0004
    /// Distributor Implementer Identification Register.
    public static let GICD_IIDR = 0x0008

    /// Interrupt Group Registers, one bit per INTID.
    public static let GICD_IGROUPR = 0x0080
    /// Interrupt Set-Enable Registers, one bit per INTID.
    public static let GICD_ISENABLER = 0x0100
    /// Interrupt Clear-Enable Registers, one bit per INTID.
    public static let GICD_ICENABLER = 0x0180
    /// Interrupt Set-Pending Registers, one bit per INTID.
    public static let GICD_ISPENDR = 0x0200
    /// Interrupt Clear-Pending Registers, one bit per INTID.
    public static let GICD_ICPENDR = 0x0280
    /// Interrupt Set-Active Registers, one bit per INTID.
    public static let GICD_ISACTIVER = 0x0300
    /// Interrupt Clear-Active Registers, one bit per INTID.
    public static let GICD_ICACTIVER = 0x0380
    /// Interrupt Priority Registers, one byte per INTID.
    public static let GICD_IPRIORITYR = 0x0400
    /// Interrupt Configuration Registers, two bits per INTID.
    public static let GICD_ICFGR = 0x0C00
    /// Interrupt Group Modifier Registers, one bit per INTID.
    public static let GICD_IGRPMODR = 0x0D00

    /// Extended SPI Interrupt Group Registers, one bit per eSPI.
    public static let GICD_IGROUPRnE = 0x1000
    /// Extended SPI Set-Enable Registers.
    public static let GICD_ISENABLERnE = 0x1200
    /// Extended SPI Clear-Enable Registers.
    public static let GICD_ICENABLERnE = 0x1400
    /// Extended SPI Set-Pending Registers.
    public static let GICD_ISPENDRnE = 0x1600
    /// Extended SPI Clear-Pending Registers.
    public static let GICD_ICPENDRnE = 0x1800
    /// Extended SPI Set-Active Registers.
    public static let GICD_ISACTIVERnE = 0x1A00
    /// Extended SPI Clear-Active Registers.
    public static let GICD_ICACTIVERnE = 0x1C00
    /// Extended SPI Priority Registers, one byte per eSPI.
    public static let GICD_IPRIORITYRnE = 0x2000
    /// Extended SPI Configuration Registers, two bits per eSPI.
    public static let GICD_ICFGRnE = 0x3000
    /// Extended SPI Group Modifier Registers.
    public static let GICD_IGRPMODRnE = 0x3400

    /// Interrupt Routing Registers, 64 bits per INTID (SPIs only: the
    /// register for INTID n is at 0x6000 + 8n, so the first used is 0x6100).
    /// Values are `RoutingTarget`s.
    public static let GICD_IROUTER = 0x6000
    /// Extended SPI Interrupt Routing Registers, 64 bits per eSPI.
    public static let GICD_IROUTERnE = 0x8000

    /// Peripheral ID2 Register: bits 7:4 give the architecture revision
    /// (0x3 GICv3, 0x4 GICv4).
    public static let GICD_PIDR2 = 0xFFE8
}

/// The registers that hold one bit per interrupt, named by their SPI form.
/// An SPI uses the named register; an extended SPI the matching `…nE` one.
public enum BitPerInterruptRegister: Sendable, CaseIterable {
    case GICD_IGROUPR
    case GICD_ISENABLER
    case GICD_ICENABLER
    case GICD_ISPENDR
    case GICD_ICPENDR
    case GICD_ISACTIVER
    case GICD_ICACTIVER
    case GICD_IGRPMODR

    /// Offset of the array that covers INTIDs 0–1023.
    public var spiBase: Int {
        switch self {
        case .GICD_IGROUPR: return DistributorRegister.GICD_IGROUPR
        case .GICD_ISENABLER: return DistributorRegister.GICD_ISENABLER
        case .GICD_ICENABLER: return DistributorRegister.GICD_ICENABLER
        case .GICD_ISPENDR: return DistributorRegister.GICD_ISPENDR
        case .GICD_ICPENDR: return DistributorRegister.GICD_ICPENDR
        case .GICD_ISACTIVER: return DistributorRegister.GICD_ISACTIVER
        case .GICD_ICACTIVER: return DistributorRegister.GICD_ICACTIVER
        case .GICD_IGRPMODR: return DistributorRegister.GICD_IGRPMODR
        }
    }

    /// Offset of the `…nE` array that covers INTIDs 4096–5119.
    public var extendedSPIBase: Int {
        switch self {
        case .GICD_IGROUPR: return DistributorRegister.GICD_IGROUPRnE
        case .GICD_ISENABLER: return DistributorRegister.GICD_ISENABLERnE
        case .GICD_ICENABLER: return DistributorRegister.GICD_ICENABLERnE
        case .GICD_ISPENDR: return DistributorRegister.GICD_ISPENDRnE
        case .GICD_ICPENDR: return DistributorRegister.GICD_ICPENDRnE
        case .GICD_ISACTIVER: return DistributorRegister.GICD_ISACTIVERnE
        case .GICD_ICACTIVER: return DistributorRegister.GICD_ICACTIVERnE
        case .GICD_IGRPMODR: return DistributorRegister.GICD_IGRPMODRnE
        }
    }
}

extension DistributorRegister {
    /// The array an SPI or extended SPI lives in, and its index there.
    /// Precondition: `id.isShared`.
    @inline(__always)
    private static func placement(of id: InterruptID) -> (extended: Bool, index: Int) {
        precondition(id.isShared, "not an SPI or extended SPI")
        if id.kind == .extendedSPI {
            return (true, Int(id.rawValue - InterruptID.firstExtendedSPI))
        }
        return (false, Int(id.rawValue))
    }

    /// The 32-bit register holding `id`'s bit in the `base` array, as a byte
    /// offset from the distributor base, and the bit within that register.
    /// SPI n: `base` + 4 × (n / 32), bit n % 32. Extended SPI 4096 + k: the
    /// `…nE` array + 4 × (k / 32), bit k % 32.
    /// Precondition: `id` is an SPI or extended SPI.
    public static func bitRegister(base: BitPerInterruptRegister, for id: InterruptID) -> (offset: Int, bit: UInt32) {
        let (extended, index) = placement(of: id)
        let start = extended ? base.extendedSPIBase : base.spiBase
        return (start + 4 * (index / 32), UInt32(index % 32))
    }

    /// Byte offset of `id`'s priority byte: `GICD_IPRIORITYR` + n for an SPI,
    /// `GICD_IPRIORITYRnE` + k for extended SPI 4096 + k. The registers are
    /// byte-accessible.
    /// Precondition: `id` is an SPI or extended SPI.
    public static func priorityOffset(for id: InterruptID) -> Int {
        let (extended, index) = placement(of: id)
        return (extended ? GICD_IPRIORITYRnE : GICD_IPRIORITYR) + index
    }

    /// The 32-bit configuration register holding `id`'s two-bit Int_config
    /// field and the field's shift: `GICD_ICFGR` + 4 × (n / 16), shift
    /// 2 × (n % 16). Bit 1 of the field set means edge-triggered.
    /// Precondition: `id` is an SPI or extended SPI.
    public static func configurationRegister(for id: InterruptID) -> (offset: Int, shift: UInt32) {
        let (extended, index) = placement(of: id)
        let start = extended ? GICD_ICFGRnE : GICD_ICFGR
        return (start + 4 * (index / 16), UInt32(2 * (index % 16)))
    }

    /// Byte offset of `id`'s 64-bit routing register: 0x6000 + 8n for SPI n,
    /// 0x8000 + 8k for extended SPI 4096 + k.
    /// Precondition: `id` is an SPI or extended SPI.
    public static func routerOffset(for id: InterruptID) -> Int {
        let (extended, index) = placement(of: id)
        return (extended ? GICD_IROUTERnE : GICD_IROUTER) + 8 * index
    }
}

/// Bits of `GICD_CTLR`, the Distributor Control Register.
///
/// The register has three views: one Security state (`DS` = 1, as on QEMU
/// `virt`), and the Secure and Non-secure views of a GIC with two. The bits
/// this project uses sit at the same positions in the single-state and
/// Non-secure views, so each is listed under every name the specification
/// gives it.
public enum DistributorControl {
    /// Register Write Pending, bit 31: a write to `GICD_CTLR` or to
    /// `GICD_ICENABLER` is still taking effect. Poll it clear, with a deadline.
    public static let RWP: UInt32 = 1 << 31
    /// Disable Security, bit 6: the GIC has a single Security state. In the
    /// Non-secure view of a GIC with two, bit 6 is RES0, so a Non-secure
    /// caller reads 1 here exactly when there is one Security state
    /// (`DistributorSecurity`).
    public static let DS: UInt32 = 1 << 6
    /// Affinity Routing Enable, bit 4 (single Security state).
    public static let ARE: UInt32 = 1 << 4
    /// Affinity Routing Enable, Non-secure state: the same bit 4 as seen from
    /// Non-secure software when the GIC has two Security states.
    public static let ARE_NS: UInt32 = 1 << 4
    /// Enable Group 1 interrupts, bit 1 (single Security state).
    public static let EnableGrp1: UInt32 = 1 << 1
    /// Enable Non-secure Group 1 interrupts, bit 1 (Secure view).
    public static let EnableGrp1NS: UInt32 = 1 << 1
    /// Enable Non-secure Group 1 interrupts, bit 1 (Non-secure view, with
    /// `ARE_NS` set).
    public static let EnableGrp1A: UInt32 = 1 << 1
    /// Enable Group 0 interrupts, bit 0 (single Security state; in the
    /// Non-secure view of a two-state GIC bit 0 is a legacy enable instead).
    public static let EnableGrp0: UInt32 = 1 << 0
}

// MARK: - Redistributor

/// Offsets within one redistributor. Each has an RD_base frame (control,
/// identification, power) followed by the SGI_base frame (the SGI and PPI
/// configuration), 64 KiB each; `RedistributorType.frameSize` gives the
/// distance to the next redistributor.
public enum RedistributorRegister {
    /// Size of one 64 KiB frame (RD_base or SGI_base).
    public static let frameSize = 0x1_0000
    /// Offset of the SGI_base frame from RD_base: add it to the
    /// `GICR_…0` offsets below.
    public static let SGI_base = 0x1_0000

    // RD_base frame

    /// Redistributor Control Register; bits in `RedistributorControl`.
    public static let GICR_CTLR = 0x0000
    /// Redistributor Implementer Identification Register.
    public static let GICR_IIDR = 0x0004
    /// Redistributor Type Register (64-bit); decoded by `RedistributorType`.
    public static let GICR_TYPER = 0x0008
    /// Redistributor Wake Register; bits in `RedistributorWake`.
    public static let GICR_WAKER = 0x0014
    /// Peripheral ID2 Register: bits 7:4 give the architecture revision
    /// (0x3 GICv3, 0x4 GICv4); decoded by `PeripheralID2`.
    public static let GICR_PIDR2 = 0xFFE8

    // SGI_base frame: offsets from SGI_base, not from RD_base.

    /// Interrupt Group Register 0 (INTIDs 0–31), from SGI_base.
    public static let GICR_IGROUPR0 = 0x0080
    /// Interrupt Set-Enable Register 0, from SGI_base.
    public static let GICR_ISENABLER0 = 0x0100
    /// Interrupt Clear-Enable Register 0, from SGI_base.
    public static let GICR_ICENABLER0 = 0x0180
    /// Interrupt Set-Pending Register 0, from SGI_base.
    public static let GICR_ISPENDR0 = 0x0200
    /// Interrupt Clear-Pending Register 0, from SGI_base.
    public static let GICR_ICPENDR0 = 0x0280
    /// Interrupt Set-Active Register 0, from SGI_base.
    public static let GICR_ISACTIVER0 = 0x0300
    /// Interrupt Clear-Active Register 0, from SGI_base.
    public static let GICR_ICACTIVER0 = 0x0380
    /// Interrupt Priority Registers, one byte per INTID 0–31, from SGI_base.
    public static let GICR_IPRIORITYR = 0x0400
    /// SGI Configuration Register (INTIDs 0–15), from SGI_base.
    public static let GICR_ICFGR0 = 0x0C00
    /// PPI Configuration Register (INTIDs 16–31), from SGI_base.
    public static let GICR_ICFGR1 = 0x0C04
    /// Interrupt Group Modifier Register 0, from SGI_base.
    public static let GICR_IGRPMODR0 = 0x0D00
}

/// Bits of `GICR_CTLR`, the Redistributor Control Register.
public enum RedistributorControl {
    /// Register Write Pending, bit 3: a write to `GICR_ICENABLER0` (or a
    /// change of `GICR_CTLR`'s enables) is still taking effect. Poll it
    /// clear, with a deadline, before relying on the interrupt being off.
    public static let RWP: UInt32 = 1 << 3
    /// Enable LPIs, bit 0.
    public static let EnableLPIs: UInt32 = 1 << 0
}

/// Bits of `GICR_WAKER`, the Redistributor Wake Register. A PE's
/// redistributor must be woken (ProcessorSleep cleared, then ChildrenAsleep
/// polled clear) before it delivers interrupts, and put to sleep the other
/// way round before the PE powers off. QEMU resets every redistributor asleep.
/// With two Security states the register is RAZ/WI to Non-secure accesses and
/// the handshake is the firmware's (`DistributorSecurity`).
public enum RedistributorWake {
    /// ProcessorSleep, bit 1: the PE is (to be treated as) asleep.
    public static let ProcessorSleep: UInt32 = 1 << 1
    /// ChildrenAsleep, bit 2 (read-only): the interface to the PE is quiescent.
    public static let ChildrenAsleep: UInt32 = 1 << 2
}
