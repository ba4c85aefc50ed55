import XCTest
@testable import HotplugCore

/// The redistributor side: `RedistributorSequences` (wake, sleep, private
/// interrupts) against a recording register file, the frame search with
/// `redistributor-stride` and the `GICR_PIDR2` check, and the device tree's
/// stride property.
final class GICRedistributorTests: XCTestCase {
    private let frame: UInt64 = 0x080A_0000

    // MARK: A simulated RD_base frame

    /// An RD_base frame whose `GICR_WAKER` starts with ProcessorSleep =
    /// `asleep`. With `securityDisabled` the register behaves as with one
    /// Security state: ChildrenAsleep follows ProcessorSleep at once, unless
    /// `childrenStuck` holds it at its start value. Without it the register
    /// is RAZ/WI, as a Non-secure access sees it with two Security states.
    private func redistributor(
        asleep: Bool, securityDisabled: Bool, childrenStuck: Bool = false, registerWriteStuck: Bool = false
    ) -> RecordingRegisterFile {
        let waker = RedistributorRegister.GICR_WAKER
        let registers = RecordingRegisterFile(waker, holding: asleep ? [.ProcessorSleep, .ChildrenAsleep] : [])
        let start = asleep
        registers.onWrite = { [unowned registers] offset, value in
            guard offset == waker.offset else { return value }
            guard securityDisabled else { return registers.values[offset] ?? 0 }
            let sleeping = RedistributorWake(rawValue: UInt32(value)).contains(.ProcessorSleep)
            let children = childrenStuck ? start : sleeping
            var stored: RedistributorWake = []
            if sleeping { stored.insert(.ProcessorSleep) }
            if children { stored.insert(.ChildrenAsleep) }
            return UInt64(stored.rawValue)
        }
        registers.onRead = { offset, value in
            if offset == waker.offset && !securityDisabled { return 0 }
            if offset == RedistributorRegister.GICR_CTLR.offset && registerWriteStuck {
                return UInt64(RedistributorControl.RWP.rawValue)
            }
            return value
        }
        return registers
    }

    private func wakerWrites(_ registers: RecordingRegisterFile) -> [RegisterAccess] {
        registers.writes.filter { $0.writtenOffset == RedistributorRegister.GICR_WAKER.offset }
    }

    // MARK: Wake

    func testWakeWithOneSecurityStateClearsProcessorSleepThenAwaitsChildren() throws {
        let registers = redistributor(asleep: true, securityDisabled: true)
        try RedistributorSequences.wake(registers, frame: frame, security: .singleSecurityState, wait: registers.wait)
        // ChildrenAsleep is 1 from reset, so the write may go ahead; only
        // ProcessorSleep is written (ChildrenAsleep is read-only).
        XCTAssertEqual(wakerWrites(registers), [.write(RedistributorRegister.GICR_WAKER, .ChildrenAsleep)])
        let write = try XCTUnwrap(registers.writeIndices(to: RedistributorRegister.GICR_WAKER).last)
        XCTAssertTrue(registers.log[write...].contains(.wait), "ChildrenAsleep awaited after the write")
        XCTAssertEqual(registers.value(of: RedistributorRegister.GICR_WAKER), [], "awake")
    }

    func testWakeNeverClearsProcessorSleepBeforeChildrenAreAsleep() {
        // ProcessorSleep set but ChildrenAsleep still 0: a redistributor on
        // its way to sleep. Clearing ProcessorSleep now is UNPREDICTABLE.
        let registers = RecordingRegisterFile(RedistributorRegister.GICR_WAKER, holding: .ProcessorSleep)
        XCTAssertThrowsError(
            try RedistributorSequences.wake(registers, frame: frame, security: .singleSecurityState, wait: registers.wait)
        ) { error in
            XCTAssertEqual(error as? GICError, .redistributorStillAwake(frame: frame))
        }
        XCTAssertEqual(registers.writes, [], "ProcessorSleep left alone")
    }

