// Stage-2 translation of a guest's intermediate physical addresses (IPA) to
// physical addresses, 4 KiB granule, VMSAv8-64 (Arm ARM D8, "The AArch64
// Virtual Memory System Architecture": the stage-2 descriptor format, its
// memory attributes, VTCR_EL2 and VTTBR_EL2). Pure values: the hypervisor
// computes descriptors and register values here and writes them; host
// tests check every field. The tables themselves are built by
// `Stage2TranslationTables`.

/// The memory type a stage-2 descriptor gives its output: `MemAttr`, bits
/// 5:2, as interpreted with `HCR_EL2.FWB` 0 (Arm ARM, "Stage 2 memory
/// type and Cacheability attributes when FEAT_S2FWB is disabled"):
/// the stricter of this and the guest's own stage-1 attribute applies.
public enum Stage2MemoryType: UInt64, Sendable, CaseIterable {
    /// Device-nGnRE (MemAttr 0b0001): for device frames passed through.
    case deviceNGnRE = 0b0001
    /// Normal, inner and outer write-back cacheable (MemAttr 0b1111): guest
    /// RAM, coherent with the hypervisor's own write-back view of it.
    case normalWriteBack = 0b1111
}

/// The guest's data access permission, `S2AP`, bits 7:6 (Arm ARM, "Stage 2
/// data access permissions").
public enum Stage2Access: UInt64, Sendable, CaseIterable {
    case none = 0b00
    case readOnly = 0b01
    case writeOnly = 0b10
    case readWrite = 0b11
}

/// Shareability, `SH`, bits 9:8 (0b01 is reserved).
public enum Stage2Shareability: UInt64, Sendable, CaseIterable {
    case nonShareable = 0b00
    case outerShareable = 0b10
    case innerShareable = 0b11
}

/// One stage-2 translation table entry (Arm ARM D8.3, "Translation table
/// descriptor formats"), 4 KiB granule.
///
/// - Bits 1:0: 0b00 or 0b10 invalid; 0b01 a block (levels 1 and 2); 0b11 a
///   table (levels 0 to 2) or a page (level 3).
/// - Output or next-table address, bits 47:12 (block: down to the block's
///   size).
/// - Block and page attributes: MemAttr 5:2, S2AP 7:6, SH 9:8, AF 10, XN
///   54:53 (XN\[1\] alone is XN without FEAT_XNX; 0b10 means not executable
///   at EL1 or EL0 either way).
/// - Stage-2 table descriptors carry no attributes (bits 63:59 RES0).
public struct Stage2Descriptor: Hashable, Sendable {
    public let rawValue: UInt64

    @inline(__always)
    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    public static let validBit: UInt64 = 1 << 0
    /// Bit 1: table (levels 0-2) or page (level 3); clear in a block.
    public static let tableOrPageBit: UInt64 = 1 << 1
    public static let memoryAttributeShift: UInt64 = 2
    public static let accessShift: UInt64 = 6
    public static let shareabilityShift: UInt64 = 8
    /// AF, bit 10: set, so no access-flag fault is ever taken.
    public static let accessFlag: UInt64 = 1 << 10
    /// XN\[1\], bit 54: execute-never at every EL (XN 0b10).
    public static let executeNever: UInt64 = 1 << 54
    /// Output address, bits 47:12.
    public static let addressMask: UInt64 = 0x0000_FFFF_FFFF_F000

    /// The invalid entry: any access through it is a stage-2 translation fault.
    public static let invalid = Stage2Descriptor(rawValue: 0)

    /// A table descriptor pointing at the next level's table at `next`.
    ///
    /// - Precondition: `next` is 4 KiB aligned and below 2^48.
    public static func table(_ next: UInt64) -> Stage2Descriptor {
        precondition(next & ~addressMask == 0, "Stage2Descriptor: a table is 4 KiB aligned, below 2^48")
        return Stage2Descriptor(rawValue: next | tableOrPageBit | validBit)
    }

