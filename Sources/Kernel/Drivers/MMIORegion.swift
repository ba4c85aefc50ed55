import HotplugCore
import _Volatile

/// A block of device registers at a physical address (identity-mapped, so
/// the same value is the virtual address): the image's `RegisterFile`.
///
/// Every access is volatile: the optimiser may neither merge nor drop one
/// (without it, whole strings written to the UART collapsed to their last
/// byte). Registers come from the core's layouts (`DistributorRegister`,
/// `RedistributorRegister`, `PL011Register`, `PL031Register`), so each
/// access has the width its register declares; there is no access by raw
/// offset.
struct MMIORegion: RegisterFile {
    /// Physical (and virtual) base address.
    let base: UInt64

    @inline(__always)
    init(base: UInt64) {
        self.base = base
    }

    @inline(__always)
    func read(_ register: Register<UInt32>) -> UInt32 {
        VolatileMappedRegister<UInt32>(unsafeBitPattern: address(of: register)).load()
    }

    @inline(__always)
    func write(_ register: Register<UInt32>, _ value: UInt32) {
        VolatileMappedRegister<UInt32>(unsafeBitPattern: address(of: register)).store(value)
    }

    @inline(__always)
    func read(_ register: Register<UInt64>) -> UInt64 {
        VolatileMappedRegister<UInt64>(unsafeBitPattern: address(of: register)).load()
    }

    @inline(__always)
    func write(_ register: Register<UInt64>, _ value: UInt64) {
        VolatileMappedRegister<UInt64>(unsafeBitPattern: address(of: register)).store(value)
    }

    @inline(__always)
    private func address<Value>(of register: Register<Value>) -> UInt {
        UInt(base) + UInt(register.offset)
    }
}