    func testWakeWithTwoSecurityStatesWritesNothingAndChecksChildren() throws {
        let registers = redistributor(asleep: false, securityDisabled: false)
        try RedistributorSequences.wake(registers, frame: frame, security: .twoSecurityStates, wait: registers.wait)
        XCTAssertEqual(registers.writes, [], "GICR_WAKER is the firmware's")
        XCTAssertEqual(registers.log, [.wait, .read(RedistributorRegister.GICR_WAKER)])
    }

    func testWakeThatNeverCompletesIsAnError() {
        let registers = redistributor(asleep: true, securityDisabled: true, childrenStuck: true)
        XCTAssertThrowsError(
            try RedistributorSequences.wake(registers, frame: frame, security: .singleSecurityState, wait: registers.wait)
        ) { error in
            XCTAssertEqual(error as? GICError, .redistributorStillAsleep(frame: frame))
        }
    }

    // MARK: Sleep

    func testSleepWithOneSecurityStateSetsProcessorSleepThenAwaitsChildren() throws {
        let registers = redistributor(asleep: false, securityDisabled: true)
        let touched = try RedistributorSequences.sleep(registers, frame: frame, security: .singleSecurityState, wait: registers.wait)
        XCTAssertTrue(touched)
        XCTAssertEqual(wakerWrites(registers), [.write(RedistributorRegister.GICR_WAKER, .ProcessorSleep)])
        XCTAssertEqual(registers.log.last, .read(RedistributorRegister.GICR_WAKER))
        XCTAssertTrue(registers.log.contains(.wait))
    }

    func testSleepWithTwoSecurityStatesLeavesTheRegisterToTheFirmware() throws {
        // GICR_WAKER is RAZ/WI to us then: a write would be ignored and the
        // wait for ChildrenAsleep would stall until its deadline on every
        // offline. Not a single access is made.
        let registers = redistributor(asleep: false, securityDisabled: false)
        let touched = try RedistributorSequences.sleep(registers, frame: frame, security: .twoSecurityStates, wait: registers.wait)
        XCTAssertFalse(touched)
        XCTAssertEqual(registers.log, [])
    }

    func testSleepThatNeverCompletesIsAnError() {
        let registers = redistributor(asleep: false, securityDisabled: true, childrenStuck: true)
        XCTAssertThrowsError(
            try RedistributorSequences.sleep(registers, frame: frame, security: .singleSecurityState, wait: registers.wait)
        ) { error in
            XCTAssertEqual(error as? GICError, .redistributorStillAwake(frame: frame))
        }
    }

    // MARK: Private interrupts

    func testPrivateInterruptsAreDisabledAndAwaitedBeforeTheyChange() throws {
        let registers = redistributor(asleep: false, securityDisabled: true)
        try RedistributorSequences.configurePrivateInterrupts(registers, frame: frame, priority: 0xA0, wait: registers.wait)
        let sgi = RedistributorRegister.SGI_base
        var expected: [RegisterAccess] = [
            .write32(sgi + 0x0180, ~0),                 // GICR_ICENABLER0
            .write32(sgi + 0x0380, ~0),                 // GICR_ICACTIVER0
            .wait,
            .read32(0x0000),                            // GICR_CTLR.RWP polled
            .write32(sgi + 0x0080, ~0),                 // GICR_IGROUPR0: group 1
            .write32(sgi + 0x0D00, 0),                  // GICR_IGRPMODR0: Non-secure
        ]
        expected += (0 ..< 8).map { .write32(sgi + 0x0400 + 4 * $0, 0xA0A0_A0A0) }   // GICR_IPRIORITYR0-7
        expected.append(.write32(sgi + 0x0100, 0x0000_FFFF))                       // GICR_ISENABLER0: SGIs
        XCTAssertEqual(registers.log, expected)
        XCTAssertFalse(registers.writes.contains { $0.writtenOffset == RedistributorRegister.GICR_ICPENDR0.offset },
                       "pending SGIs are kept")
    }

