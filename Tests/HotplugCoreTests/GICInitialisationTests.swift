import XCTest
@testable import HotplugCore

/// `DistributorInitialisation` against a recording register file: the order
/// of the writes (ARE before any route, RWP awaited where the specification
/// asks), that every SPI and extended SPI word is covered exactly once, and
/// that failures are errors, not hangs.
final class GICInitialisationTests: XCTestCase {
    /// QEMU 7.2 `virt`: SPIs 32–255 (ITLinesNumber 7).
    private let qemu72 = DistributorType(rawValue: 0x037A_0007)
    /// QEMU 8 and later: SPIs 32–287 (ITLinesNumber 8).
    private let qemu8 = DistributorType(rawValue: 0x037A_0008)
    /// The largest SPI range: ITLinesNumber 31, capped at INTID 1019.
    private let largest = DistributorType(rawValue: 0x037A_001F)
    /// SPIs 32–255 plus 64 extended SPIs (ESPI, ESPI_range 1).
    private let extended = DistributorType(rawValue: 0x037A_0007 | 1 << 8 | 1 << 27)

    private let bootCPU = MPIDRAffinity(aff3: 0, aff2: 0, aff1: 1, aff0: 2)
    private let priority: UInt8 = 0xA0

    // MARK: A simulated distributor

    /// How the simulated `GICD_CTLR` treats ARE.
    private enum AffinityRoutingModel {
        /// Writable, as the specification allows.
        case writable
        /// RAO/WI, as QEMU implements it.
        case alwaysSet
        /// Never set, whatever is written: a GIC that refuses affinity
        /// routing.
        case neverSet
    }

    /// A distributor whose `GICD_CTLR` starts at `control`. With `control`'s
    /// DS bit set the single-Security-state view is modelled (DS reads 1),
    /// without it the Non-secure view of a two-state GIC (bit 6 reads 0).
    private func distributor(
        control: DistributorControl, affinityRouting: AffinityRoutingModel = .writable,
        pidr2: UInt32 = 0x3B, registerWriteStuck: Bool = false
    ) -> RecordingRegisterFile {
        let controlRegister = DistributorRegister.GICD_CTLR
        let registers = RecordingRegisterFile([
            controlRegister.offset: UInt64(control.rawValue),
            DistributorRegister.GICD_PIDR2.offset: UInt64(pidr2),
        ])
        let securityDisabled = control.contains(.DS)
        registers.onWrite = { offset, value in
            guard offset == controlRegister.offset else { return value }
            var stored = DistributorControl(rawValue: UInt32(truncatingIfNeeded: value))
                .intersection([.ARE, .EnableGrp1, .EnableGrp0])
            if securityDisabled { stored.insert(.DS) }
            switch affinityRouting {
            case .writable: break
            case .alwaysSet: stored.insert(.ARE)
            case .neverSet: stored.remove(.ARE)
            }
            return UInt64(stored.rawValue)
        }
        registers.onRead = { offset, value in
            offset == controlRegister.offset && registerWriteStuck ? value | UInt64(DistributorControl.RWP.rawValue) : value
        }
        return registers
    }

    private func run(
        _ registers: RecordingRegisterFile, _ type: DistributorType
    ) throws -> DistributorInitialisation.Outcome {
        try DistributorInitialisation.run(registers, type: type, routingTo: bootCPU, priority: priority, wait: registers.wait)
    }

    private func isRouter(_ offset: Int) -> Bool {
        (0x6000 ..< 0x8000).contains(offset) || (0x8000 ..< 0xA000).contains(offset)
    }

    /// The `GICD_CTLR` values written, in order.
    private func controlWrites(_ registers: RecordingRegisterFile) -> [DistributorControl] {
        registers.log.compactMap { access in
            if case let .write32(offset, value) = access, offset == DistributorRegister.GICD_CTLR.offset {
                return DistributorControl(rawValue: value)
            }
            return nil
        }
    }

