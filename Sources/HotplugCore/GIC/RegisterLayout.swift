// Where the GICv3 registers this project uses live: the one place that
// declares distributor and redistributor registers (offset, width and the
// type of value each holds) and the bits of their control registers, named
// as the GICv3 specification (Arm IHI 0069, chapter 12, "Programmers'
// model") spells them. The CPU interface's system registers are in
// `CPUInterfaceRegisters.swift`.
//
// Only registers with affinity routing enabled (`GICD_CTLR.ARE` = 1) are
// listed; the legacy `GICD_ITARGETSR` / `GICD_SGIR` interface is never used.

// MARK: - Distributor

/// The distributor's registers (GICD, one 64 KiB frame), offsets from its
/// base.
///
/// The bit-, field- and byte-per-interrupt arrays start at INTID 0, so
/// their first registers (INTIDs 0–31, the per-CPU interrupts) are RAZ/WI
/// with affinity routing; those interrupts are configured in the
/// redistributor. The `…nE` arrays hold the extended SPIs and start at
/// INTID 4096.
///
/// Every declaration is a literal, register counts included (the
/// specification's n ranges), so that the image initialises each as a
/// constant rather than on first use; the host tests check each array's
/// last register against the specification.
public enum DistributorRegister {
    /// Size of the distributor register frame.
    public static let frameSize = 0x1_0000

    /// Distributor Control Register.
    public static let GICD_CTLR = Register<DistributorControl>(offset: 0x0000)
    /// Interrupt Controller Type Register.
    public static let GICD_TYPER = Register<DistributorType>(offset: 0x0004)
    /// Distributor Implementer Identification Register.
    public static let GICD_IIDR = Register<UInt32>(offset: 0x0008)

    /// Interrupt Group Registers, one bit per INTID (n = 0–31).
    public static let GICD_IGROUPR = RegisterArray<UInt32>(offset: 0x0080, count: 32, bitsPerInterrupt: 1)
    /// Interrupt Set-Enable Registers, one bit per INTID.
    public static let GICD_ISENABLER = RegisterArray<UInt32>(offset: 0x0100, count: 32, bitsPerInterrupt: 1)
    /// Interrupt Clear-Enable Registers, one bit per INTID.
    public static let GICD_ICENABLER = RegisterArray<UInt32>(offset: 0x0180, count: 32, bitsPerInterrupt: 1)
    /// Interrupt Set-Pending Registers, one bit per INTID.
    public static let GICD_ISPENDR = RegisterArray<UInt32>(offset: 0x0200, count: 32, bitsPerInterrupt: 1)
    /// Interrupt Clear-Pending Registers, one bit per INTID.
    public static let GICD_ICPENDR = RegisterArray<UInt32>(offset: 0x0280, count: 32, bitsPerInterrupt: 1)
    /// Interrupt Set-Active Registers, one bit per INTID.
    public static let GICD_ISACTIVER = RegisterArray<UInt32>(offset: 0x0300, count: 32, bitsPerInterrupt: 1)
    /// Interrupt Clear-Active Registers, one bit per INTID.
    public static let GICD_ICACTIVER = RegisterArray<UInt32>(offset: 0x0380, count: 32, bitsPerInterrupt: 1)
    /// Interrupt Priority Registers, one byte per INTID (n = 0–254);
    /// byte-accessible, written here a word at a time.
    public static let GICD_IPRIORITYR = RegisterArray<UInt32>(offset: 0x0400, count: 255, bitsPerInterrupt: 8)
    /// Interrupt Configuration Registers, two bits (Int_config) per INTID
    /// (n = 0–63).
    public static let GICD_ICFGR = RegisterArray<UInt32>(offset: 0x0C00, count: 64, bitsPerInterrupt: 2)
    /// Interrupt Group Modifier Registers, one bit per INTID.
    public static let GICD_IGRPMODR = RegisterArray<UInt32>(offset: 0x0D00, count: 32, bitsPerInterrupt: 1)

