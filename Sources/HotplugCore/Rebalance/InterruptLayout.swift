/// The shared interrupts a distributor implements, numbered densely: SPIs
/// from index 0 in INTID order, then the extended SPIs. A descriptor table
/// has one entry per index, so its size follows `GICD_TYPER`
/// (ITLinesNumber, ESPI, ESPI_range; Arm IHI 0069 §12.9.38) rather than a
/// fixed 1024.
public struct SharedInterruptLayout: Equatable, Sendable {
    /// The SPI INTIDs, or `nil` when the distributor has none.
    public let sharedInterrupts: ClosedRange<UInt32>?

    /// The extended SPI INTIDs, or `nil` when `GICD_TYPER.ESPI` is clear.
    public let extendedSPIs: ClosedRange<UInt32>?

    /// The layout of the distributor whose `GICD_TYPER` reads `type`.
    public init(_ type: DistributorType) {
        self.init(sharedInterrupts: type.spis, extendedSPIs: type.extendedSPIs)
    }

    /// A layout from explicit ranges.
    ///
    /// - Precondition: the ranges lie in the SPI (32–1019) and extended SPI
    ///   (4096–5119) INTID ranges respectively.
    public init(sharedInterrupts: ClosedRange<UInt32>?, extendedSPIs: ClosedRange<UInt32>?) {
        if let range = sharedInterrupts {
            precondition(range.lowerBound >= InterruptID.firstSPI && range.upperBound <= InterruptID.lastSPI,
                         "SharedInterruptLayout: SPI range outside 32...1019")
        }
        if let range = extendedSPIs {
            precondition(range.lowerBound >= InterruptID.firstExtendedSPI && range.upperBound <= InterruptID.lastExtendedSPI,
                         "SharedInterruptLayout: extended SPI range outside 4096...5119")
        }
        self.sharedInterrupts = sharedInterrupts
        self.extendedSPIs = extendedSPIs
    }

    /// The number of SPIs.
    public var spiCount: Int {
        guard let range = sharedInterrupts else { return 0 }
        return Int(range.upperBound - range.lowerBound) + 1
    }

    /// The number of extended SPIs.
    public var extendedSPICount: Int {
        guard let range = extendedSPIs else { return 0 }
        return Int(range.upperBound - range.lowerBound) + 1
    }

    /// The number of indices (SPIs plus extended SPIs).
    public var count: Int { spiCount + extendedSPICount }

    /// The index of `id`, or `nil` if the distributor does not implement it.
    public func index(of id: InterruptID) -> Int? {
        let raw = id.rawValue
        if let range = sharedInterrupts, range.contains(raw) {
            return Int(raw - range.lowerBound)
        }
        if let range = extendedSPIs, range.contains(raw) {
            return spiCount + Int(raw - range.lowerBound)
        }
        return nil
    }

    /// The INTID at `index`.
    ///
    /// - Precondition: `0 <= index < count`.
    public func interrupt(at index: Int) -> InterruptID {
        precondition(index >= 0 && index < count, "SharedInterruptLayout: index out of range")
        let spis = spiCount
        if index < spis, let range = sharedInterrupts {
            return InterruptID(range.lowerBound + UInt32(index))
        }
        // index >= spiCount, so the extended range exists (count says so).
        return InterruptID(extendedSPIs!.lowerBound + UInt32(index - spis))
    }
}