    /// Offsets of the 32-bit words covering `firstINTID ... lastINTID` in an
    /// array at `base` holding `bitsPerInterrupt` bits per INTID, counted
    /// from `arrayStart` (0 for SPIs, 4096 for extended SPIs).
    private func words(base: Int, bitsPerInterrupt: Int, intids: ClosedRange<UInt32>, arrayStart: UInt32) -> [Int] {
        let perWord = 32 / bitsPerInterrupt
        let first = Int(intids.lowerBound - arrayStart) / perWord
        let last = Int(intids.upperBound - arrayStart) / perWord
        return (first ... last).map { base + 4 * $0 }
    }

    /// Offset → value of every 32-bit write, failing on a second write to
    /// the same offset.
    private func singleWrites(
        _ registers: RecordingRegisterFile, file: StaticString = #filePath, line: UInt = #line
    ) -> [Int: UInt32] {
        var written: [Int: UInt32] = [:]
        for access in registers.log {
            guard case let .write32(offset, value) = access, offset != DistributorRegister.GICD_CTLR.offset else { continue }
            XCTAssertNil(written[offset], "second write to 0x\(String(offset, radix: 16))", file: file, line: line)
            written[offset] = value
        }
        return written
    }

    // MARK: Architecture check

    func testRefusesADistributorThatIsNotGICv3BeforeWritingAnything() {
        let cases: [(pidr2: UInt32, accepted: Bool, what: String)] = [
            (0x3B, true, "QEMU gic-version=3: ArchRev 3"),
            (0x4B, true, "QEMU gic-version=4: ArchRev 4"),
            (0x2B, false, "a GICv2 distributor: ArchRev 2"),
            (0x0, false, "nothing mapped that reads as zero"),
            (0xFFFF_FFFF, false, "a bus that reads all ones: ArchRev 0xF"),
        ]
        for (pidr2, accepted, what) in cases {
            let registers = distributor(control: .DS, pidr2: pidr2)
            do {
                _ = try run(registers, qemu72)
                XCTAssertTrue(accepted, what)
            } catch let error as GICError {
                XCTAssertFalse(accepted, "\(what): \(error.message)")
                XCTAssertEqual(error, .distributorNotGICv3(PeripheralID2(rawValue: pidr2)), what)
                XCTAssertEqual(registers.writes, [], "\(what): nothing written")
            } catch {
                XCTFail("\(what): unexpected \(error)")
            }
        }
    }

    // MARK: GICD_CTLR order

    func testAffinityRoutingIsEnabledWithGroupsOffBeforeTheFirstRouterWrite() throws {
        // Firmware left group 1 enabled and ARE clear: the worst start.
        let registers = distributor(control: [.DS, .EnableGrp1])
        let outcome = try run(registers, qemu72)
        XCTAssertFalse(outcome.affinityRoutingWasEnabled)

        let controls = controlWrites(registers)
        XCTAssertEqual(controls, [
            [],                     // groups off, ARE as found (clear)
            [.ARE],                 // ARE on, groups still off
            [.ARE, .EnableGrp1],    // group 1 on, last
        ])
        let areWrite = try XCTUnwrap(registers.log.firstIndex(of: .write(DistributorRegister.GICD_CTLR, .ARE)))
        let firstRoute = try XCTUnwrap(registers.log.firstIndex { $0.writtenOffset.map(isRouter) ?? false })
        XCTAssertLessThan(areWrite, firstRoute, "ARE must be set before any GICD_IROUTER write")
        XCTAssertEqual(registers.log[areWrite + 1], .wait, "RWP awaited after setting ARE")
    }