    /// Extended SPI Interrupt Group Registers, one bit per eSPI (n = 0–31).
    public static let GICD_IGROUPRnE = RegisterArray<UInt32>(
        offset: 0x1000, count: 32, bitsPerInterrupt: 1, firstInterrupt: InterruptID.firstExtendedSPI)
    /// Extended SPI Set-Enable Registers.
    public static let GICD_ISENABLERnE = RegisterArray<UInt32>(
        offset: 0x1200, count: 32, bitsPerInterrupt: 1, firstInterrupt: InterruptID.firstExtendedSPI)
    /// Extended SPI Clear-Enable Registers.
    public static let GICD_ICENABLERnE = RegisterArray<UInt32>(
        offset: 0x1400, count: 32, bitsPerInterrupt: 1, firstInterrupt: InterruptID.firstExtendedSPI)
    /// Extended SPI Set-Pending Registers.
    public static let GICD_ISPENDRnE = RegisterArray<UInt32>(
        offset: 0x1600, count: 32, bitsPerInterrupt: 1, firstInterrupt: InterruptID.firstExtendedSPI)
    /// Extended SPI Clear-Pending Registers.
    public static let GICD_ICPENDRnE = RegisterArray<UInt32>(
        offset: 0x1800, count: 32, bitsPerInterrupt: 1, firstInterrupt: InterruptID.firstExtendedSPI)
    /// Extended SPI Set-Active Registers.
    public static let GICD_ISACTIVERnE = RegisterArray<UInt32>(
        offset: 0x1A00, count: 32, bitsPerInterrupt: 1, firstInterrupt: InterruptID.firstExtendedSPI)
    /// Extended SPI Clear-Active Registers.
    public static let GICD_ICACTIVERnE = RegisterArray<UInt32>(
        offset: 0x1C00, count: 32, bitsPerInterrupt: 1, firstInterrupt: InterruptID.firstExtendedSPI)
    /// Extended SPI Priority Registers, one byte per eSPI (n = 0–255).
    public static let GICD_IPRIORITYRnE = RegisterArray<UInt32>(
        offset: 0x2000, count: 256, bitsPerInterrupt: 8, firstInterrupt: InterruptID.firstExtendedSPI)
    /// Extended SPI Configuration Registers, two bits per eSPI (n = 0–63).
    public static let GICD_ICFGRnE = RegisterArray<UInt32>(
        offset: 0x3000, count: 64, bitsPerInterrupt: 2, firstInterrupt: InterruptID.firstExtendedSPI)
    /// Extended SPI Group Modifier Registers.
    public static let GICD_IGRPMODRnE = RegisterArray<UInt32>(
        offset: 0x3400, count: 32, bitsPerInterrupt: 1, firstInterrupt: InterruptID.firstExtendedSPI)

    /// Interrupt Routing Registers, 64 bits per INTID: the register for
    /// INTID n is at 0x6000 + 8n (SPIs only, so the first used is n = 32 at
    /// 0x6100).
    public static let GICD_IROUTER = RegisterArray<RoutingTarget>(offset: 0x6000, count: 1020, bitsPerInterrupt: 64)
    /// Extended SPI Interrupt Routing Registers, 64 bits per eSPI
    /// (n = 0–1023).
    public static let GICD_IROUTERnE = RegisterArray<RoutingTarget>(
        offset: 0x8000, count: 1024, bitsPerInterrupt: 64, firstInterrupt: InterruptID.firstExtendedSPI)

    /// Peripheral ID2 Register: bits 7:4 give the architecture revision
    /// (0x3 GICv3, 0x4 GICv4).
    public static let GICD_PIDR2 = Register<PeripheralID2>(offset: 0xFFE8)
}

/// The registers that hold one bit per interrupt, named by their SPI form.
/// An SPI uses the named array; an extended SPI the matching `…nE` one.
public enum BitPerInterruptRegister: Sendable, CaseIterable {
    case GICD_IGROUPR
    case GICD_ISENABLER
    case GICD_ICENABLER
    case GICD_ISPENDR
    case GICD_ICPENDR
    case GICD_ISACTIVER
    case GICD_ICACTIVER
    case GICD_IGRPMODR

