// The field arithmetic the ITS register and command codecs share: the ITS
// registers, the redistributor's LPI table registers and the ITS commands
// are all 64-bit words cut into fields named by their bit ranges
// (IHI 0069 chapter 12 and §5.3), so one small type says "bits hi:lo" once.

/// Bits `high`:`low` of a 64-bit register or command doubleword, as the
/// specification's field tables write them.
struct ITSBitField: Sendable {
    let low: Int
    let width: Int

    @inline(__always)
    init(_ high: Int, _ low: Int) {
        precondition(high >= low && high < 64 && low >= 0, "bit range outside a doubleword")
        self.low = low
        self.width = high - low + 1
    }

    /// The one bit `position`.
    @inline(__always)
    init(bit position: Int) {
        self.init(position, position)
    }

    /// The field's bits in place.
    @inline(__always)
    var mask: UInt64 { (width == 64 ? ~0 : (UInt64(1) << width) - 1) << low }

    /// The field's value, moved down to bit 0.
    @inline(__always)
    func extract(_ word: UInt64) -> UInt64 { (word & mask) >> low }

    /// `word` with the field replaced by `value`.
    /// Precondition: `value` fits in the field (a wider value is a caller's bug,
    /// never silently cut).
    @inline(__always)
    func insert(_ value: UInt64, into word: UInt64) -> UInt64 {
        precondition(value <= mask >> low, "value wider than its field")
        return (word & ~mask) | (value << low)
    }

    /// Whether `value` fits in the field.
    @inline(__always)
    func fits(_ value: UInt64) -> Bool { value <= mask >> low }
}

extension UInt64 {
    /// This word's `field`.
    @inline(__always)
    subscript(field field: ITSBitField) -> UInt64 {
        get { field.extract(self) }
        set { self = field.insert(newValue, into: self) }
    }

    /// Whether the one-bit `flag` is set; setting writes 1 or 0 there.
    @inline(__always)
    subscript(flag flag: ITSBitField) -> Bool {
        get { flag.extract(self) != 0 }
        set { self = flag.insert(newValue ? 1 : 0, into: self) }
    }
}
