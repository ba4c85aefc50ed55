// The memory attributes the GIC is told for the memory it reads and writes
// on its own: the ITS command queue (`GITS_CBASER`), the ITS tables
// (`GITS_BASER<n>`), the LPI configuration table (`GICR_PROPBASER`) and the
// LPI pending tables (`GICR_PENDBASER`). The four registers share these
// encodings (IHI 0069, the InnerCache, OuterCache and Shareability fields of
// each register's description in chapter 12), at different bit positions.

/// A cacheability field (InnerCache or OuterCache, three bits) of the GIC's
/// table and queue registers.
///
/// Value 0 means Device-nGnRnE in an InnerCache field, and "the same as
/// InnerCache" in an OuterCache field; the others are Normal memory with the
/// allocation hints the specification abbreviates (Ra = read-allocate,
/// Wa = write-allocate, Wt = write-through, Wb = write-back).
public enum GICCacheability: UInt8, Sendable, CaseIterable {
    /// 0b000: Device-nGnRnE (InnerCache); as InnerCache (OuterCache).
    case deviceNGnRnEOrSameAsInner = 0
    /// 0b001: Normal Non-cacheable.
    case nonCacheable = 1
    /// 0b010: Normal Cacheable, Read-allocate, Write-through.
    case raWt = 2
    /// 0b011: Normal Cacheable, Read-allocate, Write-back.
    case raWb = 3
    /// 0b100: Normal Cacheable, Write-allocate, Write-through.
    case waWt = 4
    /// 0b101: Normal Cacheable, Write-allocate, Write-back.
    case waWb = 5
    /// 0b110: Normal Cacheable, Read-allocate, Write-allocate, Write-through.
    case raWaWt = 6
    /// 0b111: Normal Cacheable, Read-allocate, Write-allocate, Write-back:
    /// what the image's own RAM is mapped as, and what Linux asks for.
    case raWaWb = 7
}

/// A Shareability field (two bits, always bits 11:10) of the GIC's table and
/// queue registers.
///
/// The field may be read-only or may not hold every value: software writes
/// what it wants and reads it back. A GIC that answers `nonShareable` to a
/// request for `innerShareable` does not snoop the CPUs' caches, so the
/// tables must then be cleaned to the point of coherency after every write
/// the GIC is to see (and mapped non-cacheable, or invalidated before
/// reading what the GIC wrote) — the reason Linux re-programs the register
/// when it reads back 0.
public enum GICShareability: UInt8, Sendable, CaseIterable {
    /// 0b00: Non-shareable.
    case nonShareable = 0
    /// 0b01: Inner Shareable.
    case innerShareable = 1
    /// 0b10: Outer Shareable.
    case outerShareable = 2

    /// The field's meaning; 0b11 is reserved and treated as 0b00.
    @inline(__always)
    init(field: UInt64) {
        self = GICShareability(rawValue: UInt8(field & 0b11)) ?? .nonShareable
    }
}

/// Where a register keeps its InnerCache, OuterCache and Shareability
/// fields: the ITS registers put the caches high (61:59, 55:53), the
/// redistributor's table registers low and high (9:7, 58:56).
struct GICMemoryAttributeFields: Sendable {
    let innerCache: ITSBitField
    let outerCache: ITSBitField
    let shareability = ITSBitField(11, 10)

    /// `GITS_CBASER`, `GITS_BASER<n>`.
    static let its = GICMemoryAttributeFields(innerCache: ITSBitField(61, 59), outerCache: ITSBitField(55, 53))
    /// `GICR_PROPBASER`, `GICR_PENDBASER`.
    static let redistributor = GICMemoryAttributeFields(innerCache: ITSBitField(9, 7), outerCache: ITSBitField(58, 56))
}

/// The three memory attributes one of the GIC's table or queue registers
/// holds, as one value so every register's builder takes them the same way.
public struct GICMemoryAttributes: Hashable, Sendable {
    public var innerCache: GICCacheability
    public var outerCache: GICCacheability
    public var shareability: GICShareability

    @inline(__always)
    public init(innerCache: GICCacheability, outerCache: GICCacheability, shareability: GICShareability) {
        self.innerCache = innerCache
        self.outerCache = outerCache
        self.shareability = shareability
    }

    /// Normal memory, Inner Shareable, inner write-back read/write-allocate,
    /// outer the same as inner: what the image's RAM is mapped as, and so
    /// what it asks the GIC to use (it may answer otherwise; read back).
    public static let normalWriteBack = GICMemoryAttributes(
        innerCache: .raWaWb, outerCache: .deviceNGnRnEOrSameAsInner, shareability: .innerShareable)

    /// Reads the attributes from `word` at `fields`' positions.
    @inline(__always)
    init(_ word: UInt64, _ fields: GICMemoryAttributeFields) {
        self.innerCache = GICCacheability(rawValue: UInt8(word[field: fields.innerCache]))!
        self.outerCache = GICCacheability(rawValue: UInt8(word[field: fields.outerCache]))!
        self.shareability = GICShareability(field: word[field: fields.shareability])
    }

    /// `word` with the attributes written at `fields`' positions.
    @inline(__always)
    func placed(in word: UInt64, _ fields: GICMemoryAttributeFields) -> UInt64 {
        var word = word
        word[field: fields.innerCache] = UInt64(innerCache.rawValue)
        word[field: fields.outerCache] = UInt64(outerCache.rawValue)
        word[field: fields.shareability] = UInt64(shareability.rawValue)
        return word
    }
}
