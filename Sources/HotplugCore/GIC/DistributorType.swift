/// A decoded `GICD_TYPER`, the Interrupt Controller Type Register
/// (Arm IHI 0069 §12.9.38): which INTIDs the distributor implements and which
/// optional features it has.
///
/// Field names follow the specification; each property names its field.
/// QEMU `virt` with `gic-version=3` reads 0x037A_0007: SPIs 32–255, No1N,
/// A3V, LPIS, 16 INTID bits, no extended SPIs.
public struct DistributorType: RegisterValue, Hashable, Sendable {
    /// The register value as read.
    public let rawValue: UInt32

    @inline(__always)
    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    @inline(__always)
    private func field(_ lowBit: UInt32, width: UInt32) -> UInt32 {
        (rawValue >> lowBit) & ((1 << width) - 1)
    }

    @inline(__always)
    private func bit(_ position: UInt32) -> Bool {
        rawValue & (1 << position) != 0
    }

    // MARK: Fields

    /// ITLinesNumber, bits 4:0: the SPI INTID limit is 32 × (N + 1) − 1.
    public var itLinesNumber: UInt32 { field(0, width: 5) }

    /// CPUNumber, bits 7:5: number of PEs minus one that can be targeted
    /// while affinity routing is disabled (legacy operation only).
    public var cpuNumber: UInt32 { field(5, width: 3) }

    /// ESPI, bit 8: the extended SPI range (INTIDs 4096 upwards) exists.
    public var supportsExtendedSPIs: Bool { bit(8) }

    /// NMI, bit 9: non-maskable interrupt properties are supported.
    public var supportsNMI: Bool { bit(9) }

    /// SecurityExtn, bit 10: the GIC supports two Security states. Reads 0
    /// when `GICD_CTLR.DS` is 1, as on QEMU `virt`.
    public var hasTwoSecurityStates: Bool { bit(10) }

    /// num_LPIs, bits 15:11: 0 means the LPI count follows from `idBits`;
    /// a value above 2 means 2^(num_LPIs + 1) LPIs. Unused here.
    public var numLPIs: UInt32 { field(11, width: 5) }

    /// MBIS, bit 16: message-based SPIs (`GICD_SETSPI_NSR` and friends).
    public var supportsMessageBasedSPIs: Bool { bit(16) }

    /// LPIS, bit 17: LPIs are supported.
    public var supportsLPIs: Bool { bit(17) }

    /// DVIS, bit 18: direct injection of virtual LPIs (GICv4).
    public var supportsDirectVirtualLPIInjection: Bool { bit(18) }

    /// IDbits, bits 23:19: the number of INTID bits minus one.
    public var idBits: UInt32 { field(19, width: 5) }

    /// The number of INTID bits the GIC supports (IDbits + 1).
    public var interruptIDBits: UInt32 { idBits + 1 }

    /// A3V, bit 24: Aff3 may be non-zero in affinity routing values.
    public var supportsAffinity3: Bool { bit(24) }

    /// No1N, bit 25: 1-of-N SPI routing (`Interrupt_Routing_Mode` = 1) is
    /// *not* supported. Named as the specification names it, not inverted.
    public var no1N: Bool { bit(25) }

    /// RSS, bit 26: SGIs can target Aff0 values 0–255 (Range Selector
    /// Support); otherwise only 0–15.
    public var supportsRangeSelector: Bool { bit(26) }

    /// ESPI_range, bits 31:27: the extended SPI INTID limit is
    /// 32 × (ESPI_range + 1) + 4095. RES0 when `supportsExtendedSPIs` is false.
    public var espiRange: UInt32 { field(27, width: 5) }

    // MARK: Derived ranges

    /// The largest SPI INTID the distributor implements (§2.2):
    /// min(32 × (ITLinesNumber + 1) − 1, 1019). 31 means "no SPIs".
    public var spiLimit: UInt32 {
        let limit = 32 * (itLinesNumber + 1) - 1
        return limit < InterruptID.lastSPI ? limit : InterruptID.lastSPI
    }

    /// The number of SPIs, `spiLimit` − 31.
    public var spiCount: Int { Int(spiLimit) - Int(InterruptID.firstSPI) + 1 }

    /// The SPI INTIDs, 32...`spiLimit`, or nil when the GIC has none.
    public var spis: ClosedRange<UInt32>? {
        spiLimit >= InterruptID.firstSPI ? InterruptID.firstSPI ... spiLimit : nil
    }

    /// The number of extended SPIs: 32 × (ESPI_range + 1) when ESPI is set,
    /// else 0.
    public var extendedSPICount: Int {
        supportsExtendedSPIs ? 32 * (Int(espiRange) + 1) : 0
    }

    /// The extended SPI INTIDs, 4096 onwards, or nil when ESPI is clear.
    public var extendedSPIs: ClosedRange<UInt32>? {
        guard supportsExtendedSPIs else { return nil }
        return InterruptID.firstExtendedSPI ... InterruptID.firstExtendedSPI + UInt32(extendedSPICount) - 1
    }

    /// Whether `id` is a shared interrupt this distributor implements, i.e.
    /// one whose `GICD_IROUTER<n>` / `GICD_IROUTER<n>E` exists.
    public func implements(_ id: InterruptID) -> Bool {
        if let range = spis, range.contains(id.rawValue) { return true }
        if let range = extendedSPIs, range.contains(id.rawValue) { return true }
        return false
    }
}
