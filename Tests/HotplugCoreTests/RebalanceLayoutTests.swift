// Descriptor tables sized from GICD_TYPER (never a fixed 1024), the
// INTID <-> index mapping, and both policies moving extended SPIs.
import XCTest
@testable import HotplugCore

final class RebalanceLayoutTests: XCTestCase {
    /// `GICD_TYPER` with ITLinesNumber 31 (SPIs 32–1019, 988 of them) and
    /// ESPI set with ESPI_range 31 (eSPIs 4096–5119, 1024 of them).
    static let largestTyper = DistributorType(rawValue: 31 << 27 | 1 << 8 | 31)

    /// Table of `GICD_TYPER` values, one comment each.
    func testLayoutSizesFromDistributorType() {
        let cases: [(typer: UInt32, spis: Int, extended: Int, why: String)] = [
            (0x037A_0007, 224, 0, "QEMU virt: ITLinesNumber 7, INTIDs 32-255, no ESPI"),
            (0x0000_0000, 0, 0, "ITLinesNumber 0: no SPIs at all"),
            (31, 988, 0, "ITLinesNumber 31: capped at INTID 1019"),
            (31 << 27 | 1 << 8 | 31, 988, 1024, "largest: 988 SPIs and 1024 eSPIs"),
            (1 << 8, 0, 32, "ESPI with ESPI_range 0: 32 eSPIs, no SPIs"),
            (31 << 27 | 7, 224, 0, "ESPI_range set but ESPI clear: RES0, no eSPIs"),
        ]
        for testCase in cases {
            let layout = SharedInterruptLayout(DistributorType(rawValue: testCase.typer))
            XCTAssertEqual(layout.spiCount, testCase.spis, testCase.why)
            XCTAssertEqual(layout.extendedSPICount, testCase.extended, testCase.why)
            XCTAssertEqual(layout.count, testCase.spis + testCase.extended, testCase.why)
            XCTAssertEqual(DescriptorTable(distributorType: DistributorType(rawValue: testCase.typer)).count, layout.count, testCase.why)
        }
    }

    /// Index <-> INTID round trip over the largest layout, in INTID order,
    /// and unimplemented INTIDs have no index.
    func testIndexMappingRoundTripsInINTIDOrder() {
        let layout = SharedInterruptLayout(Self.largestTyper)
        XCTAssertEqual(layout.count, 2012)
        var previous: UInt32 = 0
        for index in 0 ..< layout.count {
            let id = layout.interrupt(at: index)
            XCTAssertTrue(id.isShared)
            XCTAssertGreaterThan(id.rawValue, previous)
            XCTAssertEqual(layout.index(of: id), index)
            previous = id.rawValue
        }
        let cases: [(UInt32, Int?, String)] = [
            (31, nil, "a PPI"), (32, 0, "first SPI"), (1019, 987, "last SPI"),
            (1020, nil, "special"), (1023, nil, "spurious"), (4095, nil, "below the eSPIs"),
            (4096, 988, "first eSPI"), (5119, 2011, "last eSPI"), (5120, nil, "past the eSPIs"),
        ]
        for (raw, index, why) in cases {
            XCTAssertEqual(layout.index(of: InterruptID(raw)), index, why)
        }
        let qemu = SharedInterruptLayout(DistributorType(rawValue: 0x037A_0007))
        XCTAssertNil(qemu.index(of: InterruptID(256)), "past ITLinesNumber 7")
        XCTAssertNil(qemu.index(of: InterruptID(4096)), "no eSPIs on QEMU")
    }

    /// A table holds one fresh descriptor per INTID, in index order.
    func testTableDescriptorsCarryTheirINTIDs() {
        let table = DescriptorTable(distributorType: Self.largestTyper)
        for index in stride(from: 0, to: table.count, by: 97) {
            XCTAssertEqual(table[index].id, table.layout.interrupt(at: index))
            XCTAssertFalse(table[index].hasHandler)
        }
        XCTAssertEqual(table.withDescriptor(for: InterruptID(5119)) { $0.id.rawValue }, 5119)
        XCTAssertNil(table.withDescriptor(for: InterruptID(1020)) { $0.id })
    }

    /// The largest table, every descriptor ours and on CPU 0, four CPUs:
    /// both policies move eSPIs (INTIDs of 4096 and up) as well as SPIs.
    func testBothPoliciesMoveExtendedSPIs() {
        for seedPolicy in [true, false] {
            let table = DescriptorTable(distributorType: Self.largestTyper)
            for index in 0 ..< table.count {
                table.withDescriptor(at: index) { descriptor in
                    descriptor.hasHandler = true
                    descriptor.effectiveTarget = LogicalCPU(0)
                }
            }
            var distributor = SimulatedDistributor()
            presetRegisters(from: table, into: &distributor)
            var online = cpus(0, 1, 2, 3)
            var selection = PolicySelection(seedPolicy ? .seed : .balanced)
            let name = seedPolicy ? "seed" : "balanced"

            let up = selection.rebalance(from: LogicalCPU(3), up: true, online: online, store: table, router: &distributor)
            let movedExtended = distributor.writes.filter { $0.id.rawValue >= 4096 && $0.cpu != LogicalCPU(0) }.count
            XCTAssertGreaterThan(movedExtended, 500, name)
            XCTAssertTrue(distributor.writes.contains { $0.id.rawValue == 5119 } || !seedPolicy, name)
            let counts = registerLoad(table, distributor)
            XCTAssertEqual(counts.values.sorted(), [503, 503, 503, 503], name)
            XCTAssertEqual(up.routeWrites, seedPolicy ? 2012 : 1509, name)

            // CPU 1 goes down: its eSPIs move too.
            let onCPU1 = (0 ..< table.count).filter { distributor.target(of: table[$0].id) == LogicalCPU(1) }
            XCTAssertTrue(onCPU1.contains { table[$0].id.rawValue >= 4096 }, name)
            let writesBefore = distributor.writes.count
            online.remove(LogicalCPU(1))
            _ = selection.rebalance(from: LogicalCPU(1), up: false, online: online, store: table, router: &distributor)
            XCTAssertTrue(distributor.writes[writesBefore...].contains { $0.id.rawValue >= 4096 }, name)
            for index in onCPU1 {
                XCTAssertNotEqual(distributor.target(of: table[index].id), LogicalCPU(1), name)
            }
            XCTAssertNil(registerLoad(table, distributor)[1], name)
        }
    }
}
