import XCTest
@testable import HotplugCore

/// The ITS memory plan: a worked layout for QEMU's virt at -smp 4 with 8,192
/// LPIs, then every piece aligned as its register requires and none
/// overlapping, over seeded random configurations.
final class ITSMemoryPlanTests: XCTestCase {
    func testFourCPUs8192LPIsFourDevices() throws {
        let sizing = ITSTableSizing(type: ITSFixtures.sixteenBitITS)
        let lpis = try LPITableSizing(lpis: 8192, distributor: DistributorType(rawValue: 0x037A_0007))
        let deviceTable = try sizing.deviceTable(devices: 4, descriptor: ITSFixtures.deviceTable64K, indirectSupported: true)
        let collections = try sizing.collectionStorage(collections: 4, descriptor: ITSFixtures.collectionTable64K, indirectSupported: true)
        // 2,048 events per device: 11 EventID bits, 16 × 2^11 = 32 KiB.
        let itt = try sizing.interruptTranslationTableBytes(eventIDBits: ITSTableSizing.eventIDBits(forEvents: 2048))
        XCTAssertEqual(itt, 32 * 1024)
        let plan = ITSMemoryPlan(
            base: 0x4100_0000, cpus: 4, lpis: lpis, deviceTable: deviceTable, collections: collections,
            devices: 4, ittBytes: itt, commandQueuePages: 16)
        // Four 64 KiB pending tables (2 KiB used in each).
        XCTAssertEqual(plan.pendingTable(cpu: 0).base, 0x4100_0000)
        XCTAssertEqual(plan.pendingTable(cpu: 3).base, 0x4103_0000)
        // One 64 KiB page each for the device and collection tables.
        XCTAssertEqual(plan.deviceTable, ITSMemoryPlan.Piece(base: 0x4104_0000, bytes: 0x1_0000))
        XCTAssertEqual(plan.collectionTable, ITSMemoryPlan.Piece(base: 0x4105_0000, bytes: 0x1_0000))
        // 8 KiB of configuration bytes, then a 64 KiB queue, then 4 × 32 KiB ITTs.
        XCTAssertEqual(plan.configurationTable, ITSMemoryPlan.Piece(base: 0x4106_0000, bytes: 0x2000))
        XCTAssertEqual(plan.commandQueue, ITSMemoryPlan.Piece(base: 0x4106_2000, bytes: 0x1_0000))
        XCTAssertEqual(plan.interruptTranslationTable(device: 0).base, 0x4107_2000)
        XCTAssertEqual(plan.interruptTranslationTable(device: 3).base, 0x4108_A000)
        XCTAssertEqual(plan.end, 0x4109_2000)
        XCTAssertEqual(plan.bytes, 0x9_2000)
        // The registers take these addresses as they are.
        XCTAssertEqual(
            LPIPendingTableDescriptor(address: plan.pendingTable(cpu: 3).base, attributes: .normalWriteBack,
                                      pendingTableZero: true).physicalAddress, 0x4103_0000)
        XCTAssertEqual(
            ITSCommandQueueDescriptor(address: plan.commandQueue.base, pages: 16, attributes: .normalWriteBack).bytes,
            plan.commandQueue.bytes)
    }

    func testCollectionsInTheITSTakeNoMemory() throws {
        let hcc = ITSTableSizing(type: ITSType(rawValue: 0x0800_0001 | 15 << 8 | 15 << 13 | 15 << 4))
        let collections = try hcc.collectionStorage(collections: 4, descriptor: nil, indirectSupported: false)
        XCTAssertEqual(collections, .inITS)
        let plan = ITSMemoryPlan(
            base: 0, cpus: 1, lpis: try LPITableSizing(lpis: 1, distributor: DistributorType(rawValue: 0x037A_0007)),
            deviceTable: try hcc.deviceTable(devices: 1, descriptor: ITSFixtures.deviceTable64K, indirectSupported: false),
            collections: collections, devices: 1, ittBytes: 256, commandQueuePages: 1)
        XCTAssertNil(plan.collectionTable)
        XCTAssertEqual(plan.configurationTable.base, 0x2_0000, "right after the device table")
    }

    func testPiecesAreAlignedAndDisjoint() throws {
        var random = SplitMix64(seed: 0x175_0)
        let pageSizes: [ITSPageSize] = [.size4K, .size16K, .size64K]
        for _ in 0 ..< 2_000 {
            let pageSize = pageSizes[random.below(3)]
            let descriptor = ITSTableDescriptor(rawValue: 1 << 56 | UInt64(random.below(32)) << 48)
            let table = try ITSTableLayout.sizing(
                .devices, entries: 1 + random.below(1 << 17), entrySize: descriptor.entrySize, pageSize: pageSize,
                indirectSupported: true)
            let collections: ITSCollectionStorage = random.below(2) == 0 ? .inITS : .table(try ITSTableLayout.sizing(
                .collections, entries: 1 + random.below(512), entrySize: 8, pageSize: pageSizes[random.below(3)],
                indirectSupported: false))
            let lpis = try LPITableSizing(lpis: 1 + random.below(57_344), distributor: DistributorType(rawValue: 0x037A_0007))
            let plan = ITSMemoryPlan(
                base: UInt64(random.below(1 << 16)) << 16, cpus: 1 + random.below(20), lpis: lpis, deviceTable: table,
                collections: collections, devices: 1 + random.below(64), ittBytes: 256 * (1 + random.below(64)),
                commandQueuePages: 1 + random.below(256))
            var pieces: [(ITSMemoryPlan.Piece, Int)] = [
                (plan.deviceTable, pageSize.bytes), (plan.configurationTable, 4096), (plan.commandQueue, 4096),
            ]
            if case let .table(layout) = collections, let piece = plan.collectionTable {
                pieces.append((piece, layout.pageSize.bytes))
            }
            for cpu in 0 ..< plan.cpus { pieces.append((plan.pendingTable(cpu: cpu), 0x1_0000)) }
            for device in 0 ..< plan.devices { pieces.append((plan.interruptTranslationTable(device: device), 256)) }
            pieces.sort { $0.0.base < $1.0.base }
            XCTAssertGreaterThanOrEqual(pieces.first!.0.base, plan.base)
            XCTAssertLessThanOrEqual(pieces.last!.0.end, plan.end)
            for (index, (piece, alignment)) in pieces.enumerated() {
                XCTAssertEqual(piece.base % UInt64(alignment), 0, "\(piece) not \(alignment)-aligned")
                if index > 0 { XCTAssertLessThanOrEqual(pieces[index - 1].0.end, piece.base, "overlap at \(piece)") }
            }
            XCTAssertGreaterThanOrEqual(plan.pendingTable(cpu: 0).bytes, lpis.pendingTableBytes)
            XCTAssertGreaterThanOrEqual(plan.configurationTable.bytes, lpis.configurationTableBytes)
        }
    }
}
