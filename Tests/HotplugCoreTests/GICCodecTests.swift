import XCTest
@testable import HotplugCore

/// Host tests for the GICv3 register value codecs (`RoutingTarget`,
/// `DistributorType`, `RedistributorType`) and the register layout.
final class GICCodecTests: XCTestCase {

    // MARK: - RoutingTarget (GICD_IROUTER<n>)

    func testRoutingTargetRoundTripsAffinities() {
        let cases: [(affinity: MPIDRAffinity, register: UInt64, comment: String)] = [
            (MPIDRAffinity(mpidr: 0x0), 0x0, "boot CPU, all fields zero"),
            (MPIDRAffinity(mpidr: 0x3), 0x3, "QEMU cpu 3: Aff0 = 3"),
            (MPIDRAffinity(mpidr: 0x100), 0x100, "QEMU cpu 16: second cluster, Aff1 = 1"),
            (MPIDRAffinity(mpidr: 0x1_0001_0203), 0x1_0001_0203, "Aff3 = 1 lands at bits 39:32"),
            (MPIDRAffinity(aff3: 0xFF, aff2: 0xFE, aff1: 0xFD, aff0: 0xFC), 0xFF_00FE_FDFC, "every field at its maximum-ish"),
            (MPIDRAffinity(mpidr: 0x8000_0000 | 0x4000_0000 | 0x0102), 0x0102, "MPIDR RES1 bit 31 and U bit 30 are not affinity"),
        ]
        for (affinity, register, comment) in cases {
            let target = RoutingTarget(affinity: affinity)
            XCTAssertEqual(target.registerValue, register, comment)
            XCTAssertFalse(target.isAnyParticipatingPE, "we never build 1-of-N targets: \(comment)")
            let decoded = RoutingTarget(registerValue: register)
            XCTAssertEqual(decoded.affinity, affinity, comment)
            XCTAssertEqual(decoded, target, comment)
        }
    }

    func testRoutingTargetDecodesModeBitAndDropsReservedBits() {
        // Interrupt_Routing_Mode = 1 read back: reported, affinity still decoded.
        let anyPE = RoutingTarget(registerValue: 0x8000_0000)
        XCTAssertTrue(anyPE.isAnyParticipatingPE)
        XCTAssertEqual(anyPE.registerValue, 0x8000_0000)

        // RES0 bits 63:40 and 30:24 are dropped; the affinity survives.
        let noisy = RoutingTarget(registerValue: 0xFFFF_FF00_7F00_0102)
        XCTAssertEqual(noisy.affinity, MPIDRAffinity(mpidr: 0x0102))
        XCTAssertFalse(noisy.isAnyParticipatingPE)
        XCTAssertEqual(noisy.registerValue, 0x0102)
    }

    // MARK: - DistributorType (GICD_TYPER)

    func testDistributorTypeQEMUVirt() {
        // Read on QEMU 7.2 `virt,gic-version=3`.
        let type = DistributorType(rawValue: 0x037A_0007)
        XCTAssertEqual(type.itLinesNumber, 7)
        XCTAssertEqual(type.spiLimit, 255)
        XCTAssertEqual(type.spiCount, 224)
        XCTAssertEqual(type.spis, 32 ... 255)
        XCTAssertTrue(type.no1N, "QEMU has no 1-of-N routing")
        XCTAssertTrue(type.supportsAffinity3)
        XCTAssertTrue(type.supportsLPIs)
        XCTAssertFalse(type.supportsMessageBasedSPIs)
        XCTAssertFalse(type.supportsDirectVirtualLPIInjection)
        XCTAssertFalse(type.supportsRangeSelector)
        XCTAssertFalse(type.hasTwoSecurityStates, "DS = 1 on QEMU virt")
        XCTAssertEqual(type.idBits, 15)
        XCTAssertEqual(type.interruptIDBits, 16)
        XCTAssertEqual(type.cpuNumber, 0)
        XCTAssertFalse(type.supportsExtendedSPIs)
        XCTAssertNil(type.extendedSPIs)
        XCTAssertEqual(type.extendedSPICount, 0)
        XCTAssertTrue(type.implements(InterruptID(33)), "PL011 on QEMU virt")
        XCTAssertFalse(type.implements(InterruptID(256)), "beyond ITLinesNumber 7")
        XCTAssertFalse(type.implements(InterruptID(4096)), "no eSPI")
        XCTAssertFalse(type.implements(InterruptID(27)), "PPIs have no router")
    }

