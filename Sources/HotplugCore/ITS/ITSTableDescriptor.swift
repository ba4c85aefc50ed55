/// The page size of an ITS table (`GITS_BASER<n>.Page_Size`, bits 9:8).
/// The field may be read-only, or hold only some sizes: write the wanted
/// one and read back.
public enum ITSPageSize: UInt8, Sendable, CaseIterable {
    /// 0b00: 4 KiB.
    case size4K = 0
    /// 0b01: 16 KiB.
    case size16K = 1
    /// 0b10: 64 KiB (0b11 is reserved; read as this, as QEMU does).
    case size64K = 2

    /// The field's meaning.
    @inline(__always)
    init(field: UInt64) {
        self = ITSPageSize(rawValue: UInt8(field & 0b11)) ?? .size64K
    }

    /// Bytes in a page.
    public var bytes: Int {
        switch self {
        case .size4K: return 0x1000
        case .size16K: return 0x4000
        case .size64K: return 0x1_0000
        }
    }
}

/// What an ITS table holds (`GITS_BASER<n>.Type`, bits 58:56, read-only):
/// each `GITS_BASER<n>` the ITS implements says which table it is for.
public enum ITSTableType: Hashable, Sendable {
    /// 0b000: this `GITS_BASER<n>` is not implemented.
    case unimplemented
    /// 0b001: the device table, indexed by DeviceID.
    case devices
    /// 0b010: the vPE table (GICv4), indexed by vPEID.
    case vPEs
    /// 0b100: the interrupt collection table, indexed by ICID.
    case collections
    /// A reserved encoding (0b011, 0b101–0b111).
    case reserved(UInt8)

    init(field: UInt64) {
        switch field {
        case 0: self = .unimplemented
        case 1: self = .devices
        case 2: self = .vPEs
        case 4: self = .collections
        default: self = .reserved(UInt8(field))
        }
    }
}

/// `GITS_BASER<n>`, an ITS Translation Table Descriptor (IHI 0069, GITS_BASER
/// in chapter 12): where the memory for one of the ITS's tables is, and, in
/// its read-only fields, what that table is (`Type`) and how big its entries
/// are (`Entry_Size`).
///
/// A table is flat (`Indirect` = 0: `Size` + 1 pages of entries) or
/// two-level (`Indirect` = 1: `Size` + 1 pages of 8-byte level-1 entries,
/// each valid one pointing at one page of entries). Indirect is RAZ/WI where
/// unsupported: write it and read back. `ITSTableLayout` computes which
/// form a wanted number of IDs needs.
public struct ITSTableDescriptor: RegisterValue, Hashable, Sendable {
    /// The 64-bit register value.
    public let rawValue: UInt64

    @inline(__always)
    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    static let valid = ITSBitField(bit: 63)
    static let indirect = ITSBitField(bit: 62)
    static let type = ITSBitField(58, 56)
    static let entrySize = ITSBitField(52, 48)
    static let pageSize = ITSBitField(9, 8)
    static let size = ITSBitField(7, 0)
    /// Physical_Address, bits 47:12 with 4 KiB or 16 KiB pages.
    static let address = ITSBitField(47, 12)
    /// With 64 KiB pages: bits 47:16 hold address bits 47:16 ...
    static let address64K = ITSBitField(47, 16)
    /// ... and bits 15:12 hold address bits 51:48.
    static let addressHigh64K = ITSBitField(15, 12)