    func testPrivateInterruptWriteStillPendingIsAnError() {
        let registers = redistributor(asleep: false, securityDisabled: true, registerWriteStuck: true)
        XCTAssertThrowsError(
            try RedistributorSequences.configurePrivateInterrupts(registers, frame: frame, priority: 0xA0, wait: registers.wait)
        ) { error in
            XCTAssertEqual(error as? GICError, .redistributorWritePending(frame: frame))
        }
        XCTAssertFalse(registers.writes.contains {
            $0.writtenOffset == RedistributorRegister.GICR_ISENABLER0.offset
        }, "SGIs not enabled again")
    }

    // MARK: Finding the frame

    /// `GICR_TYPER` for a frame serving `affinity`, `Last` when `last`.
    private func typer(_ affinity: MPIDRAffinity, last: Bool = false, virtualLPIs: Bool = false) -> UInt64 {
        let value = UInt64(affinity.aff3) << 24 | UInt64(affinity.aff2) << 16 | UInt64(affinity.aff1) << 8 | UInt64(affinity.aff0)
        return value << 32 | (last ? 1 << 4 : 0) | (virtualLPIs ? 1 << 1 : 0) | 1
    }

    /// Memory holding redistributors for `cpus` CPUs from `base`, `stride`
    /// apart, with `pidr2` at the first frame; every read is logged and a
    /// read of an address holding nothing fails the test.
    private func memory(base: UInt64, cpus: Int, stride: UInt64, pidr2: UInt32 = 0x3B) -> SimulatedAddressSpace {
        let memory = SimulatedAddressSpace()
        for index in 0 ..< cpus {
            let rdBase = base + UInt64(index) * stride
            let type = RedistributorType(rawValue: typer(MPIDRAffinity(mpidr: UInt64(index)), last: index == cpus - 1))
            memory.store(type, in: RedistributorRegister.GICR_TYPER, ofFrameAt: rdBase)
            memory.store(PeripheralID2(rawValue: pidr2), in: RedistributorRegister.GICR_PIDR2, ofFrameAt: rdBase)
        }
        return memory
    }

    private func gic(regions: [(UInt64, UInt64)], stride: UInt64?) -> GICDescription {
        var ranges = InlineArray<8, PhysicalAddressRange>(repeating: PhysicalAddressRange(base: 0, size: 0)!)
        for (index, region) in regions.enumerated() {
            ranges[index] = PhysicalAddressRange(base: region.0, size: region.1)!
        }
        return GICDescription(
            distributor: PhysicalAddressRange(base: 0x0800_0000, size: 0x1_0000)!, redistributorRegionCount: regions.count,
            redistributorStride: stride, interruptCells: 3, redistributorRegions: ranges)
    }

    func testStrideFromTheDeviceTreeSetsTheDistanceBetweenFrames() throws {
        // Padding pages: frames 256 KiB apart although none has VLPIS (which
        // alone would make them 128 KiB apart).
        let stride: UInt64 = 0x4_0000
        let memory = memory(base: frame, cpus: 4, stride: stride)
        let description = gic(regions: [(frame, 4 * stride)], stride: stride)
        let found = try RedistributorType.locate(
            MPIDRAffinity(mpidr: 3), in: description,
            frame: memory.frame(at:))
        XCTAssertEqual(found, frame + 3 * stride)
        let typerReads = memory.reads.filter { ($0 - frame) % stride == UInt64(RedistributorRegister.GICR_TYPER.offset) }
        XCTAssertEqual(typerReads.count, 4, "one GICR_TYPER read per frame, at stride steps only")
    }

    func testWithoutStrideFramesFollowTheirOwnSize() {
        let region = RedistributorRegion(base: frame, size: 4 * 0x2_0000)
        let memory = memory(base: frame, cpus: 4, stride: RedistributorType.gicv3FrameSize)
        XCTAssertEqual(RedistributorType.findFrame(for: MPIDRAffinity(mpidr: 2), in: region, frame: memory.frame(at:)), frame + 2 * 0x2_0000)
    }