    /// The array that covers INTIDs 0–1023.
    public var spis: RegisterArray<UInt32> {
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

    /// The `…nE` array that covers INTIDs 4096–5119.
    public var extendedSPIs: RegisterArray<UInt32> {
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
    /// Of an SPI array and its `…nE` twin, the one holding `id`.
    /// Precondition: `id.isShared`.
    @inline(__always)
    private static func array<Value>(
        _ spis: RegisterArray<Value>, _ extendedSPIs: RegisterArray<Value>, holding id: InterruptID
    ) -> RegisterArray<Value> {
        precondition(id.isShared, "not an SPI or extended SPI")
        return id.kind == .extendedSPI ? extendedSPIs : spis
    }

    /// `id`'s bit in a one-bit-per-interrupt array: SPI n in register n / 32
    /// of the named array, bit n % 32; extended SPI 4096 + k in register
    /// k / 32 of the `…nE` array, bit k % 32. Its `mask` is the value that
    /// acts on just this interrupt in a set/clear register.
    /// Precondition: `id` is an SPI or extended SPI.
    @inline(__always)
    public static func bitRegister(_ bits: BitPerInterruptRegister, for id: InterruptID) -> InterruptField<UInt32> {
        array(bits.spis, bits.extendedSPIs, holding: id).field(for: id)
    }

    /// `id`'s priority byte: in `GICD_IPRIORITYR<n / 4>` for SPI n,
    /// `GICD_IPRIORITYR<k / 4>E` for extended SPI 4096 + k.
    /// Precondition: `id` is an SPI or extended SPI.
    @inline(__always)
    public static func priorityRegister(for id: InterruptID) -> InterruptField<UInt32> {
        array(GICD_IPRIORITYR, GICD_IPRIORITYRnE, holding: id).field(for: id)
    }

    /// `id`'s two-bit Int_config field: in `GICD_ICFGR<n / 16>`, shift
    /// 2 × (n % 16), for SPI n (`GICD_ICFGR<k / 16>E` for extended SPI
    /// 4096 + k). Bit 1 of the field set means edge-triggered.
    /// Precondition: `id` is an SPI or extended SPI.
    @inline(__always)
    public static func configurationRegister(for id: InterruptID) -> InterruptField<UInt32> {
        array(GICD_ICFGR, GICD_ICFGRnE, holding: id).field(for: id)
    }

    /// `id`'s 64-bit routing register: `GICD_IROUTER<n>` at 0x6000 + 8n for
    /// SPI n, `GICD_IROUTER<k>E` at 0x8000 + 8k for extended SPI 4096 + k.
    /// Precondition: `id` is an SPI or extended SPI.
    @inline(__always)
    public static func routerRegister(for id: InterruptID) -> Register<RoutingTarget> {
        let routers = array(GICD_IROUTER, GICD_IROUTERnE, holding: id)
        return routers[routers.index(for: id)]
    }
}

/// The value of `GICD_CTLR`, the Distributor Control Register (IHI 0069
/// §12.9.4): a set of control bits.
///
/// The register has three views: one Security state (`DS` = 1, as on QEMU
/// `virt`), and the Secure and Non-secure views of a GIC with two. The bits
/// this project uses sit at the same positions in the single-state and
/// Non-secure views, so each is listed under every name the specification
/// gives it.
public struct DistributorControl: OptionSet, RegisterValue, Hashable, Sendable {
    public let rawValue: UInt32

    @inline(__always)
    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    /// Register Write Pending, bit 31: a write to `GICD_CTLR` or to
    /// `GICD_ICENABLER` is still taking effect. Poll it clear, with a deadline.
    public static let RWP = DistributorControl(rawValue: 1 << 31)
    /// Disable Security, bit 6: the GIC has a single Security state. In the
    /// Non-secure view of a GIC with two, bit 6 is RES0, so a Non-secure
    /// caller reads 1 here exactly when there is one Security state
    /// (`DistributorSecurity`).
    public static let DS = DistributorControl(rawValue: 1 << 6)
    /// Affinity Routing Enable, bit 4 (single Security state).
    public static let ARE = DistributorControl(rawValue: 1 << 4)
    /// Affinity Routing Enable, Non-secure state: the same bit 4 as seen from
    /// Non-secure software when the GIC has two Security states.
    public static let ARE_NS = DistributorControl(rawValue: 1 << 4)
    /// Enable Group 1 interrupts, bit 1 (single Security state).
    public static let EnableGrp1 = DistributorControl(rawValue: 1 << 1)
    /// Enable Non-secure Group 1 interrupts, bit 1 (Secure view).
    public static let EnableGrp1NS = DistributorControl(rawValue: 1 << 1)
    /// Enable Non-secure Group 1 interrupts, bit 1 (Non-secure view, with
    /// `ARE_NS` set).
    public static let EnableGrp1A = DistributorControl(rawValue: 1 << 1)
    /// Enable Group 0 interrupts, bit 0 (single Security state; in the
    /// Non-secure view of a two-state GIC bit 0 is a legacy enable instead).
    public static let EnableGrp0 = DistributorControl(rawValue: 1 << 0)
}

// MARK: - Redistributor

/// The registers of one redistributor, offsets from its RD_base. Each
/// redistributor has an RD_base frame (control, identification, power)
/// followed by the SGI_base frame (the SGI and PPI configuration), 64 KiB
/// each; `RedistributorType.frameSize` gives the distance to the next
/// redistributor.
///
/// The specification gives the SGI_base registers as offsets from SGI_base;
/// they are declared here as `SGI_base` + that offset, so one register file
/// over RD_base reaches both frames.
public enum RedistributorRegister {
    /// Size of one 64 KiB frame (RD_base or SGI_base).
    public static let frameSize = 0x1_0000
    /// Offset of the SGI_base frame from RD_base.
    public static let SGI_base = 0x1_0000

    // RD_base frame

    /// Redistributor Control Register.
    public static let GICR_CTLR = Register<RedistributorControl>(offset: 0x0000)
    /// Redistributor Implementer Identification Register.
    public static let GICR_IIDR = Register<UInt32>(offset: 0x0004)
    /// Redistributor Type Register (64-bit).
    public static let GICR_TYPER = Register<RedistributorType>(offset: 0x0008)
    /// Redistributor Wake Register.
    public static let GICR_WAKER = Register<RedistributorWake>(offset: 0x0014)
    /// Peripheral ID2 Register: bits 7:4 give the architecture revision
    /// (0x3 GICv3, 0x4 GICv4).
    public static let GICR_PIDR2 = Register<PeripheralID2>(offset: 0xFFE8)

    // SGI_base frame

    /// Interrupt Group Register 0 (INTIDs 0–31), SGI_base + 0x0080.
    public static let GICR_IGROUPR0 = Register<UInt32>(offset: SGI_base + 0x0080)
    /// Interrupt Set-Enable Register 0, SGI_base + 0x0100.
    public static let GICR_ISENABLER0 = Register<UInt32>(offset: SGI_base + 0x0100)
    /// Interrupt Clear-Enable Register 0, SGI_base + 0x0180.
    public static let GICR_ICENABLER0 = Register<UInt32>(offset: SGI_base + 0x0180)
    /// Interrupt Set-Pending Register 0, SGI_base + 0x0200.
    public static let GICR_ISPENDR0 = Register<UInt32>(offset: SGI_base + 0x0200)
    /// Interrupt Clear-Pending Register 0, SGI_base + 0x0280.
    public static let GICR_ICPENDR0 = Register<UInt32>(offset: SGI_base + 0x0280)
    /// Interrupt Set-Active Register 0, SGI_base + 0x0300.
    public static let GICR_ISACTIVER0 = Register<UInt32>(offset: SGI_base + 0x0300)
    /// Interrupt Clear-Active Register 0, SGI_base + 0x0380.
    public static let GICR_ICACTIVER0 = Register<UInt32>(offset: SGI_base + 0x0380)
    /// Interrupt Priority Registers, one byte per INTID 0–31 (n = 0–7),
    /// SGI_base + 0x0400.
    public static let GICR_IPRIORITYR = RegisterArray<UInt32>(offset: SGI_base + 0x0400, count: 8, bitsPerInterrupt: 8)
    /// SGI Configuration Register (INTIDs 0–15), SGI_base + 0x0C00.
    public static let GICR_ICFGR0 = Register<UInt32>(offset: SGI_base + 0x0C00)
    /// PPI Configuration Register (INTIDs 16–31), SGI_base + 0x0C04.
    public static let GICR_ICFGR1 = Register<UInt32>(offset: SGI_base + 0x0C04)
    /// Interrupt Group Modifier Register 0, SGI_base + 0x0D00.
    public static let GICR_IGRPMODR0 = Register<UInt32>(offset: SGI_base + 0x0D00)
}

/// The value of `GICR_CTLR`, the Redistributor Control Register (IHI 0069,
/// GICR_CTLR).
public struct RedistributorControl: OptionSet, RegisterValue, Hashable, Sendable {
    public let rawValue: UInt32

    @inline(__always)
    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    /// Register Write Pending, bit 3: a write to `GICR_ICENABLER0` (or a
    /// change of `GICR_CTLR`'s enables) is still taking effect. Poll it
    /// clear, with a deadline, before relying on the interrupt being off.
    public static let RWP = RedistributorControl(rawValue: 1 << 3)
    /// Enable LPIs, bit 0.
    public static let EnableLPIs = RedistributorControl(rawValue: 1 << 0)
}

/// The value of `GICR_WAKER`, the Redistributor Wake Register (IHI 0069
/// §12.11.43). A PE's redistributor must be woken (ProcessorSleep cleared,
/// then ChildrenAsleep polled clear) before it delivers interrupts, and put
/// to sleep the other way round before the PE powers off. QEMU resets every
/// redistributor asleep. With two Security states the register is RAZ/WI
/// to Non-secure accesses and the handshake is the firmware's
/// (`DistributorSecurity`).
public struct RedistributorWake: OptionSet, RegisterValue, Hashable, Sendable {
    public let rawValue: UInt32

    @inline(__always)
    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    /// ProcessorSleep, bit 1: the PE is (to be treated as) asleep.
    public static let ProcessorSleep = RedistributorWake(rawValue: 1 << 1)
    /// ChildrenAsleep, bit 2 (read-only): the interface to the PE is quiescent.
    public static let ChildrenAsleep = RedistributorWake(rawValue: 1 << 2)
}