    /// A leaf: a block at level 1 or 2 (`page` false) or a page at level 3.
    ///
    /// - Precondition: `output` is 4 KiB aligned and below 2^48 (the caller
    ///   aligns it to the block's size).
    public static func leaf(output: UInt64, page: Bool, memory: Stage2MemoryType, access: Stage2Access,
                            shareability: Stage2Shareability, executable: Bool) -> Stage2Descriptor {
        precondition(output & ~addressMask == 0, "Stage2Descriptor: an output address is 4 KiB aligned, below 2^48")
        return Stage2Descriptor(rawValue: output | (page ? tableOrPageBit : 0) | validBit
            | memory.rawValue << memoryAttributeShift
            | access.rawValue << accessShift
            | shareability.rawValue << shareabilityShift
            | accessFlag
            | (executable ? 0 : executeNever))
    }

    public var isValid: Bool { rawValue & Stage2Descriptor.validBit != 0 }
    /// Bits 1:0 = 0b11: a table at levels 0-2, a page at level 3.
    public var isTableOrPage: Bool { isValid && rawValue & Stage2Descriptor.tableOrPageBit != 0 }
    /// The output address or next table, bits 47:12.
    public var address: UInt64 { rawValue & Stage2Descriptor.addressMask }
    /// MemAttr, nil when the bits are not one of the two types used here.
    public var memory: Stage2MemoryType? { Stage2MemoryType(rawValue: rawValue >> Stage2Descriptor.memoryAttributeShift & 0xF) }
    public var access: Stage2Access { Stage2Access(rawValue: rawValue >> Stage2Descriptor.accessShift & 0b11)! }
    public var shareability: Stage2Shareability? {
        Stage2Shareability(rawValue: rawValue >> Stage2Descriptor.shareabilityShift & 0b11)
    }
    public var hasAccessFlag: Bool { rawValue & Stage2Descriptor.accessFlag != 0 }
    public var isExecutable: Bool { rawValue & Stage2Descriptor.executeNever == 0 }
}

/// The shape of a stage-2 translation with the 4 KiB granule: the IPA size
/// (`VTCR_EL2.T0SZ` = 64 - size) and the level the walk starts at
/// (`VTCR_EL2.SL0`), with the number of concatenated tables at that level.
///
/// Stage 2 may start a level lower than stage 1 would by concatenating up to
/// 16 tables at the first level (Arm ARM, "Concatenated translation
/// tables for the initial stage 2 lookup"). The walk start must be
/// consistent with T0SZ (Arm ARM `AArch64.S2InconsistentSL`): the IPA bits
/// the first level resolves, size - (12 + 9 × (3 - level)), lie in 1...13,
/// i.e. IPA sizes 25-34 bits from level 2 (25 is T0SZ's largest value, 39),
/// 31-43 from level 1, 40-48 from level 0.
public struct Stage2Geometry: Equatable, Sendable {
    /// IPA bits.
    public let inputAddressBits: Int
    /// The first lookup level, 0 to 2.
    public let startLevel: Int

    /// Why a geometry is refused.
    public enum GeometryError: Error, Equatable {
        /// The IPA size and starting level are inconsistent (or out of the
        /// 25-48 bits the 4 KiB granule allows without FEAT_LPA2).
        case inconsistent(inputAddressBits: Int, startLevel: Int)
        /// `ID_AA64MMFR0_EL1.PARange` holds a reserved value.
        case unknownPhysicalAddressRange(UInt64)
    }

    public init(inputAddressBits: Int, startLevel: Int) throws(GeometryError) {
        let resolvedFirst = inputAddressBits - (12 + 9 * (3 - startLevel))
        guard (0 ... 2).contains(startLevel), (25 ... 48).contains(inputAddressBits), (1 ... 13).contains(resolvedFirst) else {
            throw .inconsistent(inputAddressBits: inputAddressBits, startLevel: startLevel)
        }
        self.inputAddressBits = inputAddressBits
        self.startLevel = startLevel
    }

    /// Physical address bits for `ID_AA64MMFR0_EL1.PARange` (Arm ARM
    /// D19.2, "ID_AA64MMFR0_EL1"): 32, 36, 40, 42, 44, 48, 52.
    public static func physicalAddressBits(physicalAddressRange: UInt64) throws(GeometryError) -> Int {
        switch physicalAddressRange {
        case 0: return 32
        case 1: return 36
        case 2: return 40
        case 3: return 42
        case 4: return 44
        case 5: return 48
        case 6: return 52
        default: throw .unknownPhysicalAddressRange(physicalAddressRange)
        }
    }