    func testAffinityRoutingLeftSetByFirmwareIsNeverCleared() throws {
        let initial: DistributorControl = [.DS, .ARE, .EnableGrp1, .EnableGrp0]
        let registers = distributor(control: initial)
        let outcome = try run(registers, qemu72)
        XCTAssertTrue(outcome.affinityRoutingWasEnabled)
        let controls = controlWrites(registers)
        XCTAssertFalse(controls.isEmpty)
        for value in controls {
            XCTAssertTrue(value.contains(.ARE), "GICD_CTLR write 0x\(String(value.rawValue, radix: 16)) clears ARE")
        }
        XCTAssertEqual(controls.first, .ARE, "both groups off first, ARE kept")
        XCTAssertEqual(controls.last, [.ARE, .EnableGrp1])
    }

    func testQEMUAffinityRoutingAlwaysOnNeedsOneDisableWrite() throws {
        // QEMU: ARE is RAO/WI and reads 1 from reset (GICD_CTLR 0x50).
        let registers = distributor(control: [.DS, .ARE], affinityRouting: .alwaysSet)
        _ = try run(registers, qemu72)
        XCTAssertEqual(controlWrites(registers), [.ARE, [.ARE, .EnableGrp1]])
    }

    func testTwoSecurityStatesUseTheSameBitsOfTheNonSecureView() throws {
        // Non-secure view: DS (bit 6) is RES0 and reads 0; ARE_NS is bit 4,
        // EnableGrp1A bit 1.
        let registers = distributor(control: [])
        let outcome = try run(registers, qemu72)
        XCTAssertEqual(outcome.security, .twoSecurityStates)
        XCTAssertEqual(controlWrites(registers), [[], .ARE_NS, [.ARE_NS, .EnableGrp1A]])
    }

    func testGroupOneIsEnabledByTheLastWriteAndAwaited() throws {
        let registers = distributor(control: .DS)
        _ = try run(registers, qemu72)
        XCTAssertEqual(registers.writes.last, .write(DistributorRegister.GICD_CTLR, [.ARE, .EnableGrp1]))
        let lastWrite = try XCTUnwrap(registers.log.lastIndex { $0.writtenOffset != nil })
        XCTAssertEqual(registers.log[lastWrite + 1], .wait)
    }

    // MARK: RWP

    func testRegisterWritePendingIsAwaitedAfterEveryControlAndClearEnableWrite() throws {
        let registers = distributor(control: .DS)
        _ = try run(registers, qemu8)
        let log = registers.log

        // After every GICD_CTLR write, a wait before the next write.
        for index in registers.writeIndices(to: DistributorRegister.GICD_CTLR) {
            let next = log[(index + 1)...].firstIndex { $0 == .wait || $0.writtenOffset != nil }
            XCTAssertEqual(next.map { log[$0] }, .wait, "no RWP wait after the GICD_CTLR write at \(index)")
        }
        // The clear-enables all come before one wait, and nothing else is
        // written before it: ICFGR may change only once the disable has
        // taken effect.
        let clearEnable = BitPerInterruptRegister.GICD_ICENABLER.spis.offset
        let enableWrites = log.indices.filter { index in
            log[index].writtenOffset.map { (clearEnable ..< clearEnable + 0x80).contains($0) } ?? false
        }
        let lastEnableWrite = try XCTUnwrap(enableWrites.last)
        let firstOtherWrite = try XCTUnwrap(log.indices.first { index in
            index > enableWrites[0] && log[index].writtenOffset.map { !(clearEnable ..< clearEnable + 0x80).contains($0) } ?? false
        })
        XCTAssertGreaterThan(firstOtherWrite, lastEnableWrite, "another register written between clear-enables")
        XCTAssertTrue(log[lastEnableWrite ..< firstOtherWrite].contains(.wait), "no RWP wait after GICD_ICENABLER")
        // Each wait polled GICD_CTLR.
        for index in log.indices where log[index] == .wait {
            XCTAssertEqual(log[index + 1], .read(DistributorRegister.GICD_CTLR))
        }
    }