    func testDistributorTypeSPILimitTable() {
        let cases: [(raw: UInt32, limit: UInt32, count: Int, range: ClosedRange<UInt32>?, comment: String)] = [
            (0x0000_0000, 31, 0, nil, "ITLinesNumber 0: SGIs and PPIs only, no SPIs"),
            (0x0000_0001, 63, 32, 32 ... 63, "ITLinesNumber 1: one word of SPIs"),
            (0x0000_0007, 255, 224, 32 ... 255, "ITLinesNumber 7: QEMU virt"),
            (0x0000_001E, 991, 960, 32 ... 991, "ITLinesNumber 30: 32*31-1, below the cap"),
            (0x0000_001F, 1019, 988, 32 ... 1019, "ITLinesNumber 31: 1023 capped at 1019 (1020-1023 are special)"),
        ]
        for (raw, limit, count, range, comment) in cases {
            let type = DistributorType(rawValue: raw)
            XCTAssertEqual(type.spiLimit, limit, comment)
            XCTAssertEqual(type.spiCount, count, comment)
            XCTAssertEqual(type.spis, range, comment)
        }
    }

    func testDistributorTypeExtendedSPIs() {
        let cases: [(raw: UInt32, count: Int, range: ClosedRange<UInt32>?, comment: String)] = [
            (0xF800_0100, 1024, 4096 ... 5119, "ESPI with ESPI_range 31: the full 1024 eSPIs"),
            (0x0000_0100, 32, 4096 ... 4127, "ESPI with ESPI_range 0: one word"),
            (0x0800_0100, 64, 4096 ... 4159, "ESPI with ESPI_range 1"),
            (0xF800_0000, 0, nil, "ESPI_range set but ESPI clear: the range field is RES0, ignored"),
        ]
        for (raw, count, range, comment) in cases {
            let type = DistributorType(rawValue: raw)
            XCTAssertEqual(type.extendedSPICount, count, comment)
            XCTAssertEqual(type.extendedSPIs, range, comment)
        }
        let full = DistributorType(rawValue: 0xF800_0100 | 0x1F)
        XCTAssertTrue(full.supportsExtendedSPIs)
        XCTAssertEqual(full.espiRange, 31)
        XCTAssertTrue(full.implements(InterruptID(5119)))
        XCTAssertTrue(full.implements(InterruptID(1019)))
        XCTAssertFalse(full.implements(InterruptID(1020)), "special INTID")
        XCTAssertFalse(full.implements(InterruptID(5120)), "past the eSPI range")
    }

    func testDistributorTypeSingleBitFields() {
        // Each flag alone, so a field read from the wrong bit shows up.
        let cases: [(bit: UInt32, field: KeyPath<DistributorType, Bool>, comment: String)] = [
            (8, \.supportsExtendedSPIs, "ESPI"),
            (9, \.supportsNMI, "NMI"),
            (10, \.hasTwoSecurityStates, "SecurityExtn"),
            (16, \.supportsMessageBasedSPIs, "MBIS"),
            (17, \.supportsLPIs, "LPIS"),
            (18, \.supportsDirectVirtualLPIInjection, "DVIS"),
            (24, \.supportsAffinity3, "A3V"),
            (25, \.no1N, "No1N"),
            (26, \.supportsRangeSelector, "RSS"),
        ]
        for (bit, field, comment) in cases {
            XCTAssertTrue(DistributorType(rawValue: 1 << bit)[keyPath: field], comment)
            XCTAssertFalse(DistributorType(rawValue: ~(1 << bit))[keyPath: field], comment)
        }
        // Multi-bit fields at their edges.
        XCTAssertEqual(DistributorType(rawValue: 0b111 << 5).cpuNumber, 7, "CPUNumber 7:5")
        XCTAssertEqual(DistributorType(rawValue: 0b11111 << 11).numLPIs, 31, "num_LPIs 15:11")
        XCTAssertEqual(DistributorType(rawValue: 0b11111 << 19).idBits, 31, "IDbits 23:19")
        XCTAssertEqual(DistributorType(rawValue: 0x07FF_FFFF).espiRange, 0, "ESPI_range 31:27 untouched by lower bits")
    }