    /// The geometry Xen and KVM choose for a PE: the IPA as large as the
    /// physical address space (at most 48 bits: 52 needs FEAT_LPA2), walked
    /// from the lowest level that needs at most 16 concatenated tables
    /// (fewer levels, shorter walks).
    public init(physicalAddressRange: UInt64) throws(GeometryError) {
        let bits = min(try Stage2Geometry.physicalAddressBits(physicalAddressRange: physicalAddressRange), 48)
        let level = bits <= 34 ? 2 : (bits <= 43 ? 1 : 0)
        try self.init(inputAddressBits: bits, startLevel: level)
    }

    /// The IPA bits the first level resolves.
    var firstLevelBits: Int { inputAddressBits - Stage2Geometry.levelShift(startLevel) }

    /// Tables concatenated at the first level (1 to 16), contiguous and
    /// aligned to their total size.
    public var rootTableCount: Int { firstLevelBits > 9 ? 1 << (firstLevelBits - 9) : 1 }

    /// Entries of the (concatenated) first-level table in use.
    public var rootEntryCount: Int { 1 << firstLevelBits }

    /// The lowest IPA bit a level's index takes: 12 + 9 × (3 - level).
    public static func levelShift(_ level: Int) -> Int { 12 + 9 * (3 - level) }

    /// `VTCR_EL2` (Arm ARM D19.2, "VTCR_EL2") for this geometry on a PE
    /// with `physicalAddressRange` (`ID_AA64MMFR0_EL1.PARange`, also `PS`,
    /// the output size): T0SZ 5:0; SL0 7:6 (4 KiB granule: 0b00 level 2,
    /// 0b01 level 1, 0b10 level 0); IRGN0 9:8 and ORGN0 11:10 = 0b01 (walks
    /// write-back cacheable, as the tables are written); SH0 13:12 = 0b11
    /// (inner shareable); TG0 15:14 = 0b00 (4 KiB); PS 18:16; VS 19 = 0
    /// (8-bit VMID); bit 31 RES1.
    ///
    /// - Precondition: the IPA is not larger than the physical address
    ///   space (a larger T0SZ is a stage-2 level 0 translation fault).
    public func translationControl(physicalAddressRange: UInt64) -> UInt64 {
        precondition((try? Stage2Geometry.physicalAddressBits(physicalAddressRange: physicalAddressRange))
            .map { inputAddressBits <= $0 } ?? false, "VTCR_EL2: the IPA exceeds the physical address range")
        let t0sz = UInt64(64 - inputAddressBits)
        let sl0 = UInt64(2 - startLevel) << 6
        let irgn0: UInt64 = 0b01 << 8
        let orgn0: UInt64 = 0b01 << 10
        let sh0: UInt64 = 0b11 << 12
        let ps = (physicalAddressRange & 0b111) << 16
        let res1: UInt64 = 1 << 31
        return t0sz | sl0 | irgn0 | orgn0 | sh0 | ps | res1
    }
}

/// A guest's virtual machine identifier, `VTTBR_EL2.VMID` (8 bits while
/// `VTCR_EL2.VS` is 0): it tags the guest's TLB entries, so guests need no
/// TLB invalidation when the PE switches between them.
public struct VirtualMachineID: Hashable, Sendable {
    public let rawValue: UInt8

    public init(_ rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// `VTTBR_EL2` (Arm ARM D19.2, "VTTBR_EL2"): VMID 55:48, BADDR 47:1
    /// (the first-level table, aligned to the concatenated tables' size),
    /// CnP 0 clear.
    ///
    /// - Precondition: `root` is aligned to `geometry.rootTableCount` pages
    ///   and below 2^48.
    public func translationTableBase(root: UInt64, geometry: Stage2Geometry) -> UInt64 {
        let alignment = UInt64(geometry.rootTableCount) * 4096
        precondition(root % alignment == 0 && root >> 48 == 0, "VTTBR_EL2: the root is aligned to its tables' size")
        return UInt64(rawValue) << 48 | root
    }
}
