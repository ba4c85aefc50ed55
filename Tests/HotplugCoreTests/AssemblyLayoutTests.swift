import Foundation
import XCTest
@testable import HotplugCore

/// The assembly's shared values (Sources/Kernel/Arch/AssemblyLayout.h, read here
/// as text) against the pure core's `IdentityMap`: the early map the stub
/// builds and the final map the kernel switches to must agree bit for bit
/// on RAM blocks, MAIR, TCR and SCTLR, or the switch would need
/// break-before-make.
final class AssemblyLayoutTests: XCTestCase {
    private func headerValues(file: StaticString = #filePath) throws -> [String: UInt64] {
        let header = URL(fileURLWithPath: "\(file)")
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/Kernel/Arch/AssemblyLayout.h")
        let text = try String(contentsOf: header, encoding: .utf8)
        var values: [String: UInt64] = [:]
        for line in text.split(separator: "\n") {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard words.count >= 3, words[0] == "#define" else { continue }
            let literal = String(words[2])
            let value = literal.hasPrefix("0x") ? UInt64(literal.dropFirst(2), radix: 16) : UInt64(literal)
            if let value { values[String(words[1])] = value }
        }
        return values
    }

    func testEarlyRAMBlockIsTheFinalMapsRAMBlock() throws {
        let header = try headerValues()
        var map = IdentityMap()
        try map.map(base: 0x4000_0000, size: 0x1000_0000, as: .normal)
        let shift = try XCTUnwrap(header["MMU_LEVEL1_BLOCK_SHIFT"])
        XCTAssertEqual(1 << shift, IdentityMap.blockSize)
        XCTAssertEqual(header["MMU_LEVEL1_ENTRIES"], UInt64(IdentityMap.entryCount))
        let early = 0x4000_0000 | (try XCTUnwrap(header["MMU_NORMAL_BLOCK_ATTRIBUTES"]))
        XCTAssertEqual(early, map.descriptor(ofBlock: 1))
    }

    func testControlRegistersAreTheIdentityMapsModel() throws {
        let header = try headerValues()
        XCTAssertEqual(header["MMU_MAIR_EL1"], IdentityMap.MemoryAttributes.registerValue)
        XCTAssertEqual(header["MMU_DEVICE_ATTRIBUTE_INDEX"], IdentityMap.MemoryAttributes.deviceIndex)
        XCTAssertEqual(header["MMU_NORMAL_ATTRIBUTE_INDEX"], IdentityMap.MemoryAttributes.normalIndex)
        let ipsShift = try XCTUnwrap(header["MMU_TCR_EL1_IPS_SHIFT"])
        for parange: UInt64 in 0 ... 6 {
            XCTAssertEqual((try XCTUnwrap(header["MMU_TCR_EL1_WITHOUT_IPS"])) | parange << ipsShift,
                           IdentityMap.translationControl(physicalAddressRange: parange), "PARange \(parange)")
        }
        XCTAssertEqual(header["MMU_SCTLR_EL1"], IdentityMap.systemControlWithMMU)
    }

    /// The hypervisor's EL2 regime walks the same tables the same way as
    /// EL1's: TCR_EL2 keeps TCR_EL1's T0SZ, IRGN0, ORGN0, SH0 and TG0 (bits
    /// 15:0, the same positions), has its RES1 bits 31 and 23 and takes the
    /// physical address size in PS (18:16, the same PARange code as IPS);
    /// SCTLR_EL2 sets M, C and I over its RES1 bits and leaves A clear; an
    /// EL2 block adds only AP[1] (RES1 in a one-privilege-level regime).
    func testEL2RegimeMatchesEL1() throws {
        let header = try headerValues()
        let el1 = try XCTUnwrap(header["MMU_TCR_EL1_WITHOUT_IPS"])
        let el2 = try XCTUnwrap(header["MMU_TCR_EL2_WITHOUT_PS"])
        XCTAssertEqual(el2 & 0xFFFF, el1 & 0xFFFF)
        XCTAssertEqual(el2 & ~UInt64(0xFFFF), 1 << 31 | 1 << 23)
        XCTAssertEqual(header["MMU_TCR_EL2_PS_SHIFT"], 16)
        let sctlr = try XCTUnwrap(header["MMU_SCTLR_EL2"])
        XCTAssertEqual(sctlr & ~UInt64(0x1005), 0x30C5_0830)
        XCTAssertEqual(sctlr & 0x1005, 0x1005)
        XCTAssertEqual(header["MMU_EL2_BLOCK_AP1"], 1 << 6)
    }