    // MARK: - RedistributorType (GICR_TYPER)

    func testRedistributorTypeFields() {
        // Affinity_Value 0x01_02_03_04 = Aff3 1, Aff2 2, Aff1 3, Aff0 4;
        // Processor_Number 0x1234; Last; DirectLPI; PLPIS.
        let type = RedistributorType(rawValue: 0x0102_0304_0012_3419)
        XCTAssertEqual(type.affinity, MPIDRAffinity(aff3: 1, aff2: 2, aff1: 3, aff0: 4))
        XCTAssertEqual(type.affinity.rawValue, 0x01_0002_0304)
        XCTAssertEqual(type.processorNumber, 0x1234)
        XCTAssertTrue(type.isLast)
        XCTAssertTrue(type.supportsDirectLPI)
        XCTAssertTrue(type.supportsPhysicalLPIs)
        XCTAssertFalse(type.supportsVirtualLPIs)
        XCTAssertEqual(type.frameSize, 0x2_0000, "GICv3: RD_base + SGI_base")

        let cases: [(raw: UInt64, affinity: UInt64, last: Bool, frameSize: UInt64, comment: String)] = [
            (0x0000_0000_0000_0000, 0x0, false, 0x2_0000, "QEMU cpu 0, not last"),
            (0x0000_0100_0000_1010, 0x100, true, 0x2_0000, "QEMU cpu 16 (Aff1 1, Processor_Number 16), last of 17"),
            (0x0000_0003_0003_0002, 0x3, false, 0x4_0000, "VLPIS: GICv4 frame with VLPI_base"),
            (0xFF00_0000_0000_0000, 0xFF_0000_0000, false, 0x2_0000, "Aff3 in bits 63:56"),
        ]
        for (raw, affinity, last, frameSize, comment) in cases {
            let type = RedistributorType(rawValue: raw)
            XCTAssertEqual(type.affinity, MPIDRAffinity(mpidr: affinity), comment)
            XCTAssertEqual(type.isLast, last, comment)
            XCTAssertEqual(type.frameSize, frameSize, comment)
        }
    }

    /// A simulated redistributor region: GICR_TYPER values by address, and a
    /// log of the addresses read.
    private final class SimulatedRedistributors {
        var typers: [UInt64: UInt64] = [:]
        var reads: [UInt64] = []

        /// Adds frames back to back from `base`; `Last` on the final one when
        /// `markLast`. Returns the RD_base of each frame.
        @discardableResult
        func addRegion(base: UInt64, affinities: [UInt64], virtualLPIs: Bool = false, markLast: Bool = true, firstProcessorNumber: UInt64 = 0) -> [UInt64] {
            var frame = base
            var bases: [UInt64] = []
            for (index, affinity) in affinities.enumerated() {
                let mpidr = MPIDRAffinity(mpidr: affinity)
                let affinityValue = UInt64(mpidr.aff3) << 24 | UInt64(mpidr.aff2) << 16 | UInt64(mpidr.aff1) << 8 | UInt64(mpidr.aff0)
                var typer = affinityValue << 32 | (firstProcessorNumber + UInt64(index)) << 8 | 0x1
                if virtualLPIs { typer |= 0x2 }
                if markLast && index == affinities.count - 1 { typer |= 1 << 4 }
                typers[frame + UInt64(RedistributorRegister.GICR_TYPER)] = typer
                bases.append(frame)
                frame += virtualLPIs ? 0x4_0000 : 0x2_0000
            }
            return bases
        }

        func read(_ address: UInt64, file: StaticString = #filePath, line: UInt = #line) -> UInt64 {
            reads.append(address)
            guard let value = typers[address] else {
                XCTFail("read of unmapped address 0x\(String(address, radix: 16))", file: file, line: line)
                return 0
            }
            return value
        }
    }

