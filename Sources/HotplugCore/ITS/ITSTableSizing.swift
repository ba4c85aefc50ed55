// How much memory the ITS and the redistributors need for a wanted number of
// devices, events, collections and LPIs, from what the hardware answers
// (`GITS_TYPER`, `GITS_BASER<n>`, `GICD_TYPER`), by the rules of IHI 0069:
// the ITS tables in `GITS_BASER<n>` pages (§5.2 and GITS_BASER), the
// Interrupt Translation Tables of MAPD (§5.3), and the LPI configuration and
// pending tables of `GICR_PROPBASER` / `GICR_PENDBASER` (§5.1.1, §5.1.2).
// Pure arithmetic: the kernel allocates what these say.

/// Why a wanted ITS or LPI configuration cannot be had on this hardware.
public enum ITSSizingError: Error, Equatable, Sendable {
    /// `GITS_TYPER.Physical` is clear: the ITS translates no physical LPIs.
    case noPhysicalLPIs
    /// `GICD_TYPER.LPIS` is clear: the GIC has no LPIs at all.
    case noLPIs
    /// More DeviceIDs wanted than `GITS_TYPER.Devbits` allows.
    case tooManyDevices(wanted: Int, supported: Int)
    /// More EventID bits wanted than `GITS_TYPER.IDbits` allows (or none).
    case eventIDBitsOutOfRange(wanted: Int, supported: Int)
    /// More collections wanted than ICIDs (`GITS_TYPER.CIL`/`CIDbits`).
    case tooManyCollections(wanted: Int, supported: Int)
    /// No `GITS_BASER<n>` has the type the table needs.
    case noTableDescriptor(ITSTableType)
    /// The table needs more than 256 pages flat and the ITS cannot make it
    /// two-level (Indirect reads back 0), or needs more than 256 pages of
    /// level-1 entries even then.
    case tableTooLarge(ITSTableType, entries: Int)
    /// More LPIs wanted than the GIC's INTID bits (or `num_LPIs`) allow.
    case tooManyLPIs(wanted: Int, supported: Int)
    /// Nothing wanted: a table for zero IDs.
    case nothingWanted
}

/// The shape of one ITS table in memory: flat (`GITS_BASER<n>` points at
/// the entries) or two-level (it points at 8-byte level-1 entries, each
/// pointing at one page of entries, allocated when an ID in it is first
/// used).
public struct ITSTableLayout: Hashable, Sendable {
    /// What the table holds.
    public let type: ITSTableType
    /// IDs the table covers, 0 ..< entries.
    public let entries: Int
    /// Bytes per entry (`GITS_BASER<n>.Entry_Size` + 1).
    public let entrySize: Int
    /// The table's page size.
    public let pageSize: ITSPageSize
    /// Two-level.
    public let indirect: Bool
    /// Pages `GITS_BASER<n>` gives (its Size + 1): of entries when flat, of
    /// level-1 entries when indirect. Allocate `bytes`, aligned to the page
    /// size.
    public let pages: Int

    /// Bytes of the table `GITS_BASER<n>` points at.
    public var bytes: Int { pages * pageSize.bytes }

    /// Entries one page holds: the IDs one level-2 page covers.
    public var entriesPerPage: Int { pageSize.bytes / entrySize }

    /// Level-1 entries in use (indirect only): one per level-2 page.
    public var level1Entries: Int { indirect ? (entries + entriesPerPage - 1) / entriesPerPage : 0 }

    /// The level-2 page (its level-1 entry's index) that holds `id`'s entry.
    /// Precondition: indirect, and `id` in 0 ..< entries.
    public func level2Page(holding id: Int) -> Int {
        precondition(indirect && id >= 0 && id < entries, "no level-2 page for that ID")
        return id / entriesPerPage
    }

    /// Bytes of level-2 pages if every ID is used (indirect), 0 when flat:
    /// the most the table can grow to beyond `bytes`.
    public var fullyPopulatedLevel2Bytes: Int { level1Entries * pageSize.bytes }

    /// Bytes of a level-1 entry.
    public static let level1EntrySize = 8