    func testAWaitThatEndsUnsatisfiedIsAnErrorAndRoutesNothing() {
        let registers = distributor(control: [.DS, .EnableGrp1], registerWriteStuck: true)
        XCTAssertThrowsError(try run(registers, qemu72)) { error in
            XCTAssertEqual(error as? GICError, .distributorWritePending)
        }
        XCTAssertEqual(controlWrites(registers), [[]], "groups disabled, nothing more")
        XCTAssertFalse(registers.writes.contains { $0.writtenOffset.map(isRouter) ?? false })
    }

    func testAffinityRoutingThatDoesNotStickIsAnError() {
        let registers = distributor(control: .DS, affinityRouting: .neverSet)
        XCTAssertThrowsError(try run(registers, qemu72)) { error in
            XCTAssertEqual(error as? GICError, .affinityRoutingNotEnabled(control: .DS))
        }
        XCTAssertFalse(registers.writes.contains { $0.writtenOffset.map(isRouter) ?? false }, "no route written without ARE")
    }

    // MARK: Every SPI

    func testEveryWordOfEverySPIIsWrittenOnceWithTheDefaults() throws {
        for (type, what) in [(qemu72, "QEMU 7.2, 224 SPIs"), (qemu8, "QEMU 8+, 256 SPIs"), (largest, "988 SPIs")] {
            let registers = distributor(control: .DS)
            let outcome = try run(registers, type)
            let written = singleWrites(registers)
            let spis = try XCTUnwrap(type.spis)

            let bitArrays: [(BitPerInterruptRegister, UInt32)] = [
                (.GICD_ICENABLER, ~0), (.GICD_ICPENDR, ~0), (.GICD_ICACTIVER, ~0), (.GICD_IGROUPR, ~0), (.GICD_IGRPMODR, 0),
            ]
            for (array, value) in bitArrays {
                let expected = words(base: array.spis.offset, bitsPerInterrupt: 1, intids: spis, arrayStart: 0)
                XCTAssertEqual(expected.count, type.spiCount / 32 + (type.spiCount % 32 == 0 ? 0 : 1), "\(what) \(array)")
                let actual = written.filter { (array.spis.offset ..< array.spis.end).contains($0.key) }
                XCTAssertEqual(actual.keys.sorted(), expected, "\(what): \(array) words")
                XCTAssertTrue(actual.values.allSatisfy { $0 == value }, "\(what): \(array) value")
            }
            XCTAssertNil(written[BitPerInterruptRegister.GICD_ICENABLER.spis.offset], "\(what): word 0 (SGIs, PPIs) is the redistributor's")

            let configuration = words(base: DistributorRegister.GICD_ICFGR.offset, bitsPerInterrupt: 2, intids: spis, arrayStart: 0)
            for offset in configuration {
                XCTAssertEqual(written[offset], DistributorInitialisation.levelSensitive, "\(what): GICD_ICFGR 0x\(String(offset, radix: 16))")
            }
            XCTAssertEqual(written.keys.filter { (DistributorRegister.GICD_ICFGR.offset ..< DistributorRegister.GICD_IGRPMODR.offset).contains($0) }.count, configuration.count)

            let priorities = words(base: DistributorRegister.GICD_IPRIORITYR.offset, bitsPerInterrupt: 8, intids: spis, arrayStart: 0)
            for offset in priorities {
                XCTAssertEqual(written[offset], 0xA0A0_A0A0, "\(what): GICD_IPRIORITYR 0x\(String(offset, radix: 16))")
            }

            var routed: [Int: UInt64] = [:]
            for access in registers.log {
                if case let .write64(offset, value) = access {
                    XCTAssertNil(routed[offset], "\(what): second route of 0x\(String(offset, radix: 16))")
                    routed[offset] = value
                }
            }
            XCTAssertEqual(routed.keys.sorted(), spis.map { 0x6000 + 8 * Int($0) }, "\(what): one route per SPI")
            XCTAssertTrue(routed.values.allSatisfy { $0 == RoutingTarget(affinity: bootCPU).registerValue }, "\(what): routed to the boot CPU")
            XCTAssertEqual(outcome.routerWrites, type.spiCount, "\(what): routerWrites counts every route")
        }
    }