    func testFindFrameTwentyCPUsAcrossTwoClusters() {
        // QEMU `virt -smp 20`: Aff0 = cpu % 16, Aff1 = cpu / 16.
        let base: UInt64 = 0x080A_0000
        let affinities: [UInt64] = Array(0 ... 15) + [0x100, 0x101, 0x102, 0x103]
        let gic = SimulatedRedistributors()
        let frames = gic.addRegion(base: base, affinities: affinities)
        let region = RedistributorRegion(base: base, size: 0xF6_0000)

        for (index, affinity) in affinities.enumerated() {
            gic.reads = []
            let found = RedistributorType.findFrame(for: MPIDRAffinity(mpidr: affinity), in: region) { gic.read($0) }
            XCTAssertEqual(found, frames[index], "affinity 0x\(String(affinity, radix: 16))")
            XCTAssertEqual(found, base + UInt64(index) * 0x2_0000, "frame \(index) is 0x20000 after the previous")
            XCTAssertEqual(gic.reads.count, index + 1, "walk stops at the match")
        }

        // An affinity that is not there: the walk reads all 20 frames, stops at Last.
        gic.reads = []
        let missing = RedistributorType.findFrame(for: MPIDRAffinity(mpidr: 0x104), in: region) { gic.read($0) }
        XCTAssertNil(missing)
        XCTAssertEqual(gic.reads.count, 20)
        XCTAssertEqual(gic.reads.last, frames[19] + 8, "reads GICR_TYPER at RD_base + 0x8")
    }

    func testFindFrameStopsAtRegionEndWithoutLast() {
        // A GIC that never sets Last: the region size bounds the walk.
        let base: UInt64 = 0x1000_0000
        let gic = SimulatedRedistributors()
        gic.addRegion(base: base, affinities: [0, 1, 2, 3, 4, 5], markLast: false)
        let region = RedistributorRegion(base: base, size: 4 * 0x2_0000)

        XCTAssertEqual(RedistributorType.findFrame(for: MPIDRAffinity(mpidr: 3), in: region) { gic.read($0) }, base + 3 * 0x2_0000)
        gic.reads = []
        XCTAssertNil(RedistributorType.findFrame(for: MPIDRAffinity(mpidr: 4), in: region) { gic.read($0) }, "frame 4 lies outside the region")
        XCTAssertEqual(gic.reads.count, 4)

        // A region too small for even one frame reads nothing.
        gic.reads = []
        XCTAssertNil(RedistributorType.findFrame(for: MPIDRAffinity(mpidr: 0), in: RedistributorRegion(base: base, size: 0x1_0000)) { gic.read($0) })
        XCTAssertTrue(gic.reads.isEmpty)
    }

    func testFindFrameStepsByVLPIFrameSize() {
        // GICv4 redistributors (VLPIS) are 0x40000 apart.
        let base: UInt64 = 0x2000_0000
        let gic = SimulatedRedistributors()
        let frames = gic.addRegion(base: base, affinities: [0, 1, 2, 3], virtualLPIs: true)
        let region = RedistributorRegion(base: base, size: 4 * 0x4_0000)
        XCTAssertEqual(frames[3], base + 3 * 0x4_0000)
        XCTAssertEqual(RedistributorType.findFrame(for: MPIDRAffinity(mpidr: 3), in: region) { gic.read($0) }, frames[3])
    }

    func testFindFrameTwoRegions() {
        // Large QEMU machines: a second region after the first fills up.
        let first: UInt64 = 0x080A_0000
        let second: UInt64 = 0x40_0000_0000
        let gic = SimulatedRedistributors()
        let firstFrames = gic.addRegion(base: first, affinities: [0, 1, 2, 3])
        let secondFrames = gic.addRegion(base: second, affinities: [0x100, 0x101, 0x1_0000_0000], firstProcessorNumber: 4)
        let regions = [
            RedistributorRegion(base: first, size: 4 * 0x2_0000),
            RedistributorRegion(base: second, size: 0x10_0000),
        ]

        let cases: [(affinity: UInt64, frame: UInt64?, comment: String)] = [
            (0x2, firstFrames[2], "in the first region"),
            (0x100, secondFrames[0], "first frame of the second region"),
            (0x1_0000_0000, secondFrames[2], "Aff3 = 1, last frame of the second region"),
            (0x4, nil, "in neither region"),
        ]
        for (affinity, frame, comment) in cases {
            let found = RedistributorType.findFrame(for: MPIDRAffinity(mpidr: affinity), in: regions) { gic.read($0) }
            XCTAssertEqual(found, frame, comment)
        }
        // The second region alone does not contain the first region's CPUs.
        XCTAssertNil(RedistributorType.findFrame(for: MPIDRAffinity(mpidr: 0x2), in: regions[1]) { gic.read($0) })
    }

