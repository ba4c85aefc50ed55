import XCTest
@testable import HotplugCore

/// `SharedInterruptControl` against a recording distributor: each operation
/// touches only its interrupt's bits, in the register the layout names,
/// with an access of the register's width; a disable is awaited.
final class GICSharedInterruptTests: XCTestCase {
    private let pl011 = InterruptID(33)
    private let extendedSPI = InterruptID(4096 + 40)

    func testSetAndClearRegistersGetTheInterruptsBitAlone() {
        let registers = RecordingRegisterFile()
        SharedInterruptControl.enable(registers, pl011)
        SharedInterruptControl.setPending(registers, pl011)
        SharedInterruptControl.enable(registers, extendedSPI)
        XCTAssertEqual(registers.log, [
            .write32(0x0104, 1 << 1),       // GICD_ISENABLER1, bit 1
            .write32(0x0204, 1 << 1),       // GICD_ISPENDR1, bit 1
            .write32(0x1204, 1 << 8),       // GICD_ISENABLER1E, bit 8
        ], "write-one-to-act: no read, no other bit")
    }

    func testStateIsReadFromTheInterruptsBit() {
        // Every other interrupt in the word set: only bit 1 counts.
        let registers = RecordingRegisterFile([0x0104: 0xFFFF_FFFD, 0x0204: 0x2, 0x0304: 0x0])
        XCTAssertFalse(SharedInterruptControl.isEnabled(registers, pl011))
        XCTAssertTrue(SharedInterruptControl.isPending(registers, pl011))
        XCTAssertFalse(SharedInterruptControl.isActive(registers, pl011))
        XCTAssertEqual(registers.log, [.read32(0x0104), .read32(0x0204), .read32(0x0304)])
    }

    func testDisableIsAwaited() throws {
        let registers = RecordingRegisterFile()
        try SharedInterruptControl.disable(registers, pl011, wait: registers.wait)
        XCTAssertEqual(registers.log, [
            .write32(0x0184, 1 << 1),                       // GICD_ICENABLER1, bit 1
            .wait,
            .read(DistributorRegister.GICD_CTLR),           // RWP polled
        ])
    }

    func testDisableThatNeverCompletesIsAnError() {
        let registers = RecordingRegisterFile(DistributorRegister.GICD_CTLR, holding: [.ARE, .RWP])
        XCTAssertThrowsError(try SharedInterruptControl.disable(registers, pl011, wait: registers.wait)) { error in
            XCTAssertEqual(error as? GICError, .distributorWritePending)
        }
        XCTAssertEqual(registers.writes, [.write32(0x0184, 1 << 1)], "written disabled all the same")
    }

    func testTriggerChangesOnlyTheInterruptsConfigurationField() {
        // GICD_ICFGR2 holds INTIDs 32-47; INTID 33 is bits 3:2. The others
        // are all edge-triggered (0b10) and must stay so.
        let others: UInt32 = 0xAAAA_AAA2
        let registers = RecordingRegisterFile([0x0C08: UInt64(others)])
        SharedInterruptControl.setTrigger(registers, pl011, edgeTriggered: true)
        XCTAssertEqual(registers.values[0x0C08], 0xAAAA_AAAA, "bit 3 set, every other field kept")
        SharedInterruptControl.setTrigger(registers, pl011, edgeTriggered: false)
        XCTAssertEqual(registers.values[0x0C08], UInt64(others), "back to level, every other field kept")
        XCTAssertEqual(registers.log.count, 4, "one read and one write each")
    }

    func testRouteIsOne64BitWriteToTheOneCPU() {
        let registers = RecordingRegisterFile()
        let affinity = MPIDRAffinity(aff3: 1, aff2: 0, aff1: 2, aff0: 3)
        SharedInterruptControl.route(registers, pl011, to: affinity)
        SharedInterruptControl.route(registers, extendedSPI, to: affinity)
        XCTAssertEqual(registers.log, [
            .write64(0x6108, 0x0000_0001_0000_0203),      // GICD_IROUTER33, mode 0
            .write64(0x8140, 0x0000_0001_0000_0203),      // GICD_IROUTER40E
        ])
        let routed = SharedInterruptControl.routing(registers, of: pl011)
        XCTAssertEqual(routed.affinity, affinity)
        XCTAssertFalse(routed.isAnyParticipatingPE, "never 1 of N")
        XCTAssertEqual(registers.log.last, .read64(0x6108))
    }

    func testRoutingReadBackDropsReservedBits() {
        // RES0 bits 63:40 and 30:24 set in the register: the decoded
        // target keeps the affinity fields (Aff0 = 1) and the mode bit only.
        let registers = RecordingRegisterFile([0x6108: 0xFFFF_FF00_7F00_0001])
        let routed = SharedInterruptControl.routing(registers, of: pl011)
        XCTAssertEqual(routed.rawValue, 0x1)
        XCTAssertEqual(routed.affinity, MPIDRAffinity(mpidr: 1))
    }
}
