/// The hardware seam of every register sequence in the core: 32- and 64-bit
/// accesses to the registers of one frame (a distributor, one
/// redistributor's RD_base, a UART).
///
/// Each access takes a typed `Register`, so the width of the access is the
/// register's own: a 32-bit access to a 64-bit register such as
/// `GICD_IROUTER<n>` does not compile. Registers whose values are richer
/// types (`Register<DistributorControl>`) are read and written through the
/// extension below, in terms of these four.
///
/// The image's implementation is volatile MMIO (`MMIORegion`); host tests
/// use a fake that records every access. Code that uses it is generic over
/// the protocol (never `any RegisterFile`), so Embedded Swift specialises it
/// and the image calls the MMIO accessors directly.
public protocol RegisterFile {
    /// A 32-bit read of `register`.
    func read(_ register: Register<UInt32>) -> UInt32
    /// A 32-bit write of `value` to `register`.
    func write(_ register: Register<UInt32>, _ value: UInt32)
    /// A 64-bit read of `register` (`GICR_TYPER`, `GICD_IROUTER<n>`).
    func read(_ register: Register<UInt64>) -> UInt64
    /// A 64-bit write of `value` to `register` (`GICD_IROUTER<n>`).
    func write(_ register: Register<UInt64>, _ value: UInt64)
}

extension RegisterFile {
    /// Reads a 32-bit register as the type it holds.
    @inline(__always)
    public func read<Value: RegisterValue>(_ register: Register<Value>) -> Value where Value.RawValue == UInt32 {
        Value(rawValue: read(Register<UInt32>(offset: register.offset)))
    }

    /// Writes a 32-bit register from the type it holds.
    @inline(__always)
    public func write<Value: RegisterValue>(_ register: Register<Value>, _ value: Value) where Value.RawValue == UInt32 {
        write(Register<UInt32>(offset: register.offset), value.rawValue)
    }

    /// Reads a 64-bit register as the type it holds.
    @inline(__always)
    public func read<Value: RegisterValue>(_ register: Register<Value>) -> Value where Value.RawValue == UInt64 {
        Value(rawValue: read(Register<UInt64>(offset: register.offset)))
    }

    /// Writes a 64-bit register from the type it holds.
    @inline(__always)
    public func write<Value: RegisterValue>(_ register: Register<Value>, _ value: Value) where Value.RawValue == UInt64 {
        write(Register<UInt64>(offset: register.offset), value.rawValue)
    }
}

/// How the register sequences wait for the hardware: the caller supplies a
/// function that polls `condition` until it holds (true) or a deadline
/// passes (false). The image passes `Deadline.wait(milliseconds:until:)`;
/// host tests pass a function that records the wait and polls once.
///
/// The sequences never spin themselves, so no wait here is unbounded.
public typealias HardwareWait = (_ condition: () -> Bool) -> Bool
