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

    /// Simulated redistributor regions: `GICR_TYPER` values by address, and
    /// a log of the addresses read.
    private final class SimulatedRedistributors: SimulatedAddressSpace {
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
                store(RedistributorType(rawValue: typer), in: RedistributorRegister.GICR_TYPER, ofFrameAt: frame)
                bases.append(frame)
                frame += virtualLPIs ? 0x4_0000 : 0x2_0000
            }
            return bases
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
            let found = RedistributorType.findFrame(for: MPIDRAffinity(mpidr: affinity), in: region) { gic.frame(at: $0) }
            XCTAssertEqual(found, frames[index], "affinity 0x\(String(affinity, radix: 16))")
            XCTAssertEqual(found, base + UInt64(index) * 0x2_0000, "frame \(index) is 0x20000 after the previous")
            XCTAssertEqual(gic.reads.count, index + 1, "walk stops at the match")
        }

        // An affinity that is not there: the walk reads all 20 frames, stops at Last.
        gic.reads = []
        let missing = RedistributorType.findFrame(for: MPIDRAffinity(mpidr: 0x104), in: region) { gic.frame(at: $0) }
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

        XCTAssertEqual(RedistributorType.findFrame(for: MPIDRAffinity(mpidr: 3), in: region) { gic.frame(at: $0) }, base + 3 * 0x2_0000)
        gic.reads = []
        XCTAssertNil(RedistributorType.findFrame(for: MPIDRAffinity(mpidr: 4), in: region) { gic.frame(at: $0) }, "frame 4 lies outside the region")
        XCTAssertEqual(gic.reads.count, 4)

        // A region too small for even one frame reads nothing.
        gic.reads = []
        XCTAssertNil(RedistributorType.findFrame(for: MPIDRAffinity(mpidr: 0), in: RedistributorRegion(base: base, size: 0x1_0000)) { gic.frame(at: $0) })
        XCTAssertTrue(gic.reads.isEmpty)
    }

    func testFindFrameStepsByVLPIFrameSize() {
        // GICv4 redistributors (VLPIS) are 0x40000 apart.
        let base: UInt64 = 0x2000_0000
        let gic = SimulatedRedistributors()
        let frames = gic.addRegion(base: base, affinities: [0, 1, 2, 3], virtualLPIs: true)
        let region = RedistributorRegion(base: base, size: 4 * 0x4_0000)
        XCTAssertEqual(frames[3], base + 3 * 0x4_0000)
        XCTAssertEqual(RedistributorType.findFrame(for: MPIDRAffinity(mpidr: 3), in: region) { gic.frame(at: $0) }, frames[3])
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
            let found = RedistributorType.findFrame(for: MPIDRAffinity(mpidr: affinity), in: regions) { gic.frame(at: $0) }
            XCTAssertEqual(found, frame, comment)
        }
        // The second region alone does not contain the first region's CPUs.
        XCTAssertNil(RedistributorType.findFrame(for: MPIDRAffinity(mpidr: 0x2), in: regions[1]) { gic.frame(at: $0) })
    }

    // MARK: - Register layout

    func testDistributorOffsetsMatchTheSpecification() {
        let registers: [(offset: Int, size: Int, expected: Int, name: String)] = [
            (DistributorRegister.GICD_CTLR.offset, Register<DistributorControl>.size, 0x0000, "GICD_CTLR"),
            (DistributorRegister.GICD_TYPER.offset, Register<DistributorType>.size, 0x0004, "GICD_TYPER"),
            (DistributorRegister.GICD_IIDR.offset, Register<UInt32>.size, 0x0008, "GICD_IIDR"),
            (DistributorRegister.GICD_PIDR2.offset, Register<PeripheralID2>.size, 0xFFE8, "GICD_PIDR2"),
        ]
        for (offset, size, expected, name) in registers {
            XCTAssertEqual(offset, expected, name)
            XCTAssertEqual(size, 4, "\(name) is 32 bits wide")
            XCTAssertLessThan(offset, DistributorRegister.frameSize, "\(name) inside the 64 KiB frame")
        }
        // Register 0, the last register n, and the spec's bounds of each array.
        let arrays: [(array: RegisterArray<UInt32>, expected: Int, last: Int, name: String)] = [
            (DistributorRegister.GICD_IGROUPR, 0x0080, 0x00FC, "GICD_IGROUPR<n>, n = 0-31"),
            (DistributorRegister.GICD_ISENABLER, 0x0100, 0x017C, "GICD_ISENABLER<n>"),
            (DistributorRegister.GICD_ICENABLER, 0x0180, 0x01FC, "GICD_ICENABLER<n>"),
            (DistributorRegister.GICD_ISPENDR, 0x0200, 0x027C, "GICD_ISPENDR<n>"),
            (DistributorRegister.GICD_ICPENDR, 0x0280, 0x02FC, "GICD_ICPENDR<n>"),
            (DistributorRegister.GICD_ISACTIVER, 0x0300, 0x037C, "GICD_ISACTIVER<n>"),
            (DistributorRegister.GICD_ICACTIVER, 0x0380, 0x03FC, "GICD_ICACTIVER<n>"),
            (DistributorRegister.GICD_IPRIORITYR, 0x0400, 0x07F8, "GICD_IPRIORITYR<n>, n = 0-254"),
            (DistributorRegister.GICD_ICFGR, 0x0C00, 0x0CFC, "GICD_ICFGR<n>, n = 0-63"),
            (DistributorRegister.GICD_IGRPMODR, 0x0D00, 0x0D7C, "GICD_IGRPMODR<n>"),
            (DistributorRegister.GICD_IGROUPRnE, 0x1000, 0x107C, "GICD_IGROUPR<n>E, n = 0-31"),
            (DistributorRegister.GICD_ISENABLERnE, 0x1200, 0x127C, "GICD_ISENABLER<n>E"),
            (DistributorRegister.GICD_ICENABLERnE, 0x1400, 0x147C, "GICD_ICENABLER<n>E"),
            (DistributorRegister.GICD_ISPENDRnE, 0x1600, 0x167C, "GICD_ISPENDR<n>E"),
            (DistributorRegister.GICD_ICPENDRnE, 0x1800, 0x187C, "GICD_ICPENDR<n>E"),
            (DistributorRegister.GICD_ISACTIVERnE, 0x1A00, 0x1A7C, "GICD_ISACTIVER<n>E"),
            (DistributorRegister.GICD_ICACTIVERnE, 0x1C00, 0x1C7C, "GICD_ICACTIVER<n>E"),
            (DistributorRegister.GICD_IPRIORITYRnE, 0x2000, 0x23FC, "GICD_IPRIORITYR<n>E, n = 0-255"),
            (DistributorRegister.GICD_ICFGRnE, 0x3000, 0x30FC, "GICD_ICFGR<n>E, n = 0-63"),
            (DistributorRegister.GICD_IGRPMODRnE, 0x3400, 0x347C, "GICD_IGRPMODR<n>E"),
        ]
        for (array, expected, last, name) in arrays {
            XCTAssertEqual(array.offset, expected, name)
            XCTAssertEqual(array[array.count - 1].offset, last, name)
            XCTAssertLessThan(array.end, DistributorRegister.frameSize, name)
        }
        // The routing registers are 64 bits wide, one per INTID.
        XCTAssertEqual(Register<RoutingTarget>.size, 8)
        XCTAssertEqual(DistributorRegister.GICD_IROUTER[32].offset, 0x6100, "GICD_IROUTER<32>, the first SPI's")
        XCTAssertEqual(DistributorRegister.GICD_IROUTER[1019].offset, 0x7FD8, "GICD_IROUTER<1019>")
        XCTAssertEqual(DistributorRegister.GICD_IROUTERnE[0].offset, 0x8000, "GICD_IROUTER<0>E")
        XCTAssertEqual(DistributorRegister.GICD_IROUTERnE[1023].offset, 0x9FF8, "GICD_IROUTER<1023>E")
    }

    func testDistributorArraysDoNotOverlap() {
        // Sorted by offset, each array ends where the next may start, and
        // the last ends before GICD_PIDR2.
        var arrays: [(offset: Int, end: Int)] = BitPerInterruptRegister.allCases.flatMap { register in
            [(register.spis.offset, register.spis.end), (register.extendedSPIs.offset, register.extendedSPIs.end)]
        }
        for array in [DistributorRegister.GICD_IPRIORITYR, DistributorRegister.GICD_ICFGR,
                      DistributorRegister.GICD_IPRIORITYRnE, DistributorRegister.GICD_ICFGRnE] {
            arrays.append((array.offset, array.end))
        }
        arrays.append((DistributorRegister.GICD_IROUTER.offset, DistributorRegister.GICD_IROUTER.end))
        arrays.append((DistributorRegister.GICD_IROUTERnE.offset, DistributorRegister.GICD_IROUTERnE.end))
        arrays.sort { $0.offset < $1.offset }
        for (array, next) in zip(arrays, arrays.dropFirst()) {
            XCTAssertLessThanOrEqual(array.end, next.offset, "array at 0x\(String(array.offset, radix: 16)) overlaps the next")
        }
        XCTAssertLessThan(arrays.last!.end, DistributorRegister.GICD_PIDR2.offset)
        XCTAssertLessThanOrEqual(DistributorRegister.GICD_IPRIORITYR.end, 0x0800, "GICD_IPRIORITYR ends before GICD_ITARGETSR at 0x0800")
        // Every SPI and every extended SPI has its field in its arrays.
        for register in BitPerInterruptRegister.allCases {
            XCTAssertTrue(register.spis.covers(InterruptID(1019)), "\(register)")
            XCTAssertTrue(register.extendedSPIs.covers(InterruptID(5119)), "\(register)")
            XCTAssertFalse(register.extendedSPIs.covers(InterruptID(1019)), "\(register): SPIs are not in the nE array")
        }
    }

    func testRegisterArrayIndexAndField() {
        // Register n, INTID -> n, and the field's place, for each kind of array.
        let cases: [(array: RegisterArray<UInt32>, id: UInt32, index: Int, shift: Int, mask: UInt32, comment: String)] = [
            (DistributorRegister.GICD_ISENABLER, 33, 1, 1, 0x2, "one bit per INTID: 33 is n = 1, bit 1"),
            (DistributorRegister.GICD_ICFGR, 33, 2, 2, 0xC, "two bits: 33 is n = 2, bits 3:2"),
            (DistributorRegister.GICD_IPRIORITYR, 33, 8, 8, 0xFF00, "a byte: 33 is n = 8, bits 15:8"),
            (DistributorRegister.GICD_ISPENDRnE, 4096, 0, 0, 0x1, "nE arrays count from INTID 4096"),
            (DistributorRegister.GICD_ICFGRnE, 4127, 1, 30, 0xC000_0000, "eSPI 31: n = 1, bits 31:30"),
            (RedistributorRegister.GICR_IPRIORITYR, 31, 7, 24, 0xFF00_0000, "GICR_IPRIORITYR<7>, the last PPI's byte"),
        ]
        for (array, id, index, shift, mask, comment) in cases {
            let interrupt = InterruptID(id)
            XCTAssertEqual(array.index(for: interrupt), index, comment)
            let field = array.field(for: interrupt)
            XCTAssertEqual(field.register, array[index], comment)
            XCTAssertEqual(field.shift, shift, comment)
            XCTAssertEqual(field.mask, mask, comment)
        }
        let config = DistributorRegister.GICD_ICFGR.field(for: InterruptID(33))
        XCTAssertEqual(config.placing(0b10), 0b1000, "edge-triggered bit of INTID 33")
        XCTAssertEqual(config.placing(0b111), 0b1100, "a value wider than the field is cut to it")
        let router = DistributorRegister.GICD_IROUTER.field(for: InterruptID(40))
        XCTAssertEqual(router.mask, ~0, "a whole 64-bit register per INTID")
        XCTAssertEqual(router.shift, 0)
        XCTAssertEqual(DistributorRegister.GICD_IROUTER.interruptsPerRegister, 1)
        XCTAssertEqual(DistributorRegister.GICD_IPRIORITYR.interruptsPerRegister, 4)
    }

    func testBitRegisterOffsetsAndBits() {
        let cases: [(register: BitPerInterruptRegister, id: UInt32, offset: Int, bit: Int, comment: String)] = [
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
            let location = DistributorRegister.bitRegister(register, for: InterruptID(id))
            XCTAssertEqual(location.register.offset, offset, comment)
            XCTAssertEqual(location.shift, bit, comment)
            XCTAssertEqual(location.mask, 1 << UInt32(bit), comment)
        }
    }

    func testPriorityConfigurationAndRouterOffsets() {
        // The priority byte of INTID n is at byte 0x400 + n: word n & ~3,
        // shift 8 × (n % 4).
        let cases: [(id: UInt32, priorityByte: Int, configuration: Int, shift: Int, router: Int, comment: String)] = [
            (32, 0x0420, 0x0C08, 0, 0x6100, "first SPI"),
            (33, 0x0421, 0x0C08, 2, 0x6108, "PL011: IROUTER32+1"),
            (255, 0x04FF, 0x0C3C, 30, 0x67F8, "QEMU's last SPI"),
            (1019, 0x07FB, 0x0CFC, 22, 0x7FD8, "last SPI"),
            (4096, 0x2000, 0x3000, 0, 0x8000, "first eSPI"),
            (4113, 0x2011, 0x3004, 2, 0x8088, "eSPI 17: second ICFGRnE word"),
            (5119, 0x23FF, 0x30FC, 30, 0x9FF8, "last eSPI"),
        ]
        for (id, priorityByte, configuration, shift, router, comment) in cases {
            let interrupt = InterruptID(id)
            let priority = DistributorRegister.priorityRegister(for: interrupt)
            XCTAssertEqual(priority.register.offset + priority.shift / 8, priorityByte, comment)
            XCTAssertEqual(priority.register.offset % 4, 0, comment)
            let config = DistributorRegister.configurationRegister(for: interrupt)
            XCTAssertEqual(config.register.offset, configuration, comment)
            XCTAssertEqual(config.shift, shift, comment)
            XCTAssertEqual(DistributorRegister.routerRegister(for: interrupt).offset, router, comment)
        }
    }

    func testControlAndWakeBits() {
        XCTAssertEqual(DistributorControl.RWP.rawValue, 0x8000_0000, "GICD_CTLR.RWP bit 31")
        XCTAssertEqual(DistributorControl.DS.rawValue, 0x40, "GICD_CTLR.DS bit 6")
        XCTAssertEqual(DistributorControl.ARE.rawValue, 0x10, "GICD_CTLR.ARE bit 4")
        XCTAssertEqual(DistributorControl.ARE_NS, DistributorControl.ARE, "same bit in the Non-secure view")
        XCTAssertEqual(DistributorControl.EnableGrp1.rawValue, 0x2, "GICD_CTLR.EnableGrp1 bit 1")
        XCTAssertEqual(DistributorControl.EnableGrp1A, DistributorControl.EnableGrp1)
        XCTAssertEqual(DistributorControl.EnableGrp1NS, DistributorControl.EnableGrp1)
        XCTAssertEqual(DistributorControl.EnableGrp0.rawValue, 0x1, "GICD_CTLR.EnableGrp0 bit 0")
        XCTAssertEqual(RedistributorControl.RWP.rawValue, 0x8, "GICR_CTLR.RWP bit 3")
        XCTAssertEqual(RedistributorControl.EnableLPIs.rawValue, 0x1, "GICR_CTLR.EnableLPIs bit 0")
        XCTAssertEqual(RedistributorWake.ProcessorSleep.rawValue, 0x2, "GICR_WAKER.ProcessorSleep bit 1")
        XCTAssertEqual(RedistributorWake.ChildrenAsleep.rawValue, 0x4, "GICR_WAKER.ChildrenAsleep bit 2")
        // QEMU virt's GICD_CTLR from reset (DS | ARE) decodes to the named bits.
        XCTAssertEqual(DistributorControl(rawValue: 0x50), [.DS, .ARE])
    }

    func testRedistributorOffsetsMatchTheSpecification() {
        // The SGI_base registers are declared from RD_base: 0x10000 + the
        // offset the specification gives from SGI_base.
        let cases: [(offset: Int, size: Int, expected: Int, name: String)] = [
            (RedistributorRegister.GICR_CTLR.offset, Register<RedistributorControl>.size, 0x0000, "GICR_CTLR"),
            (RedistributorRegister.GICR_IIDR.offset, Register<UInt32>.size, 0x0004, "GICR_IIDR"),
            (RedistributorRegister.GICR_TYPER.offset, Register<RedistributorType>.size, 0x0008, "GICR_TYPER"),
            (RedistributorRegister.GICR_WAKER.offset, Register<RedistributorWake>.size, 0x0014, "GICR_WAKER"),
            (RedistributorRegister.GICR_PIDR2.offset, Register<PeripheralID2>.size, 0xFFE8, "GICR_PIDR2"),
            (RedistributorRegister.GICR_IGROUPR0.offset, 4, 0x1_0080, "GICR_IGROUPR0"),
            (RedistributorRegister.GICR_ISENABLER0.offset, 4, 0x1_0100, "GICR_ISENABLER0"),
            (RedistributorRegister.GICR_ICENABLER0.offset, 4, 0x1_0180, "GICR_ICENABLER0"),
            (RedistributorRegister.GICR_ISPENDR0.offset, 4, 0x1_0200, "GICR_ISPENDR0"),
            (RedistributorRegister.GICR_ICPENDR0.offset, 4, 0x1_0280, "GICR_ICPENDR0"),
            (RedistributorRegister.GICR_ISACTIVER0.offset, 4, 0x1_0300, "GICR_ISACTIVER0"),
            (RedistributorRegister.GICR_ICACTIVER0.offset, 4, 0x1_0380, "GICR_ICACTIVER0"),
            (RedistributorRegister.GICR_IPRIORITYR.offset, 4, 0x1_0400, "GICR_IPRIORITYR<0>"),
            (RedistributorRegister.GICR_ICFGR0.offset, 4, 0x1_0C00, "GICR_ICFGR0"),
            (RedistributorRegister.GICR_ICFGR1.offset, 4, 0x1_0C04, "GICR_ICFGR1"),
            (RedistributorRegister.GICR_IGRPMODR0.offset, 4, 0x1_0D00, "GICR_IGRPMODR0"),
        ]
        for (offset, size, expected, name) in cases {
            XCTAssertEqual(offset, expected, name)
            XCTAssertEqual(size, name == "GICR_TYPER" ? 8 : 4, "\(name) width")
            XCTAssertLessThan(offset % RedistributorRegister.frameSize, RedistributorRegister.frameSize, name)
            XCTAssertLessThan(offset, 2 * RedistributorRegister.frameSize, "\(name) inside RD_base or SGI_base")
        }
        XCTAssertEqual(RedistributorRegister.SGI_base, 0x1_0000, "the SGI_base frame directly follows RD_base")
        // GICR_IPRIORITYR<0-7> covers INTIDs 0-31 and ends before GICR_ICFGR0.
        XCTAssertEqual(RedistributorRegister.GICR_IPRIORITYR.count, 8)
        XCTAssertTrue(RedistributorRegister.GICR_IPRIORITYR.covers(InterruptID(31)))
        XCTAssertFalse(RedistributorRegister.GICR_IPRIORITYR.covers(InterruptID(32)))
        XCTAssertLessThanOrEqual(RedistributorRegister.GICR_IPRIORITYR.end, RedistributorRegister.GICR_ICFGR0.offset)
        // A GICv3 redistributor is exactly its two frames.
        XCTAssertEqual(RedistributorType.gicv3FrameSize, UInt64(2 * RedistributorRegister.frameSize))
        XCTAssertEqual(RedistributorType.virtualLPIFrameSize, UInt64(4 * RedistributorRegister.frameSize))
        // QEMU's redistributor region (0xF60000) holds 123 GICv3 redistributors.
        XCTAssertEqual(0xF6_0000 / RedistributorType.gicv3FrameSize, 123)
    }
}