    /// The guest frame the world switch fills: x0-x30, then ELR, SPSR, the
    /// exit's ESR, FAR and HPFAR, then q0-q31 and FPSR/FPCR, 16-byte
    /// aligned for the paired stores.
    func testGuestFrameOffsets() throws {
        let header = try headerValues()
        XCTAssertEqual(header["GUEST_FRAME_ELR"], 31 * 8)
        XCTAssertEqual(header["GUEST_FRAME_SPSR"], 32 * 8)
        XCTAssertEqual(header["GUEST_FRAME_HPFAR"], 35 * 8)
        XCTAssertEqual(try XCTUnwrap(header["GUEST_FRAME_Q"]) % 16, 0)
        XCTAssertEqual(header["GUEST_FRAME_FP_STATUS"], try XCTUnwrap(header["GUEST_FRAME_Q"]) + 512)
        XCTAssertEqual(header["GUEST_FRAME_SIZE"], try XCTUnwrap(header["GUEST_FRAME_FP_STATUS"]) + 16)
        XCTAssertEqual(header["GUEST_HOST_SAVE_SIZE"], try XCTUnwrap(header["GUEST_HOST_SAVE_D8"]) + 64)
    }

    /// The start block's offsets are what the assembly reads: three 64-bit
    /// fields in order.
    func testStartBlockOffsets() throws {
        let header = try headerValues()
        XCTAssertEqual(header["CPU_START_BLOCK_STACK_TOP"], 0)
        XCTAssertEqual(header["CPU_START_BLOCK_TABLE_BASE"], 8)
        XCTAssertEqual(header["CPU_START_BLOCK_LOGICAL_INDEX"], 16)
        XCTAssertEqual(header["CPU_START_BLOCK_SIZE"], 24)
    }

    /// The exception frame lives on the stack, which AArch64 keeps 16-byte
    /// aligned (SP alignment checking), and its pairs are stored with STP of
    /// q registers, which want 16-byte offsets.
    func testExceptionFrameKeepsTheStackAligned() throws {
        let header = try headerValues()
        let size = try XCTUnwrap(header["EXCEPTION_FRAME_SIZE"])
        XCTAssertEqual(size % 16, 0)
        XCTAssertEqual(try XCTUnwrap(header["EXCEPTION_FRAME_Q"]) % 16, 0)
        XCTAssertEqual(header["EXCEPTION_FRAME_ELR"], 31 * 8, "after x0-x30")
        XCTAssertEqual(header["EXCEPTION_FRAME_SLOT_PUSH"], size - 16, "the slot's push is the frame's last 16 bytes")
    }
}

/// Whether the device tree's RAM holds the whole image.
final class ImagePlacementTests: XCTestCase {
    /// QEMU virt with 256 MiB at 1 GiB; the image linked 2 MiB in.
    func testRegionContainment() {
        let image = ImagePlacement(start: 0x4020_0000, end: 0x42A4_8000)
        XCTAssertTrue(image.isCovered(byRegionAt: 0x4000_0000, size: 0x1000_0000))
        XCTAssertTrue(image.isCovered(byRegionAt: 0x4020_0000, size: 0x284_8000), "exactly the image")
        XCTAssertFalse(image.isCovered(byRegionAt: 0x4000_0000, size: 0x2A0_0000), "42 MiB: the heap's tail is outside")
        XCTAssertFalse(image.isCovered(byRegionAt: 0x4020_1000, size: 0x1000_0000), "starts after the image")
        XCTAssertFalse(image.isCovered(byRegionAt: 0x8000_0000, size: 0x1000_0000), "elsewhere")
        XCTAssertTrue(image.isCovered(byRegionAt: 0x4000_0000, size: UInt64.max), "a region running to the top")
    }

    func testVirtFixtureHoldsTheImage() throws {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "virt-smp4", withExtension: "dtb", subdirectory: "Fixtures"))
        let blob = try [UInt8](Data(contentsOf: url))
        let platform = try blob.withUnsafeBytes { bytes in
            try PlatformDescription(deviceTree: try FlattenedDeviceTree(bytes))
        }
        XCTAssertTrue(ImagePlacement(start: 0x4020_0000, end: 0x42A4_8000).isCovered(by: platform))
        XCTAssertFalse(ImagePlacement(start: 0x4020_0000, end: 0x5000_1000).isCovered(by: platform))
    }
}
