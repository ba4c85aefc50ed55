import _Volatile

/// A block of device registers at a physical address (identity-mapped, so
/// the same value is the virtual address).
///
/// Every access is volatile: the optimiser may neither merge nor drop one
/// (../shared/platform-notes.md saw whole strings collapse to their last byte
/// without it). Offsets come from `RegisterLayout` in the pure core, never
/// from literals at the call site.
struct MMIORegion {
    /// Physical (and virtual) base address.
    let base: UInt64

    @inline(__always)
    init(base: UInt64) {
        self.base = base
    }

    @inline(__always)
    func read32(_ offset: Int) -> UInt32 {
        VolatileMappedRegister<UInt32>(unsafeBitPattern: UInt(base) + UInt(offset)).load()
    }

    @inline(__always)
    func write32(_ offset: Int, _ value: UInt32) {
        VolatileMappedRegister<UInt32>(unsafeBitPattern: UInt(base) + UInt(offset)).store(value)
    }

    @inline(__always)
    func writeByte(_ offset: Int, _ value: UInt8) {
        VolatileMappedRegister<UInt8>(unsafeBitPattern: UInt(base) + UInt(offset)).store(value)
    }

    @inline(__always)
    func read64(_ offset: Int) -> UInt64 {
        VolatileMappedRegister<UInt64>(unsafeBitPattern: UInt(base) + UInt(offset)).load()
    }

    @inline(__always)
    func write64(_ offset: Int, _ value: UInt64) {
        VolatileMappedRegister<UInt64>(unsafeBitPattern: UInt(base) + UInt(offset)).store(value)
    }

    /// A region `offset` bytes further on (a sub-frame such as SGI_base).
    @inline(__always)
    func advanced(by offset: UInt64) -> MMIORegion {
        MMIORegion(base: base + offset)
    }
}
