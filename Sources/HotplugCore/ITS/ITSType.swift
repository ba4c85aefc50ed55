/// A decoded `GITS_TYPER`, the ITS Type Register (Arm IHI 0069, GITS_TYPER
/// in chapter 12): what the ITS translates, how wide its IDs are, how big
/// its table entries are, and how commands name a redistributor.
///
/// Field names follow the specification; each property names its field.
/// The "minus one" fields are given both raw and as the count they encode.
public struct ITSType: RegisterValue, Hashable, Sendable {
    /// The 64-bit register value as read.
    public let rawValue: UInt64

    @inline(__always)
    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    static let ittEntrySizeField = ITSBitField(7, 4)
    static let idBitsField = ITSBitField(12, 8)
    static let devBitsField = ITSBitField(17, 13)
    static let hccField = ITSBitField(31, 24)
    static let cidBitsField = ITSBitField(35, 32)
    static let svpetField = ITSBitField(42, 41)

    /// Physical, bit 0: the ITS translates physical LPIs. An ITS without it
    /// is of no use to this kernel.
    public var supportsPhysicalLPIs: Bool { rawValue[flag: ITSBitField(bit: 0)] }

    /// Virtual, bit 1: the ITS supports virtual LPIs and direct injection
    /// (GICv4).
    public var supportsVirtualLPIs: Bool { rawValue[flag: ITSBitField(bit: 1)] }

    /// CCT, bit 2: Cumulative Collection Tables — memory-backed collections
    /// are shared among ITSes (GITS_BASER of type Collections).
    public var cumulativeCollectionTables: Bool { rawValue[flag: ITSBitField(bit: 2)] }

    /// ITT_entry_size, bits 7:4: bytes per Interrupt Translation Table
    /// entry, minus one.
    public var ittEntrySizeField: UInt64 { rawValue[field: ITSType.ittEntrySizeField] }

    /// Bytes per ITT entry (ITT_entry_size + 1).
    public var ittEntrySize: Int { Int(ittEntrySizeField) + 1 }

    /// IDbits, bits 12:8: EventID bits the ITS supports, minus one.
    public var idBits: UInt64 { rawValue[field: ITSType.idBitsField] }

    /// EventID bits the ITS supports (IDbits + 1): EventIDs are
    /// 0 ..< 2^eventIDBits.
    public var eventIDBits: Int { Int(idBits) + 1 }

    /// Devbits, bits 17:13: DeviceID bits the ITS supports, minus one.
    public var devBits: UInt64 { rawValue[field: ITSType.devBitsField] }

    /// DeviceID bits the ITS supports (Devbits + 1).
    public var deviceIDBits: Int { Int(devBits) + 1 }

    /// SEIS, bit 18: the ITS can report locally generated System Errors.
    public var supportsSystemErrors: Bool { rawValue[flag: ITSBitField(bit: 18)] }

    /// PTA, bit 19: Physical Target Addresses. Set: a command's RDbase
    /// field holds the redistributor's physical address (its RD_base, 64 KiB
    /// aligned). Clear: it holds the PE's processor number,
    /// `GICR_TYPER.Processor_Number`. See `redistributorTarget`.
    public var physicalTargetAddresses: Bool { rawValue[flag: ITSBitField(bit: 19)] }

    /// HCC, bits 31:24: Hardware Collection Count — collections the ITS
    /// holds without memory. ICIDs below HCC live in the ITS (and are lost
    /// when it powers down); the others need the collection table.
    public var hardwareCollectionCount: Int { Int(rawValue[field: ITSType.hccField]) }

    /// CIDbits, bits 35:32: collection ID bits minus one, when `CIL` is set.
    public var cidBits: UInt64 { rawValue[field: ITSType.cidBitsField] }

    /// CIL, bit 36: Collection ID Limit — set when ICIDs have fewer than 16
    /// bits, given by `cidBits`.
    public var collectionIDLimit: Bool { rawValue[flag: ITSBitField(bit: 36)] }

    /// ICID bits the ITS supports: CIDbits + 1 with CIL set, else 16.
    public var collectionIDBits: Int { collectionIDLimit ? Int(cidBits) + 1 : 16 }

    /// VMOVP, bit 37: VMOVP needs no ITS-list synchronisation (GICv4).
    public var vmovpWithoutITSList: Bool { rawValue[flag: ITSBitField(bit: 37)] }

