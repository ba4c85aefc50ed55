import Foundation
import XCTest
@testable import HotplugCore

/// The generic timer's PPIs read from the "arm,armv8-timer" node: QEMU's
/// trees, a tree without the node, and malformed `interrupts`.
final class GenericTimerDescriptionTests: XCTestCase {
    func testQEMUTreesNameTheFourTimerPPIs() throws {
        for name in ["virt-smp4", "virt-smp20", "virt-el2-smp4"] {
            let url = try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: "dtb", subdirectory: "Fixtures"))
            let blob = try [UInt8](Data(contentsOf: url))
            let timer = try blob.withUnsafeBytes { try PlatformDescription(deviceTree: FlattenedDeviceTree($0)).timer }
            // PPI 13, 14, 11, 10: INTIDs 29, 30, 27, 26.
            XCTAssertEqual(timer, GenericTimerDescription(securePhysical: InterruptID(29), physical: InterruptID(30),
                                                          virtual: InterruptID(27),
                                                          hypervisorPhysical: InterruptID(26)), name)
        }
    }

    func testNoTimerNodeIsNoTimer() throws {
        XCTAssertNil(try read(nil))
    }

    func testDisabledTimerNodeIsSkipped() throws {
        XCTAssertNil(try read([1, 13, 4, 1, 14, 4, 1, 11, 4, 1, 10, 4], status: "disabled"))
    }

    func testOtherNumbersAreTakenAsWritten() throws {
        let timer = try XCTUnwrap(try read([1, 1, 4, 1, 2, 4, 1, 3, 4, 1, 4, 4, 1, 5, 4]))
        XCTAssertEqual(timer.securePhysical, InterruptID(17))
        XCTAssertEqual(timer.physical, InterruptID(18))
        XCTAssertEqual(timer.virtual, InterruptID(19))
        XCTAssertEqual(timer.hypervisorPhysical, InterruptID(20))
    }

    func testMalformedInterruptsAreRefused() {
        // Three specifiers only.
        XCTAssertThrowsError(try read([1, 13, 4, 1, 14, 4, 1, 11, 4])) { error in
            XCTAssertEqual(error as? DeviceTreeError, .badPropertyLength("interrupts", length: 36))
        }
        // A partial cell group.
        XCTAssertThrowsError(try read([1, 13, 4, 1, 14, 4, 1, 11, 4, 1, 10])) { error in
            XCTAssertEqual(error as? DeviceTreeError, .badPropertyLength("interrupts", length: 44))
        }
        // An SPI where a PPI belongs.
        XCTAssertThrowsError(try read([1, 13, 4, 0, 14, 4, 1, 11, 4, 1, 10, 4])) { error in
            XCTAssertEqual(error as? DeviceTreeError, .badInterruptSpecifier(type: 0, number: 14))
        }
        // A PPI number past the PPI range.
        XCTAssertThrowsError(try read([1, 13, 4, 1, 16, 4, 1, 11, 4, 1, 10, 4])) { error in
            XCTAssertEqual(error as? DeviceTreeError, .badInterruptSpecifier(type: 1, number: 16))
        }
    }

    /// A minimal platform plus a timer node with `interrupts` (none: no node).
    private func read(_ interrupts: [UInt32]?, status: String? = nil) throws -> GenericTimerDescription? {
        var builder = TreeBuilder()
        builder.begin("")
        if let interrupts {
            builder.begin("timer")
            builder.property("interrupts", cells: interrupts)
            if let status { builder.property("status", string: status) }
            builder.property("compatible", strings: ["arm,armv8-timer", "arm,armv7-timer"])
            builder.end()
        }
        builder.end()
        return try builder.blob().withUnsafeBytes { buffer in
            try GenericTimerDescription(deviceTree: FlattenedDeviceTree(buffer), interruptCells: 3)
        }
    }
}
