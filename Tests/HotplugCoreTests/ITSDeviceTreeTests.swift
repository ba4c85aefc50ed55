import Foundation
import XCTest
@testable import HotplugCore

/// The ITS as the device tree gives it: an "arm,gic-v3-its" child of the
/// GICv3 node, whose `reg` is read with the GIC node's own cells, against
/// the QEMU fixtures (Fixtures/README.md) and small built trees.
final class ITSDeviceTreeTests: XCTestCase {
    func testFixturesHaveTheITSAt0x8080000() throws {
        for name in ["virt-smp4", "virt-smp20", "virt-el2-smp4"] {
            let gic = try platform(fixture(name)).gic
            // its@8080000: reg = <0x00 0x8080000 0x00 0x20000>, the control
            // and translation frames.
            XCTAssertEqual(gic.its, PhysicalAddressRange(base: 0x0808_0000, size: 0x2_0000), name)
            XCTAssertEqual(gic.its?.size, UInt64(ITSRegister.gicv3Size), name)
        }
    }

    func testITSIsReadWithTheGICNodesCellsAndSkippedWhenDisabled() throws {
        // One-cell addresses and sizes in the GIC node: a root-cell reading
        // would take the size for the high address word.
        XCTAssertEqual(
            try platform(tree(itsNodes: [(0x0808_0000, "okay")], addressCells: 1, sizeCells: 1)).gic.its,
            PhysicalAddressRange(base: 0x0808_0000, size: 0x2_0000))
        // A disabled ITS is skipped; the enabled one after it is taken.
        XCTAssertEqual(
            try platform(tree(itsNodes: [(0x0900_0000, "disabled"), (0x0808_0000, "okay")])).gic.its?.base,
            0x0808_0000)
        XCTAssertNil(try platform(tree(itsNodes: [])).gic.its, "a GIC without an ITS")
        XCTAssertNil(try platform(tree(itsNodes: [(0x0808_0000, "disabled")])).gic.its)
    }

    func testITSWithoutRegIsAnError() throws {
        let blob = tree(itsNodes: [(0x0808_0000, "okay")], withReg: false)
        XCTAssertThrowsError(try platform(blob)) { error in
            XCTAssertEqual(error as? DeviceTreeError, .missingProperty("reg", node: "arm,gic-v3-its"))
        }
    }

    // MARK: Helpers

    private func fixture(_ name: String) throws -> [UInt8] {
        let url = try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: "dtb", subdirectory: "Fixtures"))
        return try [UInt8](Data(contentsOf: url))
    }

    private func platform(_ blob: [UInt8]) throws -> PlatformDescription {
        try blob.withUnsafeBytes { buffer in try PlatformDescription(deviceTree: FlattenedDeviceTree(buffer)) }
    }

    /// A QEMU-`virt`-like tree whose GIC node has `itsNodes` (base, status)
    /// as "arm,gic-v3-its" children, 128 KiB each, with the GIC node's
    /// `#address-cells` / `#size-cells` as given.
    private func tree(
        itsNodes: [(UInt64, String)], addressCells: UInt32 = 2, sizeCells: UInt32 = 2, withReg: Bool = true
    ) -> [UInt8] {
        func pair(_ value: UInt64) -> [UInt32] { [UInt32(value >> 32), UInt32(truncatingIfNeeded: value)] }
        func cells(_ value: UInt64, _ count: UInt32) -> [UInt32] {
            count == 2 ? pair(value) : [UInt32(truncatingIfNeeded: value)]
        }
        var builder = TreeBuilder()
        builder.begin("")
        builder.property("#address-cells", cells: [2])
        builder.property("#size-cells", cells: [2])
        builder.begin("psci")
        builder.property("compatible", strings: ["arm,psci-1.0"])
        builder.property("method", string: "hvc")
        builder.end()
        builder.begin("memory@40000000")
        builder.property("reg", cells: pair(0x4000_0000) + pair(0x1000_0000))
        builder.property("device_type", string: "memory")
        builder.end()
        builder.begin("pl011@9000000")
        builder.property("interrupts", cells: [0, 1, 4])
        builder.property("reg", cells: pair(0x0900_0000) + pair(0x1000))
        builder.property("compatible", strings: ["arm,pl011", "arm,primecell"])
        builder.end()
        builder.begin("intc@8000000")
        builder.property("reg", cells: pair(0x0800_0000) + pair(0x1_0000) + pair(0x080A_0000) + pair(0xF6_0000))
        builder.property("compatible", string: "arm,gic-v3")
        builder.property("#interrupt-cells", cells: [3])
        builder.property("#address-cells", cells: [addressCells])
        builder.property("#size-cells", cells: [sizeCells])
        builder.property("ranges", [])
        for (base, status) in itsNodes {
            builder.begin("its@\(String(base, radix: 16))")
            if withReg { builder.property("reg", cells: cells(base, addressCells) + cells(0x2_0000, sizeCells)) }
            builder.property("msi-controller", [])
            builder.property("status", string: status)
            builder.property("compatible", string: "arm,gic-v3-its")
            builder.end()
        }
        builder.end()
        builder.begin("cpus")
        builder.property("#size-cells", cells: [0])
        builder.property("#address-cells", cells: [1])
        builder.begin("cpu@0")
        builder.property("reg", cells: [0])
        builder.property("device_type", string: "cpu")
        builder.end()
        builder.end()
        builder.end()
        return builder.blob()
    }
}
