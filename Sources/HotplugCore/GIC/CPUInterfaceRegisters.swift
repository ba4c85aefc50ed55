// The GICv3 CPU interface, system-register form (IHI 0069 §12.2): the
// registers this kernel uses, each with the type of value it holds, and
// those values. Named as the specification spells them.

/// The CPU interface registers, declared once with their value types.
public enum CPUInterfaceRegister {
    /// System Register Enable: whether the CPU interface is used through
    /// system registers (SRE) rather than the legacy memory-mapped one.
    public static let ICC_SRE_EL1 = SystemRegister<SystemRegisterEnable>(.ICC_SRE_EL1)
    /// Interrupt Priority Mask, bits 7:0: only interrupts of higher priority
    /// (a lower value) than this are signalled to the CPU.
    public static let ICC_PMR_EL1 = SystemRegister<UInt64>(.ICC_PMR_EL1)
    /// Binary Point for group 1: how a priority splits into group priority
    /// (preemption) and subpriority.
    public static let ICC_BPR1_EL1 = SystemRegister<UInt64>(.ICC_BPR1_EL1)
    /// Interrupt Controller Control.
    public static let ICC_CTLR_EL1 = SystemRegister<CPUInterfaceControl>(.ICC_CTLR_EL1)
    /// Interrupt Group 1 Enable.
    public static let ICC_IGRPEN1_EL1 = SystemRegister<InterruptGroupEnable>(.ICC_IGRPEN1_EL1)
    /// Interrupt Acknowledge for group 1: reading it makes the
    /// highest-priority pending interrupt active and returns its INTID.
    public static let ICC_IAR1_EL1 = SystemRegister<InterruptAcknowledge>(.ICC_IAR1_EL1)
    /// End Of Interrupt for group 1: the INTID written, bits 23:0.
    public static let ICC_EOIR1_EL1 = SystemRegister<UInt64>(.ICC_EOIR1_EL1)
    /// SGI Generation for group 1; values from `SoftwareGeneratedInterrupt`.
    public static let ICC_SGI1R_EL1 = SystemRegister<UInt64>(.ICC_SGI1R_EL1)
    /// Deactivate Interrupt: the INTID written, bits 23:0, is deactivated
    /// (with EOImode 1, after its priority drop).
    public static let ICC_DIR_EL1 = SystemRegister<UInt64>(.ICC_DIR_EL1)
}

/// The value of `ICC_SRE_EL1`, the System Register Enable register.
public struct SystemRegisterEnable: OptionSet, RegisterValue, Hashable, Sendable {
    public let rawValue: UInt64

    @inline(__always)
    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// SRE, bit 0: the system-register interface is enabled. At EL1 it can
    /// only be set if EL2 (`ICC_SRE_EL2.Enable`) allows it; boot/start.S
    /// sees to that before dropping from EL2.
    public static let SRE = SystemRegisterEnable(rawValue: 1 << 0)
    /// DFB, bit 1: FIQ bypass disabled.
    public static let DFB = SystemRegisterEnable(rawValue: 1 << 1)
    /// DIB, bit 2: IRQ bypass disabled.
    public static let DIB = SystemRegisterEnable(rawValue: 1 << 2)
}

/// The value of `ICC_CTLR_EL1`, the CPU Interface Control Register.
public struct CPUInterfaceControl: OptionSet, RegisterValue, Hashable, Sendable {
    public let rawValue: UInt64

    @inline(__always)
    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// CBPR, bit 0: `ICC_BPR0_EL1` also governs group 1.
    public static let CBPR = CPUInterfaceControl(rawValue: 1 << 0)
    /// EOImode, bit 1: set (this kernel), a write to `ICC_EOIR1_EL1` only
    /// drops the running priority and deactivation needs `ICC_DIR_EL1`;
    /// clear, the write does both.
    public static let EOImode = CPUInterfaceControl(rawValue: 1 << 1)
}

/// The value of `ICC_IGRPEN1_EL1`, Interrupt Group 1 Enable.
public struct InterruptGroupEnable: OptionSet, RegisterValue, Hashable, Sendable {
    public let rawValue: UInt64

    @inline(__always)
    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// Enable, bit 0: group 1 interrupts are signalled to this CPU.
    public static let Enable = InterruptGroupEnable(rawValue: 1 << 0)
}

/// A value read from `ICC_IAR1_EL1`: the INTID of the interrupt just
/// acknowledged, in bits 23:0 (bits 63:24 are RES0; with 16 INTID bits,
/// `GICD_TYPER.IDbits` = 15, bits 23:16 read 0 as well).
public struct InterruptAcknowledge: RegisterValue, Hashable, Sendable {
    /// The register value as read.
    public let rawValue: UInt64

    @inline(__always)
    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// INTID, bits 23:0.
    public static let interruptIDBits: UInt64 = 0xFF_FFFF

    /// The interrupt now active, or `InterruptID.spurious` (1023) when
    /// nothing of sufficient priority was pending.
    @inline(__always)
    public var interrupt: InterruptID {
        InterruptID(UInt32(truncatingIfNeeded: rawValue & InterruptAcknowledge.interruptIDBits))
    }
}

/// The interrupt priorities this kernel programs (IHI 0069, "Interrupt
/// prioritization"): a lower value is a higher priority, and the CPU
/// interface signals an interrupt only if its priority is higher
/// (numerically lower) than `ICC_PMR_EL1`.
public enum InterruptPriority {
    /// The priority every interrupt gets, SPIs in the distributor and SGIs
    /// and PPIs in each redistributor: mid-range, so it passes `mask`.
    public static let kernelDefault: UInt8 = 0xA0

    /// The `ICC_PMR_EL1` value every CPU runs with: the lowest priority, so
    /// every interrupt of a higher one (all of this kernel's) is signalled.
    public static let mask: UInt8 = 0xFF

    /// A 32-bit priority register (`GICD_IPRIORITYR<n>`,
    /// `GICR_IPRIORITYR<n>`) giving all four of its interrupts `priority`.
    @inline(__always)
    public static func word(_ priority: UInt8) -> UInt32 {
        UInt32(priority) * 0x0101_0101
    }
}