    // MARK: - Register layout

    func testDistributorOffsetsMatchTheSpecification() {
        let cases: [(offset: Int, expected: Int, name: String)] = [
            (DistributorRegister.GICD_CTLR, 0x0000, "GICD_CTLR"),
            (DistributorRegister.GICD_TYPER, 0x0004, "GICD_TYPER"),
            (DistributorRegister.GICD_IIDR, 0x0008, "GICD_IIDR"),
            (DistributorRegister.GICD_IGROUPR, 0x0080, "GICD_IGROUPR"),
            (DistributorRegister.GICD_ISENABLER, 0x0100, "GICD_ISENABLER"),
            (DistributorRegister.GICD_ICENABLER, 0x0180, "GICD_ICENABLER"),
            (DistributorRegister.GICD_ISPENDR, 0x0200, "GICD_ISPENDR"),
            (DistributorRegister.GICD_ICPENDR, 0x0280, "GICD_ICPENDR"),
            (DistributorRegister.GICD_ISACTIVER, 0x0300, "GICD_ISACTIVER"),
            (DistributorRegister.GICD_ICACTIVER, 0x0380, "GICD_ICACTIVER"),
            (DistributorRegister.GICD_IPRIORITYR, 0x0400, "GICD_IPRIORITYR"),
            (DistributorRegister.GICD_ICFGR, 0x0C00, "GICD_ICFGR"),
            (DistributorRegister.GICD_IGRPMODR, 0x0D00, "GICD_IGRPMODR"),
            (DistributorRegister.GICD_IGROUPRnE, 0x1000, "GICD_IGROUPRnE"),
            (DistributorRegister.GICD_ISENABLERnE, 0x1200, "GICD_ISENABLERnE"),
            (DistributorRegister.GICD_ICENABLERnE, 0x1400, "GICD_ICENABLERnE"),
            (DistributorRegister.GICD_ISPENDRnE, 0x1600, "GICD_ISPENDRnE"),
            (DistributorRegister.GICD_ICPENDRnE, 0x1800, "GICD_ICPENDRnE"),
            (DistributorRegister.GICD_ISACTIVERnE, 0x1A00, "GICD_ISACTIVERnE"),
            (DistributorRegister.GICD_ICACTIVERnE, 0x1C00, "GICD_ICACTIVERnE"),
            (DistributorRegister.GICD_IPRIORITYRnE, 0x2000, "GICD_IPRIORITYRnE"),
            (DistributorRegister.GICD_ICFGRnE, 0x3000, "GICD_ICFGRnE"),
            (DistributorRegister.GICD_IGRPMODRnE, 0x3400, "GICD_IGRPMODRnE"),
            (DistributorRegister.GICD_IROUTER, 0x6000, "GICD_IROUTER"),
            (DistributorRegister.GICD_IROUTERnE, 0x8000, "GICD_IROUTERnE"),
            (DistributorRegister.GICD_PIDR2, 0xFFE8, "GICD_PIDR2"),
        ]
        for (offset, expected, name) in cases {
            XCTAssertEqual(offset, expected, name)
            XCTAssertLessThan(offset, DistributorRegister.frameSize, "\(name) inside the 64 KiB frame")
        }
    }

