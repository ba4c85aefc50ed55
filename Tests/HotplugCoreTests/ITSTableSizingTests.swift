import XCTest
@testable import HotplugCore

/// Table sizing from the hardware's answers: ITS device and collection
/// tables (flat while 256 pages suffice, two-level beyond), ITT bytes per
/// device, the LPI configuration and pending tables, and the errors for
/// what the hardware cannot hold. Expected sizes are worked out in the
/// comments.
final class ITSTableSizingTests: XCTestCase {
    private let sixteenBit = ITSFixtures.sixteenBitITS
    private let devices64K = ITSFixtures.deviceTable64K
    private let collections64K = ITSFixtures.collectionTable64K

    // MARK: Device table

    func testDeviceTableFlatWhenItFits() throws {
        // 65,536 DeviceIDs × 8 bytes = 512 KiB = 8 pages of 64 KiB.
        let table = try ITSTableSizing(type: sixteenBit).deviceTable(
            devices: 1 << 16, descriptor: devices64K, indirectSupported: true)
        XCTAssertEqual(table.type, .devices)
        XCTAssertFalse(table.indirect)
        XCTAssertEqual(table.pages, 8)
        XCTAssertEqual(table.bytes, 512 * 1024)
        XCTAssertEqual(table.level1Entries, 0)
        XCTAssertEqual(table.fullyPopulatedLevel2Bytes, 0)
        // A few devices still take a whole page.
        let small = try ITSTableSizing(type: sixteenBit).deviceTable(
            devices: 4, descriptor: devices64K, indirectSupported: false)
        XCTAssertEqual(small.pages, 1)
    }

    func testFlatUpTo256PagesThenIndirect() throws {
        // 4 KiB pages, 8-byte entries: 512 entries a page, so 131,072 IDs
        // fill exactly 256 pages, the most Size can give.
        let atLimit = try ITSTableLayout.sizing(
            .devices, entries: 131_072, entrySize: 8, pageSize: .size4K, indirectSupported: true)
        XCTAssertFalse(atLimit.indirect)
        XCTAssertEqual(atLimit.pages, 256)
        // One more ID: two-level, 257 level-1 entries × 8 bytes = 2,056
        // bytes, one page.
        let beyond = try ITSTableLayout.sizing(
            .devices, entries: 131_073, entrySize: 8, pageSize: .size4K, indirectSupported: true)
        XCTAssertTrue(beyond.indirect)
        XCTAssertEqual(beyond.entriesPerPage, 512)
        XCTAssertEqual(beyond.level1Entries, 257)
        XCTAssertEqual(beyond.pages, 1)
        XCTAssertEqual(beyond.level2Page(holding: 0), 0)
        XCTAssertEqual(beyond.level2Page(holding: 511), 0)
        XCTAssertEqual(beyond.level2Page(holding: 512), 1)
        XCTAssertEqual(beyond.level2Page(holding: 131_072), 256)
        XCTAssertEqual(beyond.fullyPopulatedLevel2Bytes, 257 * 4096)
        // Without Indirect the same request cannot be had.
        XCTAssertThrowsError(try ITSTableLayout.sizing(
            .devices, entries: 131_073, entrySize: 8, pageSize: .size4K, indirectSupported: false)) { error in
            XCTAssertEqual(error as? ITSSizingError, .tableTooLarge(.devices, entries: 131_073))
        }
    }

    func testIndirectLimitAndLargePages() throws {
        // 2^20 DeviceIDs, 8-byte entries, 4 KiB pages: 2,048 level-2 pages,
        // level 1 = 2,048 × 8 = 16 KiB = 4 pages.
        let megaDevices = try ITSTableLayout.sizing(
            .devices, entries: 1 << 20, entrySize: 8, pageSize: .size4K, indirectSupported: true)
        XCTAssertTrue(megaDevices.indirect)
        XCTAssertEqual(megaDevices.pages, 4)
        // The same with 64 KiB pages is flat: 8 MiB = 128 pages.
        let flat = try ITSTableLayout.sizing(
            .devices, entries: 1 << 20, entrySize: 8, pageSize: .size64K, indirectSupported: true)
        XCTAssertFalse(flat.indirect)
        XCTAssertEqual(flat.pages, 128)
        // 2^32 IDs with 4 KiB pages: 2^23 level-1 entries = 64 MiB, far
        // beyond 256 pages even two-level.
        XCTAssertThrowsError(try ITSTableLayout.sizing(
            .devices, entries: 1 << 32, entrySize: 8, pageSize: .size4K, indirectSupported: true)) { error in
            XCTAssertEqual(error as? ITSSizingError, .tableTooLarge(.devices, entries: 1 << 32))
        }
        XCTAssertThrowsError(try ITSTableLayout.sizing(
            .devices, entries: 0, entrySize: 8, pageSize: .size4K, indirectSupported: true)) { error in
            XCTAssertEqual(error as? ITSSizingError, .nothingWanted)
        }
    }

