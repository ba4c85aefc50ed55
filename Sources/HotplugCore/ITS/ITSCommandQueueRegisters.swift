/// `GITS_CBASER`, the ITS Command Queue Descriptor (IHI 0069, GITS_CBASER in
/// chapter 12): the queue's base, its size in 4 KiB pages and the memory
/// attributes the ITS reads it with. Writing it (only while the ITS is
/// disabled and quiescent) resets `GITS_CREADR` to 0.
public struct ITSCommandQueueDescriptor: RegisterValue, Hashable, Sendable {
    /// The 64-bit register value.
    public let rawValue: UInt64

    @inline(__always)
    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    static let valid = ITSBitField(bit: 63)
    static let address = ITSBitField(51, 12)
    static let size = ITSBitField(7, 0)

    /// The queue's page size: always 4 KiB, whatever the tables use.
    public static let pageBytes = 0x1000
    /// Most pages: `Size` has 8 bits, so 1 MiB, 32,768 commands.
    public static let maximumPages = 256

    /// A queue of `pages` 4 KiB pages at `address`.
    /// Preconditions: `address` 4 KiB aligned (Linux aligns it to 64 KiB;
    /// the architecture asks 4 KiB) and below 2^52; `pages` in 1 ... 256.
    public init(address: UInt64, pages: Int, attributes: GICMemoryAttributes, valid: Bool = true) {
        precondition(address % UInt64(ITSCommandQueueDescriptor.pageBytes) == 0, "command queue not 4 KiB aligned")
        precondition(address >> 52 == 0, "command queue beyond 52 address bits")
        precondition(pages >= 1 && pages <= ITSCommandQueueDescriptor.maximumPages, "command queue pages outside 1-256")
        var word = attributes.placed(in: 0, .its)
        word[flag: ITSCommandQueueDescriptor.valid] = valid
        word[field: ITSCommandQueueDescriptor.address] = address >> 12
        word[field: ITSCommandQueueDescriptor.size] = UInt64(pages - 1)
        self.rawValue = word
    }

    /// Valid, bit 63.
    public var isValid: Bool { rawValue[flag: ITSCommandQueueDescriptor.valid] }
    /// Physical_Address, bits 51:12.
    public var physicalAddress: UInt64 { rawValue[field: ITSCommandQueueDescriptor.address] << 12 }
    /// Pages (Size + 1).
    public var pages: Int { Int(rawValue[field: ITSCommandQueueDescriptor.size]) + 1 }
    /// Bytes in the queue.
    public var bytes: Int { pages * ITSCommandQueueDescriptor.pageBytes }
    /// InnerCache, OuterCache, Shareability.
    public var attributes: GICMemoryAttributes { GICMemoryAttributes(rawValue, .its) }
}

/// Bits 19:5 of `GITS_CWRITER` and `GITS_CREADR`: a byte offset into the
/// command queue, a multiple of the 32-byte command size.
let commandQueueOffsetField = ITSBitField(19, 5)

/// `GITS_CWRITER`, the ITS Write Register: the offset where software will
/// write its next command. Writing it hands the ITS every command between
/// `GITS_CREADR` and the new offset.
public struct ITSCommandWriter: RegisterValue, Hashable, Sendable {
    public let rawValue: UInt64

    @inline(__always)
    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// The register value for `offset` (Retry clear).
    /// Precondition: a multiple of 32 below 1 MiB.
    public init(offset: Int) {
        precondition(offset >= 0 && offset % ITSCommand.bytes == 0 && offset < 1 << 20, "command offset not a slot")
        self.rawValue = UInt64(offset)
    }

    /// Offset, bits 19:5, as a byte offset.
    public var offset: Int { Int(rawValue & commandQueueOffsetField.mask) }
    /// Retry, bit 0: written 1 to make a stalled ITS retry the command at
    /// `GITS_CREADR` (only when `GITS_CREADR.Stalled`).
    public var retry: Bool { rawValue[flag: ITSBitField(bit: 0)] }
}

/// `GITS_CREADR`, the ITS Read Register: the offset of the next command the
/// ITS will read; the queue is drained when it equals `GITS_CWRITER`.
public struct ITSCommandReader: RegisterValue, Hashable, Sendable {
    public let rawValue: UInt64

    @inline(__always)
    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// Offset, bits 19:5, as a byte offset.
    public var offset: Int { Int(rawValue & commandQueueOffsetField.mask) }
    /// Stalled, bit 0: a command error stopped the ITS at `offset` (where
    /// `GITS_TYPER.SEIS` says how errors are reported). A wait for `offset`
    /// to reach `GITS_CWRITER` must stop and report when this is set, not
    /// spin until its deadline.
    public var isStalled: Bool { rawValue[flag: ITSBitField(bit: 0)] }
}
