/// The hardware seam of the GIC sequences in this folder: 32- and 64-bit
/// accesses at byte offsets from the base of one register frame (a
/// distributor, or one redistributor's RD_base).
///
/// The image's implementation is volatile MMIO (`MMIORegion`); host tests
/// use a fake that records every access. Code that uses it is generic over
/// the protocol (never `any RegisterFile`), so Embedded Swift specialises it
/// and the image calls the MMIO accessors directly.
public protocol RegisterFile {
    /// A 32-bit read at `offset` bytes from the frame's base.
    func read32(_ offset: Int) -> UInt32
    /// A 32-bit write at `offset` bytes from the frame's base.
    func write32(_ offset: Int, _ value: UInt32)
    /// A 64-bit read (`GICR_TYPER`, `GICD_IROUTER<n>`).
    func read64(_ offset: Int) -> UInt64
    /// A 64-bit write (`GICD_IROUTER<n>`).
    func write64(_ offset: Int, _ value: UInt64)
}

/// How the GIC sequences wait for the hardware: the caller supplies a
/// function that polls `condition` until it holds (true) or a deadline
/// passes (false). The image passes `Deadline.wait(milliseconds:until:)`;
/// host tests pass a function that records the wait and polls once.
///
/// The sequences never spin themselves, so no wait here is unbounded.
public typealias HardwareWait = (_ condition: () -> Bool) -> Bool