    /// The layout for `entries` IDs of `entrySize` bytes in pages of
    /// `pageSize`: flat when it fits the 256 pages `GITS_BASER<n>.Size` can
    /// give, else two-level when `indirectSupported` (Indirect written 1
    /// read back 1) and the level-1 entries fit 256 pages.
    public static func sizing(
        _ type: ITSTableType, entries: Int, entrySize: Int, pageSize: ITSPageSize, indirectSupported: Bool
    ) throws(ITSSizingError) -> ITSTableLayout {
        guard entries > 0 else { throw .nothingWanted }
        precondition(entrySize >= 1 && entrySize <= 32, "Entry_Size is 5 bits: 1-32 bytes")
        let page = pageSize.bytes
        let flatPages = pagesFor(bytes: entries * entrySize, page: page)
        if flatPages <= ITSTableDescriptor.maximumPages {
            return ITSTableLayout(
                type: type, entries: entries, entrySize: entrySize, pageSize: pageSize, indirect: false, pages: flatPages)
        }
        let perPage = page / entrySize
        let level1 = (entries + perPage - 1) / perPage
        let level1Pages = pagesFor(bytes: level1 * level1EntrySize, page: page)
        guard indirectSupported, level1Pages <= ITSTableDescriptor.maximumPages else {
            throw .tableTooLarge(type, entries: entries)
        }
        return ITSTableLayout(
            type: type, entries: entries, entrySize: entrySize, pageSize: pageSize, indirect: true, pages: level1Pages)
    }

    private static func pagesFor(bytes: Int, page: Int) -> Int { (bytes + page - 1) / page }
}

/// Where the ITS keeps its collections: inside itself (every wanted ICID
/// is below `GITS_TYPER.HCC`) or in a memory table.
public enum ITSCollectionStorage: Hashable, Sendable {
    /// All wanted collections are held by the ITS; no table is needed (and
    /// the collections are lost if the ITS is powered down).
    case inITS
    /// A collection table is needed.
    case table(ITSTableLayout)
}

/// The sizing rules for one ITS, from its `GITS_TYPER`.
public struct ITSTableSizing: Sendable {
    public let type: ITSType

    @inline(__always)
    public init(type: ITSType) {
        self.type = type
    }

    /// The device table for DeviceIDs 0 ..< `devices`, with the entry size
    /// and page size `descriptor` (the `GITS_BASER<n>` of type Devices, as
    /// read back after writing the wanted page size) gives.
    public func deviceTable(
        devices: Int, descriptor: ITSTableDescriptor, indirectSupported: Bool
    ) throws(ITSSizingError) -> ITSTableLayout {
        guard type.supportsPhysicalLPIs else { throw .noPhysicalLPIs }
        guard descriptor.type == .devices else { throw .noTableDescriptor(.devices) }
        let supported = ITSTableSizing.count(bits: type.deviceIDBits)
        guard devices <= supported else { throw .tooManyDevices(wanted: devices, supported: supported) }
        return try ITSTableLayout.sizing(
            .devices, entries: devices, entrySize: descriptor.entrySize, pageSize: descriptor.pageSize,
            indirectSupported: indirectSupported)
    }

    /// Where collections 0 ..< `collections` are kept: in the ITS when
    /// `collections` ≤ HCC, else in a table sized for all of them (the
    /// ITS holds ICIDs below HCC itself; sizing the table for every ICID
    /// from 0, as Linux does, is never too small). `descriptor` is the
    /// `GITS_BASER<n>` of type Collections, or nil when the ITS has none.
    public func collectionStorage(
        collections: Int, descriptor: ITSTableDescriptor?, indirectSupported: Bool
    ) throws(ITSSizingError) -> ITSCollectionStorage {
        guard type.supportsPhysicalLPIs else { throw .noPhysicalLPIs }
        guard collections > 0 else { throw .nothingWanted }
        let supported = ITSTableSizing.count(bits: type.collectionIDBits)
        guard collections <= supported else { throw .tooManyCollections(wanted: collections, supported: supported) }
        if collections <= type.hardwareCollectionCount { return .inITS }
        guard let descriptor, descriptor.type == .collections else { throw .noTableDescriptor(.collections) }
        return .table(try ITSTableLayout.sizing(
            .collections, entries: collections, entrySize: descriptor.entrySize, pageSize: descriptor.pageSize,
            indirectSupported: indirectSupported))
    }