    func testRegionIsCheckedBeforeItIsWalked() {
        let memory = memory(base: frame, cpus: 4, stride: 0x2_0000, pidr2: 0x2B)
        let description = gic(regions: [(frame, 0xF6_0000)], stride: nil)
        XCTAssertThrowsError(try RedistributorType.locate(
            MPIDRAffinity(mpidr: 1), in: description,
            frame: memory.frame(at:))
        ) { error in
            XCTAssertEqual(error as? GICError, .redistributorRegionNotGICv3(regionBase: frame, PeripheralID2(rawValue: 0x2B)))
        }
        XCTAssertEqual(memory.reads, [frame + UInt64(RedistributorRegister.GICR_PIDR2.offset)], "no GICR_TYPER read")
    }

    func testEveryRegionIsCheckedAndAMissingCPUIsAnError() throws {
        // QEMU above 123 CPUs: two regions. CPU 0x100 is in neither.
        let second: UInt64 = 0x4_0000_0000
        let memory = memory(base: frame, cpus: 2, stride: 0x2_0000, pidr2: 0x4B)
        for (address, value) in self.memory(base: second, cpus: 2, stride: 0x2_0000).values {
            memory.values[address] = value
        }
        let description = gic(regions: [(frame, 0x4_0000), (second, 0x4_0000)], stride: nil)
        XCTAssertThrowsError(try RedistributorType.locate(
            MPIDRAffinity(mpidr: 0x100), in: description,
            frame: memory.frame(at:))
        ) { error in
            XCTAssertEqual(error as? GICError, .noRedistributor(MPIDRAffinity(mpidr: 0x100)))
        }
        XCTAssertTrue(memory.reads.contains(second + UInt64(RedistributorRegister.GICR_PIDR2.offset)), "second region checked too")
    }

    func testPeripheralID2ArchitectureRevision() {
        let cases: [(value: UInt32, revision: UInt32, accepted: Bool, what: String)] = [
            (0x3B, 3, true, "QEMU GICv3 (gicv3_idreg)"),
            (0x4B, 4, true, "QEMU GICv4"),
            (0x2B, 2, false, "GICv2"),
            (0x1B, 1, false, "GICv1"),
            (0x00, 0, false, "reads as zero"),
            (0xFFFF_FFFF, 0xF, false, "all ones"),
            (0x0000_103B, 3, true, "bits above 7 ignored"),
        ]
        for (value, revision, accepted, what) in cases {
            let id = PeripheralID2(rawValue: value)
            XCTAssertEqual(id.architectureRevision, revision, what)
            XCTAssertEqual(id.isGICv3OrLater, accepted, what)
        }
        XCTAssertEqual(RedistributorRegister.GICR_PIDR2.offset, 0xFFE8)
        XCTAssertEqual(DistributorRegister.GICD_PIDR2.offset, 0xFFE8)
    }

    // MARK: redistributor-stride in the device tree

    private func parseGIC(stride: UInt64?) throws -> GICDescription {
        var builder = TreeBuilder()
        builder.minimalPlatform(stride: stride)
        let blob = builder.blob()
        return try blob.withUnsafeBytes { buffer in try PlatformDescription(deviceTree: FlattenedDeviceTree(buffer)).gic }
    }

    func testDeviceTreeStrideIsReadAndChecked() throws {
        XCTAssertNil(try parseGIC(stride: nil).redistributorStride, "absent: frames follow GICR_TYPER.VLPIS")
        XCTAssertEqual(try parseGIC(stride: 0x2_0000).redistributorStride, 0x2_0000)
        XCTAssertEqual(try parseGIC(stride: 0x4_0000).redistributorStride, 0x4_0000)
        XCTAssertEqual(try parseGIC(stride: 0x10_0000).redistributorStride, 0x10_0000)
        for bad: UInt64 in [0, 0x1_0000, 0x3_8000, 0x2_0001] {
            XCTAssertThrowsError(try parseGIC(stride: bad), "stride 0x\(String(bad, radix: 16))") { error in
                XCTAssertEqual(error as? DeviceTreeError, .badRedistributorStride(bad))
            }
        }
        XCTAssertEqual(
            DeviceTreeError.badRedistributorStride(0x3_8000).message,
            "device tree redistributor-stride 0x38000 is not a multiple of 0x10000 of at least 0x20000")
    }
}