    func testExtendedSPIsUseTheirOwnRegisterArrays() throws {
        let registers = distributor(control: .DS)
        let outcome = try run(registers, extended)
        let written = singleWrites(registers)
        let extendedRange = try XCTUnwrap(extended.extendedSPIs)
        XCTAssertEqual(extendedRange, 4096 ... 4159)

        let arrays: [(Int, String, UInt32)] = [
            (0x1400, "GICD_ICENABLERnE", ~0),
            (0x1800, "GICD_ICPENDRnE", ~0),
            (0x1C00, "GICD_ICACTIVERnE", ~0),
            (0x1000, "GICD_IGROUPRnE", ~0),
            (0x3400, "GICD_IGRPMODRnE", 0),
        ]
        for (base, name, value) in arrays {
            XCTAssertEqual(written[base], value, name)
            XCTAssertEqual(written[base + 4], value, name)
            XCTAssertNil(written[base + 8], "\(name): only two words for 64 eSPIs")
        }
        for offset in words(base: DistributorRegister.GICD_ICFGRnE.offset, bitsPerInterrupt: 2, intids: extendedRange, arrayStart: 4096) {
            XCTAssertEqual(written[offset], 0, "GICD_ICFGRnE 0x\(String(offset, radix: 16))")
        }
        XCTAssertEqual(written.keys.filter { (DistributorRegister.GICD_IPRIORITYRnE.offset ..< DistributorRegister.GICD_ICFGRnE.offset).contains($0) }.count, 16)
        let extendedRoutes = registers.log.filter { access in
            if case let .write64(offset, _) = access { return offset >= DistributorRegister.GICD_IROUTERnE.offset }
            return false
        }
        XCTAssertEqual(extendedRoutes.count, 64)
        XCTAssertEqual(extendedRoutes.first, .write(DistributorRegister.GICD_IROUTERnE[0], RoutingTarget(affinity: bootCPU)))
        XCTAssertEqual(outcome.routerWrites, 224 + 64)

        // The extended clear-enables are awaited with the others.
        let lastExtendedDisable = try XCTUnwrap(registers.writeIndices(to: DistributorRegister.GICD_ICENABLERnE[1]).last)
        let firstConfiguration = try XCTUnwrap(registers.writeIndices(to: DistributorRegister.GICD_ICFGRnE[0]).first)
        XCTAssertTrue(registers.log[lastExtendedDisable ..< firstConfiguration].contains(.wait))
    }

    // MARK: Security states

    func testSecurityStateDecodesDSAndDecidesWhoOwnsRedistributorPower() {
        let cases: [(control: UInt32, expected: DistributorSecurity, what: String)] = [
            (0x0000_0050, .singleSecurityState, "QEMU virt from reset: DS | ARE"),
            (0x0000_0052, .singleSecurityState, "QEMU virt running: DS | ARE | EnableGrp1"),
            (0x0000_0012, .twoSecurityStates, "Non-secure view: ARE_NS | EnableGrp1A, bit 6 RES0"),
            (0x8000_0000, .twoSecurityStates, "RWP only"),
        ]
        for (control, expected, what) in cases {
            let security = DistributorSecurity(distributorControl: DistributorControl(rawValue: control))
            XCTAssertEqual(security, expected, what)
            XCTAssertEqual(security.kernelOwnsRedistributorPower, expected == .singleSecurityState, what)
        }
    }

    func testErrorMessagesNameTheRegister() {
        XCTAssertTrue(GICError.distributorWritePending.message.contains("GICD_CTLR.RWP"))
        XCTAssertTrue(GICError.distributorNotGICv3(PeripheralID2(rawValue: 0x2B)).message.contains("ArchRev 2"))
        XCTAssertTrue(GICError.redistributorStillAwake(frame: 0x80A_0000).message.contains("0x80a0000"))
    }
}