    /// Bytes of one device's Interrupt Translation Table for
    /// `eventIDBits`-bit EventIDs (MAPD's Size + 1): ITT_entry_size ×
    /// 2^eventIDBits, rounded up to the 256-byte alignment MAPD's ITT_addr
    /// has, so ITTs placed back to back stay aligned.
    public func interruptTranslationTableBytes(eventIDBits: Int) throws(ITSSizingError) -> Int {
        guard type.supportsPhysicalLPIs else { throw .noPhysicalLPIs }
        guard eventIDBits >= 1, eventIDBits <= type.eventIDBits else {
            throw .eventIDBitsOutOfRange(wanted: eventIDBits, supported: type.eventIDBits)
        }
        let bytes = type.ittEntrySize << eventIDBits
        let alignment = ITSCommand.ittAlignment
        return (bytes + alignment - 1) / alignment * alignment
    }

    /// EventID bits a device with `events` events needs: the smallest
    /// b ≥ 1 with 2^b ≥ `events` (MAPD's Size cannot say 0 bits).
    public static func eventIDBits(forEvents events: Int) -> Int {
        precondition(events >= 1, "a device has at least one event")
        var bits = 1
        while 1 << bits < events { bits += 1 }
        return bits
    }

    /// 2^bits, the IDs a b-bit field numbers.
    static func count(bits: Int) -> Int { 1 << bits }
}

/// The LPI configuration table and the pending tables for LPIs 8192 ..<
/// 2^`interruptIDBits` (IHI 0069 §5.1.1–§5.1.2): `GICR_PROPBASER.IDbits`
/// is `interruptIDBits` − 1.
public struct LPITableSizing: Hashable, Sendable {
    /// INTID bits the tables cover, 14 ... 32.
    public let interruptIDBits: Int

    /// The first LPI INTID: the configuration table's byte 0.
    public static let firstLPI = 8192

    /// The smallest tables that hold `lpis` LPIs (8192 ..< 8192 + `lpis`) on
    /// a GIC whose `GICD_TYPER` is `distributor`: the fewest INTID bits,
    /// at least 14, with 2^bits − 8192 ≥ `lpis`.
    ///
    /// - Throws: `noLPIs` when `GICD_TYPER.LPIS` is clear; `tooManyLPIs`
    ///   beyond `GICD_TYPER.IDbits` + 1 INTID bits or, when
    ///   `GICD_TYPER.num_LPIs` is non-zero, beyond its 2^(num_LPIs + 1).
    public init(lpis: Int, distributor: DistributorType) throws(ITSSizingError) {
        guard distributor.supportsLPIs else { throw .noLPIs }
        guard lpis > 0 else { throw .nothingWanted }
        let maximumBits = Int(distributor.interruptIDBits)
        var supported = maximumBits >= 14 ? (1 << maximumBits) - LPITableSizing.firstLPI : 0
        if distributor.numLPIs != 0 {
            supported = min(supported, 1 << (Int(distributor.numLPIs) + 1))
        }
        guard lpis <= supported else { throw .tooManyLPIs(wanted: lpis, supported: supported) }
        var bits = 14
        while (1 << bits) - LPITableSizing.firstLPI < lpis { bits += 1 }
        self.interruptIDBits = bits
    }

    /// LPIs the tables cover: 2^bits − 8192.
    public var lpiCount: Int { (1 << interruptIDBits) - LPITableSizing.firstLPI }

    /// The last LPI INTID covered.
    public var lastLPI: InterruptID { InterruptID(UInt32((1 << interruptIDBits) - 1)) }

    /// Bytes of the LPI configuration table: one byte per LPI, 2^bits −
    /// 8192 (the table starts at LPI 8192; there are no bytes for INTIDs
    /// below it).
    public var configurationTableBytes: Int { lpiCount }

    /// Alignment of the configuration table: `GICR_PROPBASER` holds address
    /// bits 51:12.
    public static let configurationTableAlignment = 0x1000

    /// Bytes of one pending table: one bit per INTID from 0, 2^bits / 8.
    /// The first 1 KiB (INTIDs 0–8191) is IMPLEMENTATION DEFINED and must be
    /// zero when the table is handed over with PTZ clear and never written
    /// by software.
    public var pendingTableBytes: Int { (1 << interruptIDBits) / 8 }

    /// Alignment of each pending table: `GICR_PENDBASER` holds address
    /// bits 51:16.
    public static let pendingTableAlignment = 0x1_0000

    /// Bytes to allocate per CPU for its pending table, rounded up to the
    /// 64 KiB alignment so tables placed back to back stay aligned (as
    /// Linux sizes them).
    public var pendingTableAllocationBytes: Int {
        let alignment = LPITableSizing.pendingTableAlignment
        return (pendingTableBytes + alignment - 1) / alignment * alignment
    }
}