    func testDistributorArraysDoNotOverlap() {
        // Each array's last register ends before the next array starts.
        // Bit arrays: 1024 INTIDs (or 1024 eSPIs) / 32 per word = 0x80 bytes.
        for register in BitPerInterruptRegister.allCases {
            let lastSPIWord = DistributorRegister.bitRegister(base: register, for: InterruptID(1019)).offset
            XCTAssertLessThan(lastSPIWord, register.spiBase + 0x80, "\(register) SPI array is 0x80 bytes")
            let lastESPIWord = DistributorRegister.bitRegister(base: register, for: InterruptID(5119)).offset
            XCTAssertEqual(lastESPIWord, register.extendedSPIBase + 0x7C, "\(register) eSPI array is 0x80 bytes")
        }
        XCTAssertLessThan(DistributorRegister.priorityOffset(for: InterruptID(1019)), 0x0800, "GICD_IPRIORITYR ends before GICD_ITARGETSR at 0x0800")
        XCTAssertLessThan(DistributorRegister.configurationRegister(for: InterruptID(1019)).offset, DistributorRegister.GICD_IGRPMODR)
        XCTAssertLessThan(DistributorRegister.priorityOffset(for: InterruptID(5119)), DistributorRegister.GICD_ICFGRnE)
        XCTAssertLessThan(DistributorRegister.configurationRegister(for: InterruptID(5119)).offset, DistributorRegister.GICD_IGRPMODRnE)
        XCTAssertLessThanOrEqual(DistributorRegister.routerOffset(for: InterruptID(1019)) + 8, DistributorRegister.GICD_IROUTERnE)
        XCTAssertLessThan(DistributorRegister.routerOffset(for: InterruptID(5119)) + 8, DistributorRegister.GICD_PIDR2)
    }

    func testBitRegisterOffsetsAndBits() {
        let cases: [(register: BitPerInterruptRegister, id: UInt32, offset: Int, bit: UInt32, comment: String)] = [
            (.GICD_ISENABLER, 32, 0x0104, 0, "first SPI: second word, bit 0"),
            (.GICD_ISENABLER, 33, 0x0104, 1, "PL011 on QEMU virt"),
            (.GICD_ISENABLER, 63, 0x0104, 31, "last bit of the second word"),
            (.GICD_ISENABLER, 64, 0x0108, 0, "third word"),
            (.GICD_ICENABLER, 255, 0x019C, 31, "QEMU's last SPI: 0x180 + 4*7"),
            (.GICD_ISPENDR, 1019, 0x027C, 27, "last SPI: word 31, bit 27"),
            (.GICD_ISENABLER, 4096, 0x1200, 0, "first eSPI goes to GICD_ISENABLERnE"),
            (.GICD_ICPENDR, 4127, 0x1800, 31, "eSPI 31: last bit of the first nE word"),
            (.GICD_ICACTIVER, 4128, 0x1C04, 0, "eSPI 32: second nE word"),
            (.GICD_IGROUPR, 5119, 0x107C, 31, "last eSPI"),
            (.GICD_IGRPMODR, 5119, 0x347C, 31, "last eSPI, group modifier"),
            (.GICD_ISACTIVER, 100, 0x030C, 4, "SPI 100: word 3, bit 4"),
        ]
        for (register, id, offset, bit, comment) in cases {
            let location = DistributorRegister.bitRegister(base: register, for: InterruptID(id))
            XCTAssertEqual(location.offset, offset, comment)
            XCTAssertEqual(location.bit, bit, comment)
        }
    }

    func testPriorityConfigurationAndRouterOffsets() {
        let cases: [(id: UInt32, priority: Int, configuration: Int, shift: UInt32, router: Int, comment: String)] = [
            (32, 0x0420, 0x0C08, 0, 0x6100, "first SPI"),
            (33, 0x0421, 0x0C08, 2, 0x6108, "PL011: IROUTER32+1"),
            (255, 0x04FF, 0x0C3C, 30, 0x67F8, "QEMU's last SPI"),
            (1019, 0x07FB, 0x0CFC, 22, 0x7FD8, "last SPI"),
            (4096, 0x2000, 0x3000, 0, 0x8000, "first eSPI"),
            (4113, 0x2011, 0x3004, 2, 0x8088, "eSPI 17: second ICFGRnE word"),
            (5119, 0x23FF, 0x30FC, 30, 0x9FF8, "last eSPI"),
        ]
        for (id, priority, configuration, shift, router, comment) in cases {
            let interrupt = InterruptID(id)
            XCTAssertEqual(DistributorRegister.priorityOffset(for: interrupt), priority, comment)
            let config = DistributorRegister.configurationRegister(for: interrupt)
            XCTAssertEqual(config.offset, configuration, comment)
            XCTAssertEqual(config.shift, shift, comment)
            XCTAssertEqual(DistributorRegister.routerOffset(for: interrupt), router, comment)
        }
    }

