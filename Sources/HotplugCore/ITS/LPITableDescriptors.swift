/// `GICR_PROPBASER`, the Redistributor Properties Base Address Register
/// (IHI 0069, GICR_PROPBASER in chapter 12): where the LPI configuration
/// table is (one byte per LPI: priority in bits 7:2, enable in bit 0) and
/// how many INTID bits it covers.
///
/// Every redistributor is given the same table (Linux and Xen write the
/// same value to each; the GIC may share one copy). It must be written
/// while `GICR_CTLR.EnableLPIs` is 0: once LPIs are enabled the register's
/// effect is UNPREDICTABLE, and where EnableLPIs cannot be cleared once set
/// (`GICR_CTLR.CES` reads 0) a PE that powers off and on again comes back
/// with LPIs still enabled and the old tables in use — the tables must stay
/// where they are for the machine's life, and a CPU coming back online
/// must not rewrite them.
public struct LPIConfigurationTableDescriptor: RegisterValue, Hashable, Sendable {
    public let rawValue: UInt64

    @inline(__always)
    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    static let idBits = ITSBitField(4, 0)
    static let address = ITSBitField(51, 12)

    /// The smallest IDbits field that enables LPIs: 13, i.e. 14 INTID bits,
    /// INTIDs up to 16383 (LPIs start at 8192). Below that, no LPIs.
    public static let minimumIDBitsField: UInt64 = 13

    /// The table at `address` covering `interruptIDBits`-bit INTIDs.
    /// Preconditions: `address` 4 KiB aligned, below 2^52;
    /// `interruptIDBits` in 14 ... 32 (and, for the GIC to honour it, at most
    /// `GICD_TYPER.IDbits` + 1: a larger value is read as that).
    public init(address: UInt64, interruptIDBits: Int, attributes: GICMemoryAttributes) {
        precondition(address & 0xFFF == 0 && address >> 52 == 0, "LPI configuration table misaligned or beyond 52 bits")
        precondition(interruptIDBits >= 14 && interruptIDBits <= 32, "LPI INTID bits outside 14-32")
        var word = attributes.placed(in: 0, .redistributor)
        word[field: LPIConfigurationTableDescriptor.idBits] = UInt64(interruptIDBits - 1)
        word[field: LPIConfigurationTableDescriptor.address] = address >> 12
        self.rawValue = word
    }

    /// IDbits, bits 4:0: INTID bits minus one.
    public var idBitsField: UInt64 { rawValue[field: LPIConfigurationTableDescriptor.idBits] }
    /// INTID bits the table covers (IDbits + 1).
    public var interruptIDBits: Int { Int(idBitsField) + 1 }
    /// Whether the value enables LPIs at all (IDbits ≥ 13).
    public var coversLPIs: Bool { idBitsField >= LPIConfigurationTableDescriptor.minimumIDBitsField }
    /// Physical_Address, bits 51:12.
    public var physicalAddress: UInt64 { rawValue[field: LPIConfigurationTableDescriptor.address] << 12 }
    /// InnerCache (9:7), OuterCache (58:56), Shareability (11:10).
    public var attributes: GICMemoryAttributes { GICMemoryAttributes(rawValue, .redistributor) }
}

/// `GICR_PENDBASER`, the Redistributor LPI Pending Table Base Address
/// Register: this PE's pending table (one bit per INTID, 64 KiB aligned).
///
/// Written, like `GICR_PROPBASER`, only while `GICR_CTLR.EnableLPIs` is 0.
/// The pending table is the state of this PE's LPIs while the
/// redistributor is powered down: it must survive CPU_OFF and be given
/// again (with PTZ clear, so the GIC reads it) when the PE comes back, or
/// LPIs pending on it are lost.
public struct LPIPendingTableDescriptor: RegisterValue, Hashable, Sendable {
    public let rawValue: UInt64

    @inline(__always)
    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    static let address = ITSBitField(51, 16)
    static let pendingTableZero = ITSBitField(bit: 62)

    /// The pending table at `address`.
    /// `pendingTableZero` (PTZ) promises the table is all zeros, so the GIC
    /// need not read it: true only for a freshly zeroed table.
    /// Precondition: `address` 64 KiB aligned, below 2^52.
    public init(address: UInt64, attributes: GICMemoryAttributes, pendingTableZero: Bool) {
        precondition(address & 0xFFFF == 0 && address >> 52 == 0, "LPI pending table misaligned or beyond 52 bits")
        var word = attributes.placed(in: 0, .redistributor)
        word[field: LPIPendingTableDescriptor.address] = address >> 16
        word[flag: LPIPendingTableDescriptor.pendingTableZero] = pendingTableZero
        self.rawValue = word
    }

    /// Physical_Address, bits 51:16.
    public var physicalAddress: UInt64 { rawValue[field: LPIPendingTableDescriptor.address] << 16 }
    /// PTZ, bit 62 (write-only in effect: reads may return 0).
    public var pendingTableZero: Bool { rawValue[flag: LPIPendingTableDescriptor.pendingTableZero] }
    /// InnerCache (9:7), OuterCache (58:56), Shareability (11:10).
    public var attributes: GICMemoryAttributes { GICMemoryAttributes(rawValue, .redistributor) }
}

extension RedistributorControl {
    /// CES, bit 1 (read-only, GICv3.1 on): Clear Enable Supported —
    /// `EnableLPIs` may be written 0 after it was 1. When clear, once LPIs
    /// are enabled on a redistributor they stay enabled until reset, so
    /// `GICR_PROPBASER` and `GICR_PENDBASER` are written once per
    /// redistributor and never again.
    public static let CES = RedistributorControl(rawValue: 1 << 1)
}
