import XCTest
@testable import HotplugCore

/// The identity map's descriptors and the SGI register encoding.
final class PlatformCodecTests: XCTestCase {
    /// QEMU virt: devices below 1 GiB, 256 MiB of RAM at 1 GiB.
    func testVirtMapGivesDeviceThenNormalBlocks() throws {
        var map = IdentityMap()
        try map.map(base: 0x0800_0000, size: 0x1_0000, as: .device)     // distributor
        try map.map(base: 0x080A_0000, size: 0xF6_0000, as: .device)    // redistributors
        try map.map(base: 0x0900_0000, size: 0x1000, as: .device)       // PL011
        try map.map(base: 0x4000_0000, size: 0x1000_0000, as: .normal)  // RAM
        XCTAssertEqual(map.kind(ofBlock: 0), .device)
        XCTAssertEqual(map.kind(ofBlock: 1), .normal)
        XCTAssertEqual(map.kind(ofBlock: 2), .unmapped)
        // Device block 0: valid block, AF, AttrIndx 0, PXN and UXN.
        XCTAssertEqual(map.descriptor(ofBlock: 0), 0x0060_0000_0000_0401)
        // Normal block 1: output 1 GiB, AF, inner shareable, AttrIndx 1.
        XCTAssertEqual(map.descriptor(ofBlock: 1), 0x4000_0000 | 0x401 | 0x300 | 0x4)
        XCTAssertEqual(map.descriptor(ofBlock: 2), 0)
    }

    /// A second redistributor region high up (QEMU above 123 CPUs) maps too.
    func testHighRegionWithinAddressSpace() throws {
        var map = IdentityMap()
        try map.map(base: 0x40_0000_0000, size: 0x400_0000, as: .device)
        XCTAssertEqual(map.kind(ofBlock: 256), .device)
    }

    func testRegionsThatCannotBeMappedAreErrors() {
        var map = IdentityMap()
        XCTAssertThrowsError(try map.map(base: 1 << 39, size: 0x1000, as: .device)) {
            XCTAssertEqual($0 as? IdentityMap.PlanError, .beyondAddressSpace(1 << 39))
        }
        XCTAssertNoThrow(try map.map(base: 0x4000_0000, size: 0x1000, as: .normal))
        XCTAssertThrowsError(try map.map(base: 0x4800_0000, size: 0x1000, as: .device)) {
            XCTAssertEqual($0 as? IdentityMap.PlanError, .memoryAndDeviceShareBlock(0x4000_0000))
        }
        // A size that wraps past 2^64 is refused, not trapped on.
        XCTAssertThrowsError(try map.map(base: 0xFFFF_FFFF_FFFF_F000, size: 0x2000, as: .device))
    }

    func testControlRegisterValues() {
        // PARange 0b0010 (40 bits) -> IPS 0b010; T0SZ 25; EPD1; walks WB, inner shareable.
        XCTAssertEqual(IdentityMap.translationControl(physicalAddressRange: 2), 0x2_0080_3519)
        XCTAssertEqual(IdentityMap.MemoryAttributes.registerValue, 0xFF00)
        XCTAssertEqual(IdentityMap.systemControlWithMMU & 0b1_0000_0000_0101, 0x1005)
    }

    /// Cases: (SGI, target affinity, ICC_SGI1R_EL1 value).
    func testSGIRegisterValues() {
        let cases: [(UInt32, MPIDRAffinity, UInt64)] = [
            (0, MPIDRAffinity(mpidr: 0x0), 0x0000_0000_0000_0001),        // CPU 0: TargetList bit 0
            (0, MPIDRAffinity(mpidr: 0x3), 0x0000_0000_0000_0008),        // Aff0 3
            (1, MPIDRAffinity(mpidr: 0x102), 0x0000_0000_0101_0004),      // Aff1 1, Aff0 2, INTID 1
            (15, MPIDRAffinity(mpidr: 0x11), 0x0000_1000_0F00_0002),      // Aff0 17: RS 1, bit 1
            (2, MPIDRAffinity(aff3: 1, aff2: 2, aff1: 3, aff0: 4), 0x0001_0002_0203_0010),
        ]
        for (sgi, target, expected) in cases {
            XCTAssertEqual(SoftwareGeneratedInterrupt.registerValue(sending: InterruptID(sgi), to: target), expected,
                           "SGI \(sgi) to \(String(target.rawValue, radix: 16))")
        }
    }
}

/// The stress test's generator must give the same sequence for a seed on
/// the host and in the image; these are SplitMix64's published first
/// outputs for seed 0 and 1234567.
final class SplitMix64Tests: XCTestCase {
    func testKnownSequences() {
        var zero = SplitMix64(seed: 0)
        XCTAssertEqual(zero.next(), 0xE220_A839_7B1D_CDAF)
        XCTAssertEqual(zero.next(), 0x6E78_9E6A_A1B9_65F4)
        var other = SplitMix64(seed: 1_234_567)
        XCTAssertEqual(other.next(), 6_457_827_717_110_365_317)
        XCTAssertEqual(other.next(), 3_203_168_211_198_807_973)
    }

    func testBelowStaysInRange() {
        var generator = SplitMix64(seed: 42)
        for bound in 1 ... 50 {
            for _ in 0 ..< 20 {
                let value = generator.below(bound)
                XCTAssertTrue(value >= 0 && value < bound)
            }
        }
    }
}

/// The vector-slot names the fault report prints.
final class VectorSlotTests: XCTestCase {
    /// Cases: (slot, exception type, origin).
    func testVectorSlotNames() {
        let cases: [(UInt64, String, String)] = [
            (0, "synchronous", "current EL, SP_EL0"),
            (4, "synchronous", "current EL, SP_ELx"),   // a kernel fault
            (5, "IRQ", "current EL, SP_ELx"),           // the IRQ path
            (7, "SError", "current EL, SP_ELx"),
            (10, "FIQ", "lower EL, AArch64"),
            (15, "SError", "lower EL, AArch32"),
        ]
        for (raw, type, origin) in cases {
            let slot = VectorSlot(rawValue: raw)
            XCTAssertEqual(slot.exceptionType.description, type, "slot \(raw)")
            XCTAssertEqual(slot.origin.description, origin, "slot \(raw)")
        }
    }
}
