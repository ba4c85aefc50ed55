import XCTest
@testable import HotplugCore

/// The typed register layer: a register's value type decides the width of
/// every access to it, and values round-trip through their raw bits.
final class RegisterFileTests: XCTestCase {
    func testValueTypesAreReadAndWrittenWithTheirRegistersWidth() {
        let registers = RecordingRegisterFile([0x0: 0x50, 0x6108: 0xFFFF_FF00_7F00_0102])
        let control = registers.read(DistributorRegister.GICD_CTLR)
        XCTAssertEqual(control, [.DS, .ARE])
        let routing = registers.read(DistributorRegister.GICD_IROUTER[33])
        XCTAssertEqual(routing.affinity, MPIDRAffinity(mpidr: 0x102), "RES0 bits dropped on the way in")
        registers.write(DistributorRegister.GICD_CTLR, control.union(.EnableGrp1))
        registers.write(DistributorRegister.GICD_IROUTER[33], RoutingTarget(affinity: MPIDRAffinity(mpidr: 3)))
        XCTAssertEqual(registers.log, [.read32(0x0), .read64(0x6108), .write32(0x0, 0x52), .write64(0x6108, 0x3)])
    }

    func testRegisterSizesFollowTheirValueTypes() {
        XCTAssertEqual(Register<UInt32>.size, 4)
        XCTAssertEqual(Register<UInt64>.size, 8)
        XCTAssertEqual(Register<RedistributorType>.size, 8, "GICR_TYPER is 64 bits")
        XCTAssertEqual(Register<DistributorType>.size, 4, "GICD_TYPER is 32 bits")
        XCTAssertEqual(Register<RedistributorWake>.size, 4)
    }

    func testRegisterArrayBounds() {
        let array = RegisterArray<UInt32>(offset: 0x100, count: 2, bitsPerInterrupt: 1, firstInterrupt: 32)
        XCTAssertTrue(array.covers(InterruptID(32)))
        XCTAssertTrue(array.covers(InterruptID(95)))
        XCTAssertFalse(array.covers(InterruptID(31)), "below the first interrupt")
        XCTAssertFalse(array.covers(InterruptID(96)), "past the last register")
        XCTAssertEqual(array.index(for: InterruptID(64)), 1)
        XCTAssertEqual(array[1].offset, 0x104)
        XCTAssertEqual(array.end, 0x108)
    }
}