    func testDeviceTableErrors() {
        let sizing = ITSTableSizing(type: sixteenBit)
        XCTAssertThrowsError(try sizing.deviceTable(devices: (1 << 16) + 1, descriptor: devices64K, indirectSupported: true)) {
            XCTAssertEqual($0 as? ITSSizingError, .tooManyDevices(wanted: 65_537, supported: 65_536))
        }
        XCTAssertThrowsError(try sizing.deviceTable(devices: 4, descriptor: collections64K, indirectSupported: true)) {
            XCTAssertEqual($0 as? ITSSizingError, .noTableDescriptor(.devices))
        }
        let virtualOnly = ITSTableSizing(type: ITSType(rawValue: 0x2))
        XCTAssertThrowsError(try virtualOnly.deviceTable(devices: 4, descriptor: devices64K, indirectSupported: true)) {
            XCTAssertEqual($0 as? ITSSizingError, .noPhysicalLPIs)
        }
    }

    // MARK: Collections

    func testCollectionsHeldInTheITSUpToHCC() throws {
        // HCC 8 (bits 31:24), CIL clear: 16-bit ICIDs.
        let hcc8 = ITSTableSizing(type: ITSType(rawValue: 0x0800_0001))
        XCTAssertEqual(try hcc8.collectionStorage(collections: 8, descriptor: nil, indirectSupported: false), .inITS)
        // Nine collections need memory: 9 × 8 bytes in one 64 KiB page.
        let table = try hcc8.collectionStorage(collections: 9, descriptor: collections64K, indirectSupported: false)
        guard case let .table(layout) = table else { return XCTFail("expected a collection table") }
        XCTAssertEqual(layout.type, .collections)
        XCTAssertEqual(layout.entries, 9)
        XCTAssertEqual(layout.pages, 1)
        XCTAssertFalse(layout.indirect)
        XCTAssertThrowsError(try hcc8.collectionStorage(collections: 9, descriptor: nil, indirectSupported: false)) {
            XCTAssertEqual($0 as? ITSSizingError, .noTableDescriptor(.collections))
        }
        XCTAssertThrowsError(try hcc8.collectionStorage(collections: 9, descriptor: devices64K, indirectSupported: false)) {
            XCTAssertEqual($0 as? ITSSizingError, .noTableDescriptor(.collections))
        }
    }

    func testCollectionCountLimitedByCIDbits() {
        // CIL with CIDbits 3: ICIDs 0-15.
        let narrow = ITSTableSizing(type: ITSType(rawValue: 1 | 1 << 36 | 3 << 32))
        XCTAssertNoThrow(try narrow.collectionStorage(collections: 16, descriptor: collections64K, indirectSupported: false))
        XCTAssertThrowsError(try narrow.collectionStorage(collections: 17, descriptor: collections64K, indirectSupported: false)) {
            XCTAssertEqual($0 as? ITSSizingError, .tooManyCollections(wanted: 17, supported: 16))
        }
    }

    // MARK: Interrupt Translation Tables

    func testITTBytesAreEntrySizeTimesEventsRoundedTo256() throws {
        let sizing = ITSTableSizing(type: sixteenBit)
        // 16-byte entries × 2^5 = 512 bytes.
        XCTAssertEqual(try sizing.interruptTranslationTableBytes(eventIDBits: 5), 512)
        // 16 × 2 = 32 bytes: rounded up to the 256-byte ITT alignment.
        XCTAssertEqual(try sizing.interruptTranslationTableBytes(eventIDBits: 1), 256)
        // 16 × 2^16 = 1 MiB.
        XCTAssertEqual(try sizing.interruptTranslationTableBytes(eventIDBits: 16), 1 << 20)
        // 8-byte entries × 2^4 = 128 bytes: 256.
        let eight = ITSTableSizing(type: ITSType(rawValue: 0x080E_6477))
        XCTAssertEqual(try eight.interruptTranslationTableBytes(eventIDBits: 4), 256)
        // Odd entry sizes (12 bytes, ITT_entry_size 11) × 2^6 = 768.
        let twelve = ITSTableSizing(type: ITSType(rawValue: 1 | 11 << 4 | 15 << 8))
        XCTAssertEqual(try twelve.interruptTranslationTableBytes(eventIDBits: 6), 768)
        XCTAssertEqual(try twelve.interruptTranslationTableBytes(eventIDBits: 3), 256, "96 bytes, rounded")
    }

