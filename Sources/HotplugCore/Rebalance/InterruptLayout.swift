/// The INTIDs a distributor implements (Arm IHI 0069 §2.2), numbered densely
/// for the kernel's tables, sized from `GICD_TYPER` (ITLinesNumber, ESPI,
/// ESPI_range; §12.9.38) rather than a fixed 1024.
///
/// One numbering, seen two ways:
/// - a *slot* for every INTID a per-INTID table counts: SGIs and PPIs keep
///   their INTID (0–31), the SPIs follow in INTID order, then the extended
///   SPIs (QEMU's 224 SPIs: 256 slots);
/// - an *index* for every shared interrupt (SPI or eSPI), one descriptor
///   each: the slot less the 32 private INTIDs, so index 0 is INTID 32.
public struct InterruptLayout: Equatable, Sendable {
    /// The number of SPIs, from INTID 32 up.
    public let spiCount: Int

    /// The number of extended SPIs, from INTID 4096 up.
    public let extendedSPICount: Int

    /// SGIs and PPIs: the INTIDs below the first SPI, a slot each.
    public static let privateCount = Int(InterruptID.firstSPI)

    /// The layout of the distributor whose `GICD_TYPER` reads `type`.
    public init(_ type: DistributorType) {
        self.init(spiCount: type.spiCount, extendedSPICount: type.extendedSPICount)
    }

    /// A layout of `spiCount` SPIs (32 onwards) and `extendedSPICount`
    /// extended SPIs (4096 onwards).
    ///
    /// - Precondition: the counts fit the SPI (32–1019) and extended SPI
    ///   (4096–5119) INTID ranges.
    public init(spiCount: Int, extendedSPICount: Int = 0) {
        precondition(spiCount >= 0 && spiCount <= Int(InterruptID.lastSPI - InterruptID.firstSPI) + 1,
                     "InterruptLayout: more SPIs than INTIDs 32...1019")
        precondition(extendedSPICount >= 0
                     && extendedSPICount <= Int(InterruptID.lastExtendedSPI - InterruptID.firstExtendedSPI) + 1,
                     "InterruptLayout: more extended SPIs than INTIDs 4096...5119")
        self.spiCount = spiCount
        self.extendedSPICount = extendedSPICount
    }

    /// The SPI INTIDs, or `nil` when the distributor has none.
    public var spis: ClosedRange<UInt32>? {
        spiCount == 0 ? nil : InterruptID.firstSPI ... InterruptID.firstSPI + UInt32(spiCount - 1)
    }

    /// The extended SPI INTIDs, or `nil` when `GICD_TYPER.ESPI` is clear.
    public var extendedSPIs: ClosedRange<UInt32>? {
        extendedSPICount == 0
            ? nil : InterruptID.firstExtendedSPI ... InterruptID.firstExtendedSPI + UInt32(extendedSPICount - 1)
    }

    // MARK: Shared interrupts (descriptor tables)

    /// The number of shared interrupts (SPIs plus extended SPIs): indices.
    public var sharedCount: Int { spiCount + extendedSPICount }

    /// The index of `id`, or `nil` if it is not a shared interrupt the
    /// distributor implements.
    @inline(__always)
    public func index(of id: InterruptID) -> Int? {
        guard let slot = slot(of: id), slot >= InterruptLayout.privateCount else { return nil }
        return slot - InterruptLayout.privateCount
    }

    /// The INTID at `index`.
    ///
    /// - Precondition: `0 <= index < sharedCount`.
    public func interrupt(at index: Int) -> InterruptID {
        precondition(index >= 0 && index < sharedCount, "InterruptLayout: index out of range")
        if index < spiCount {
            return InterruptID(InterruptID.firstSPI + UInt32(index))
        }
        return InterruptID(InterruptID.firstExtendedSPI + UInt32(index - spiCount))
    }

    // MARK: Every INTID (per-INTID tables)

    /// The number of slots: SGIs, PPIs, SPIs and extended SPIs.
    public var slotCount: Int { InterruptLayout.privateCount + sharedCount }

    /// The slot of `id`, or `nil` for an INTID this distributor does not
    /// implement (LPIs and the special INTIDs 1020–1023 included).
    @inline(__always)
    public func slot(of id: InterruptID) -> Int? {
        let raw = id.rawValue
        if raw < InterruptID.firstSPI + UInt32(spiCount) {
            return Int(raw)
        }
        if raw >= InterruptID.firstExtendedSPI && raw < InterruptID.firstExtendedSPI + UInt32(extendedSPICount) {
            return InterruptLayout.privateCount + spiCount + Int(raw - InterruptID.firstExtendedSPI)
        }
        return nil
    }
}
