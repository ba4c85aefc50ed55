// Descriptor and per-INTID tables sized from GICD_TYPER (never a fixed
// 1024), the INTID <-> index and INTID -> slot mappings of the one
// InterruptLayout, and both policies moving extended SPIs.
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
            let layout = InterruptLayout(DistributorType(rawValue: testCase.typer))
            XCTAssertEqual(layout.spiCount, testCase.spis, testCase.why)
            XCTAssertEqual(layout.extendedSPICount, testCase.extended, testCase.why)
            XCTAssertEqual(layout.sharedCount, testCase.spis + testCase.extended, testCase.why)
            XCTAssertEqual(DescriptorTable(distributorType: DistributorType(rawValue: testCase.typer)).count, layout.sharedCount, testCase.why)
        }
    }

    /// Index <-> INTID round trip over the largest layout, in INTID order,
    /// and unimplemented INTIDs have no index.
    func testIndexMappingRoundTripsInINTIDOrder() {
        let layout = InterruptLayout(Self.largestTyper)
        XCTAssertEqual(layout.sharedCount, 2012)
        var previous: UInt32 = 0
        for index in 0 ..< layout.sharedCount {
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
        let qemu = InterruptLayout(DistributorType(rawValue: 0x037A_0007))
        XCTAssertNil(qemu.index(of: InterruptID(256)), "past ITLinesNumber 7")
        XCTAssertNil(qemu.index(of: InterruptID(4096)), "no eSPIs on QEMU")
    }

    /// QEMU virt (ITLinesNumber 7): SGIs, PPIs and SPIs keep their INTID
    /// as their slot.
    func testSlotsOfQEMUVirt() {
        let layout = InterruptLayout(DistributorType(rawValue: 0x037A_0007))
        XCTAssertEqual(layout.slotCount, 256)
        let cases: [(UInt32, Int?, String)] = [
            (0, 0, "SGI 0"), (31, 31, "the last PPI"), (33, 33, "an SPI"), (255, 255, "the last SPI"),
            (256, nil, "beyond ITLinesNumber"), (1023, nil, "spurious has no slot"),
            (4096, nil, "no eSPI on this GIC"), (8192, nil, "an LPI"),
        ]
        for (raw, slot, why) in cases {
            XCTAssertEqual(layout.slot(of: InterruptID(raw)), slot, why)
        }
    }

    /// 988 SPIs and 1024 eSPIs (ITLinesNumber 31, ESPI, ESPI_range 31):
    /// eSPIs follow the last SPI slot.
    func testSlotsWithExtendedSPIs() {
        let layout = InterruptLayout(Self.largestTyper)
        XCTAssertEqual(layout.slotCount, 1020 + 1024)
        let cases: [(UInt32, Int?, String)] = [
            (1019, 1019, "the last SPI"), (1020, nil, "special"), (4096, 1020, "the first eSPI follows it"),
            (5119, 2043, "the last eSPI"), (5120, nil, "past the eSPIs"),
        ]
        for (raw, slot, why) in cases {
            XCTAssertEqual(layout.slot(of: InterruptID(raw)), slot, why)
        }
    }

    /// The two views are one numbering: for every INTID of several layouts,
    /// a shared interrupt's index is its slot less the 32 private INTIDs,
    /// private INTIDs have a slot and no index, and the slots are dense.
    func testIndexIsTheSlotPastThePrivateINTIDs() {
        let layouts: [(InterruptLayout, String)] = [
            (InterruptLayout(DistributorType(rawValue: 0x037A_0007)), "QEMU virt"),
            (InterruptLayout(Self.largestTyper), "largest"),
            (InterruptLayout(DistributorType(rawValue: 1 << 8)), "eSPIs only"),
            (InterruptLayout(DistributorType(rawValue: 0)), "neither SPIs nor eSPIs"),
            (InterruptLayout(spiCount: 5, extendedSPICount: 3), "small, from counts"),
        ]
        for (layout, why) in layouts {
            var slots: [Int] = []
            for raw in UInt32(0) ..< 5200 {
                let id = InterruptID(raw)
                guard let slot = layout.slot(of: id) else {
                    XCTAssertNil(layout.index(of: id), "\(why): INTID \(raw)")
                    continue
                }
                slots.append(slot)
                if raw < InterruptID.firstSPI {
                    XCTAssertNil(layout.index(of: id), "\(why): private INTID \(raw)")
                } else {
                    XCTAssertEqual(layout.index(of: id), slot - InterruptLayout.privateCount, "\(why): INTID \(raw)")
                    XCTAssertEqual(layout.interrupt(at: slot - InterruptLayout.privateCount), id, "\(why): INTID \(raw)")
                }
            }
            XCTAssertEqual(slots, Array(0 ..< layout.slotCount), "\(why): slots are dense, in INTID order")
            XCTAssertEqual(layout.slotCount, InterruptLayout.privateCount + layout.sharedCount, why)
        }
    }

    /// A layout from counts says what a `GICD_TYPER` with those counts says.
    func testLayoutFromCountsMatchesTheRegister() {
        XCTAssertEqual(InterruptLayout(spiCount: 224), InterruptLayout(DistributorType(rawValue: 0x037A_0007)))
        XCTAssertEqual(InterruptLayout(spiCount: 988, extendedSPICount: 1024), InterruptLayout(Self.largestTyper))
        XCTAssertEqual(InterruptLayout(spiCount: 224).spis, 32 ... 255)
        XCTAssertNil(InterruptLayout(spiCount: 0).spis)
        XCTAssertEqual(InterruptLayout(spiCount: 0, extendedSPICount: 32).extendedSPIs, 4096 ... 4127)
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