    func testITTErrorsAndEventBits() {
        let sizing = ITSTableSizing(type: sixteenBit)
        XCTAssertThrowsError(try sizing.interruptTranslationTableBytes(eventIDBits: 17)) {
            XCTAssertEqual($0 as? ITSSizingError, .eventIDBitsOutOfRange(wanted: 17, supported: 16))
        }
        XCTAssertThrowsError(try sizing.interruptTranslationTableBytes(eventIDBits: 0)) {
            XCTAssertEqual($0 as? ITSSizingError, .eventIDBitsOutOfRange(wanted: 0, supported: 16))
        }
        let bits: [(events: Int, bits: Int)] = [(1, 1), (2, 1), (3, 2), (32, 5), (33, 6), (8192, 13), (8193, 14)]
        for (events, expected) in bits {
            XCTAssertEqual(ITSTableSizing.eventIDBits(forEvents: events), expected, "\(events) events")
        }
    }

    // MARK: LPI tables

    func testLPITablesOnQEMUsDistributor() throws {
        // QEMU virt GICD_TYPER 0x037A0007: LPIS, IDbits 15 (16 INTID bits),
        // num_LPIs 0.
        let distributor = DistributorType(rawValue: 0x037A_0007)
        // 8,192 LPIs: 14 bits (INTIDs 8192-16383); configuration table
        // 2^14 − 8192 = 8 KiB; pending table 2^14 / 8 = 2 KiB, allocated as
        // 64 KiB to keep the next one aligned.
        let small = try LPITableSizing(lpis: 8192, distributor: distributor)
        XCTAssertEqual(small.interruptIDBits, 14)
        XCTAssertEqual(small.lpiCount, 8192)
        XCTAssertEqual(small.lastLPI, InterruptID(16383))
        XCTAssertEqual(small.configurationTableBytes, 8192)
        XCTAssertEqual(small.pendingTableBytes, 2048)
        XCTAssertEqual(small.pendingTableAllocationBytes, 64 * 1024)
        // One more LPI needs 15 bits: 24 KiB and 4 KiB.
        let more = try LPITableSizing(lpis: 8193, distributor: distributor)
        XCTAssertEqual(more.interruptIDBits, 15)
        XCTAssertEqual(more.configurationTableBytes, 24 * 1024)
        XCTAssertEqual(more.pendingTableBytes, 4096)
        // The most 16 bits hold: 65,536 − 8,192.
        XCTAssertEqual(try LPITableSizing(lpis: 57_344, distributor: distributor).interruptIDBits, 16)
        XCTAssertThrowsError(try LPITableSizing(lpis: 57_345, distributor: distributor)) {
            XCTAssertEqual($0 as? ITSSizingError, .tooManyLPIs(wanted: 57_345, supported: 57_344))
        }
        // The table registers accept what the sizing gives.
        let properties = LPIConfigurationTableDescriptor(
            address: 0x4030_0000, interruptIDBits: small.interruptIDBits, attributes: .normalWriteBack)
        XCTAssertEqual(properties.idBitsField, 13)
    }

    func testLPISizingErrorsAndNumLPIs() {
        // LPIS clear.
        XCTAssertThrowsError(try LPITableSizing(lpis: 1, distributor: DistributorType(rawValue: 0x0078_0007))) {
            XCTAssertEqual($0 as? ITSSizingError, .noLPIs)
        }
        // 24 INTID bits (IDbits 23) but num_LPIs 12: 2^13 LPIs at most.
        let limited = DistributorType(rawValue: 1 << 17 | 23 << 19 | 12 << 11)
        XCTAssertNoThrow(try LPITableSizing(lpis: 8192, distributor: limited))
        XCTAssertThrowsError(try LPITableSizing(lpis: 8193, distributor: limited)) {
            XCTAssertEqual($0 as? ITSSizingError, .tooManyLPIs(wanted: 8193, supported: 8192))
        }
        XCTAssertThrowsError(try LPITableSizing(lpis: 0, distributor: DistributorType(rawValue: 0x037A_0007))) {
            XCTAssertEqual($0 as? ITSSizingError, .nothingWanted)
        }
    }
}