    /// MPAM, bit 38: MPAM partition IDs are supported.
    public var supportsMPAM: Bool { rawValue[flag: ITSBitField(bit: 38)] }

    /// VSGI, bit 39: virtual SGIs can be injected (GICv4.1).
    public var supportsVirtualSGIs: Bool { rawValue[flag: ITSBitField(bit: 39)] }

    /// VMAPP, bit 40: the GICv4.1 form of VMAPP.
    public var supportsGICv41VMAPP: Bool { rawValue[flag: ITSBitField(bit: 40)] }

    /// SVPET, bits 42:41: how the vPE table is shared (GICv4.1).
    public var sharedVPETables: UInt64 { rawValue[field: ITSType.svpetField] }

    /// nID, bit 43: individual doorbell interrupts are not supported (GICv4.1).
    public var noIndividualDoorbells: Bool { rawValue[flag: ITSBitField(bit: 43)] }

    /// UMSI, bit 44: unmapped MSIs are reported.
    public var reportsUnmappedMSIs: Bool { rawValue[flag: ITSBitField(bit: 44)] }

    /// UMSIirq, bit 45: an unmapped MSI can raise an interrupt.
    public var unmappedMSIInterrupt: Bool { rawValue[flag: ITSBitField(bit: 45)] }

    /// INV, bit 46: the ITS invalidates its caches when a table register
    /// is written with Valid clear.
    public var invalidatesOnInvalidTable: Bool { rawValue[flag: ITSBitField(bit: 46)] }

    // MARK: How commands name a redistributor

    /// How MAPC, MOVALL and SYNC name the redistributor of a PE: by the
    /// RD_base physical address with PTA set, by `GICR_TYPER.Processor_Number`
    /// with it clear. `rdBase` is the redistributor's RD_base (64 KiB
    /// aligned, as every redistributor frame is).
    public func redistributorTarget(rdBase: UInt64, processorNumber: UInt16) -> ITSTargetRedistributor {
        physicalTargetAddresses
            ? ITSTargetRedistributor(physicalAddress: rdBase)
            : ITSTargetRedistributor(processorNumber: processorNumber)
    }

    /// Whether `deviceID` is one this ITS can translate.
    public func accepts(_ deviceID: ITSDeviceID) -> Bool {
        deviceIDBits >= 32 || UInt64(deviceID.rawValue) >> deviceIDBits == 0
    }

    /// Whether `eventID` is one this ITS can translate.
    public func accepts(_ eventID: ITSEventID) -> Bool {
        eventIDBits >= 32 || UInt64(eventID.rawValue) >> eventIDBits == 0
    }

    /// Whether `collection` is an ICID this ITS supports.
    public func accepts(_ collection: ITSCollectionID) -> Bool {
        collectionIDBits >= 16 || UInt64(collection.rawValue) >> collectionIDBits == 0
    }
}

/// `GITS_CTLR`, the ITS Control Register: a set of control bits.
public struct ITSControl: OptionSet, RegisterValue, Hashable, Sendable {
    public let rawValue: UInt32

    @inline(__always)
    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    /// Enabled, bit 0: the ITS translates and processes commands. The
    /// table and queue registers (`GITS_BASER<n>`, `GITS_CBASER`) must be
    /// written only while it is clear and `Quiescent` is set, else the
    /// result is UNPREDICTABLE.
    public static let Enabled = ITSControl(rawValue: 1 << 0)
    /// ImDe, bit 1: GICv4.1 doorbell behaviour (not used here).
    public static let ImDe = ITSControl(rawValue: 1 << 1)
    /// UMSIirq, bit 8: raise an interrupt on an unmapped MSI.
    public static let UMSIirq = ITSControl(rawValue: 1 << 8)
    /// Quiescent, bit 31 (read-only): the ITS has finished all translations
    /// and commands and holds no state in flight. Poll it set, with a
    /// deadline, after clearing `Enabled` and before reprogramming tables.
    public static let Quiescent = ITSControl(rawValue: 1 << 31)

    /// ITS_Number, bits 7:4 (GICv4.1): this ITS's number for VMOVP.
    public var itsNumber: UInt32 { (rawValue >> 4) & 0xF }

    /// Whether the table and queue registers may be written: disabled and
    /// quiescent.
    public var isSafeToProgram: Bool { !contains(.Enabled) && contains(.Quiescent) }
}
