/// Dense numbering of every INTID this GIC implements, for per-INTID tables:
/// SGIs, PPIs and SPIs keep their INTID (0 ... the SPI limit), extended SPIs
/// follow straight after. Sized from `GICD_TYPER`, so QEMU's 224 SPIs cost
/// 256 slots, not 1024.
public struct InterruptSlots: Equatable, Sendable {
    /// Highest SPI INTID (31 if the GIC has no SPIs).
    public let spiLimit: UInt32
    /// Number of extended SPIs (0 without eSPI).
    public let extendedCount: Int

    public init(_ type: DistributorType) {
        spiLimit = type.spis?.upperBound ?? InterruptID.firstSPI - 1
        extendedCount = type.extendedSPIs?.count ?? 0
    }

    public var count: Int { Int(spiLimit) + 1 + extendedCount }

    /// The slot of `id`, or nil for an INTID this GIC does not implement.
    @inline(__always)
    public func slot(of id: InterruptID) -> Int? {
        if id.rawValue <= spiLimit { return Int(id.rawValue) }
        if id.kind == .extendedSPI {
            let offset = Int(id.rawValue - InterruptID.firstExtendedSPI)
            if offset < extendedCount { return Int(spiLimit) + 1 + offset }
        }
        return nil
    }
}