    /// Valid, bit 63: the ITS may use the table.
    public var isValid: Bool { rawValue[flag: ITSTableDescriptor.valid] }
    /// Indirect, bit 62: two-level table.
    public var isIndirect: Bool { rawValue[flag: ITSTableDescriptor.indirect] }
    /// Type, bits 58:56 (read-only).
    public var type: ITSTableType { ITSTableType(field: rawValue[field: ITSTableDescriptor.type]) }
    /// Entry_Size, bits 52:48 (read-only): bytes per entry, minus one.
    public var entrySizeField: UInt64 { rawValue[field: ITSTableDescriptor.entrySize] }
    /// Bytes per table entry (Entry_Size + 1).
    public var entrySize: Int { Int(entrySizeField) + 1 }
    /// Page_Size, bits 9:8.
    public var pageSize: ITSPageSize { ITSPageSize(field: rawValue[field: ITSTableDescriptor.pageSize]) }
    /// Size, bits 7:0: pages allocated, minus one.
    public var sizeField: UInt64 { rawValue[field: ITSTableDescriptor.size] }
    /// Pages allocated (Size + 1): of entries (flat) or of level-1 entries
    /// (indirect).
    public var pages: Int { Int(sizeField) + 1 }
    /// InnerCache, OuterCache, Shareability.
    public var attributes: GICMemoryAttributes { GICMemoryAttributes(rawValue, .its) }

    /// Physical_Address, decoded as the page size says: bits 47:12 with
    /// 4 KiB and 16 KiB pages; with 64 KiB pages, bits 47:16 are address
    /// bits 47:16 and bits 15:12 are address bits 51:48.
    public var physicalAddress: UInt64 {
        if pageSize == .size64K {
            return rawValue[field: ITSTableDescriptor.address64K] << 16
                | rawValue[field: ITSTableDescriptor.addressHigh64K] << 48
        }
        return rawValue[field: ITSTableDescriptor.address] << 12
    }

    /// Most pages one descriptor can give a table: `Size` has 8 bits.
    public static let maximumPages = 256

    /// The value to write to program this table: the read-only fields
    /// (`Type`, `Entry_Size`) kept from this read value, the rest given.
    ///
    /// Preconditions: `address` aligned to `pageSize`, below 2^48 (4 KiB and
    /// 16 KiB pages) or 2^52 (64 KiB pages); `pages` in 1 ... 256.
    public func programmed(
        address: UInt64, pages: Int, pageSize: ITSPageSize, indirect: Bool,
        attributes: GICMemoryAttributes, valid: Bool = true
    ) -> ITSTableDescriptor {
        precondition(address % UInt64(pageSize.bytes) == 0, "table not aligned to its page size")
        precondition(pages >= 1 && pages <= ITSTableDescriptor.maximumPages, "table pages outside 1-256")
        var word = rawValue & (ITSTableDescriptor.type.mask | ITSTableDescriptor.entrySize.mask)
        word[flag: ITSTableDescriptor.valid] = valid
        word[flag: ITSTableDescriptor.indirect] = indirect
        word = attributes.placed(in: word, .its)
        word[field: ITSTableDescriptor.pageSize] = UInt64(pageSize.rawValue)
        word[field: ITSTableDescriptor.size] = UInt64(pages - 1)
        if pageSize == .size64K {
            precondition(address >> 52 == 0, "table beyond 52 address bits")
            word[field: ITSTableDescriptor.address64K] = (address >> 16) & (ITSTableDescriptor.address64K.mask >> 16)
            word[field: ITSTableDescriptor.addressHigh64K] = address >> 48
        } else {
            precondition(address >> 48 == 0, "table beyond 48 address bits (use 64 KiB pages)")
            word[field: ITSTableDescriptor.address] = address >> 12
        }
        return ITSTableDescriptor(rawValue: word)
    }

    /// A level-1 entry of an indirect table (8 bytes): bit 63 Valid, bits
    /// 51:N the address of one level-2 page of entries (page aligned).
    /// Precondition: `page` below 2^52 and 4 KiB aligned at least.
    public static func level1Entry(page: UInt64, valid: Bool = true) -> UInt64 {
        precondition(page >> 52 == 0 && page & 0xFFF == 0, "level-2 page misaligned or beyond 52 bits")
        return page | (valid ? 1 << 63 : 0)
    }
}