    func testControlAndWakeBits() {
        XCTAssertEqual(DistributorControl.RWP, 0x8000_0000, "GICD_CTLR.RWP bit 31")
        XCTAssertEqual(DistributorControl.DS, 0x40, "GICD_CTLR.DS bit 6")
        XCTAssertEqual(DistributorControl.ARE, 0x10, "GICD_CTLR.ARE bit 4")
        XCTAssertEqual(DistributorControl.ARE_NS, DistributorControl.ARE, "same bit in the Non-secure view")
        XCTAssertEqual(DistributorControl.EnableGrp1, 0x2, "GICD_CTLR.EnableGrp1 bit 1")
        XCTAssertEqual(DistributorControl.EnableGrp1A, DistributorControl.EnableGrp1)
        XCTAssertEqual(DistributorControl.EnableGrp1NS, DistributorControl.EnableGrp1)
        XCTAssertEqual(DistributorControl.EnableGrp0, 0x1, "GICD_CTLR.EnableGrp0 bit 0")
        XCTAssertEqual(RedistributorControl.RWP, 0x8, "GICR_CTLR.RWP bit 3")
        XCTAssertEqual(RedistributorWake.ProcessorSleep, 0x2, "GICR_WAKER.ProcessorSleep bit 1")
        XCTAssertEqual(RedistributorWake.ChildrenAsleep, 0x4, "GICR_WAKER.ChildrenAsleep bit 2")
    }

    func testRedistributorOffsetsMatchTheSpecification() {
        let cases: [(offset: Int, expected: Int, name: String)] = [
            (RedistributorRegister.GICR_CTLR, 0x0000, "GICR_CTLR"),
            (RedistributorRegister.GICR_IIDR, 0x0004, "GICR_IIDR"),
            (RedistributorRegister.GICR_TYPER, 0x0008, "GICR_TYPER"),
            (RedistributorRegister.GICR_WAKER, 0x0014, "GICR_WAKER"),
            (RedistributorRegister.GICR_IGROUPR0, 0x0080, "GICR_IGROUPR0"),
            (RedistributorRegister.GICR_ISENABLER0, 0x0100, "GICR_ISENABLER0"),
            (RedistributorRegister.GICR_ICENABLER0, 0x0180, "GICR_ICENABLER0"),
            (RedistributorRegister.GICR_ISPENDR0, 0x0200, "GICR_ISPENDR0"),
            (RedistributorRegister.GICR_ICPENDR0, 0x0280, "GICR_ICPENDR0"),
            (RedistributorRegister.GICR_ISACTIVER0, 0x0300, "GICR_ISACTIVER0"),
            (RedistributorRegister.GICR_ICACTIVER0, 0x0380, "GICR_ICACTIVER0"),
            (RedistributorRegister.GICR_IPRIORITYR, 0x0400, "GICR_IPRIORITYR"),
            (RedistributorRegister.GICR_ICFGR0, 0x0C00, "GICR_ICFGR0"),
            (RedistributorRegister.GICR_ICFGR1, 0x0C04, "GICR_ICFGR1"),
            (RedistributorRegister.GICR_IGRPMODR0, 0x0D00, "GICR_IGRPMODR0"),
        ]
        for (offset, expected, name) in cases {
            XCTAssertEqual(offset, expected, name)
            XCTAssertLessThan(offset, RedistributorRegister.frameSize, "\(name) inside one 64 KiB frame")
        }
        XCTAssertEqual(RedistributorRegister.SGI_base, 0x1_0000, "the SGI_base frame directly follows RD_base")
        // GICR_IPRIORITYR covers INTIDs 0-31 and ends before GICR_ICFGR0.
        XCTAssertLessThan(RedistributorRegister.GICR_IPRIORITYR + 31, RedistributorRegister.GICR_ICFGR0)
        // A GICv3 redistributor is exactly its two frames.
        XCTAssertEqual(RedistributorType.gicv3FrameSize, UInt64(2 * RedistributorRegister.frameSize))
        XCTAssertEqual(RedistributorType.virtualLPIFrameSize, UInt64(4 * RedistributorRegister.frameSize))
        // QEMU's redistributor region (0xF60000) holds 123 GICv3 redistributors.
        XCTAssertEqual(0xF6_0000 / RedistributorType.gicv3FrameSize, 123)
    }
}
