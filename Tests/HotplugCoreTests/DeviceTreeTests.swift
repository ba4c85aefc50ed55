import Foundation
import XCTest
@testable import HotplugCore

/// The device-tree reader against real QEMU `virt` blobs (Fixtures/README.md
/// names the commands that made them), against every truncation and a table
/// of corruptions of them, against seeded random damage, and against small
/// trees built here to reach the platform errors QEMU never produces.
final class DeviceTreeTests: XCTestCase {
    // MARK: Fixtures

    func testFixturesParseAsVersion17Trees() throws {
        for name in ["virt-smp4", "virt-smp20", "virt-el2-smp4"] {
            let blob = try fixture(name)
            try withTree(blob) { tree in
                XCTAssertEqual(tree.version, 17, name)
                XCTAssertEqual(tree.blob.count, blob.count, name)
                XCTAssertEqual(tree.bootCPUPhysicalID, 0, name)
                XCTAssertGreaterThan(try PlatformDescription(deviceTree: tree).cpuCount, 0, name)
            }
            // Fixtures are repacked by dtc: a few KiB, not QEMU's 1 MiB.
            XCTAssertLessThan(blob.count, 16 * 1024, name)
        }
    }

    func testSMP4HasFourCPUsWithAffinitiesZeroToThree() throws {
        let platform = try parse(fixture("virt-smp4"))
        XCTAssertEqual(platform.cpuCount, 4)
        for index in 0 ..< 4 {
            let cpu = platform.cpu(LogicalCPU(index))
            XCTAssertEqual(cpu.logicalCPU, LogicalCPU(index))
            XCTAssertEqual(cpu.affinity, MPIDRAffinity(mpidr: UInt64(index)))
            XCTAssertEqual(cpu.enableMethod, .psci)
            XCTAssertEqual(platform.affinity(of: LogicalCPU(index)), MPIDRAffinity(mpidr: UInt64(index)))
            XCTAssertEqual(platform.logicalCPU(for: MPIDRAffinity(mpidr: UInt64(index))), LogicalCPU(index))
        }
        // QEMU's PSCI refused CPU_ON for 0x77 on this machine; no CPU has it.
        XCTAssertNil(platform.logicalCPU(for: MPIDRAffinity(mpidr: 0x77)))
    }

    func testSMP20PutsCPUs16To19InCluster1() throws {
        let platform = try parse(fixture("virt-smp20"))
        XCTAssertEqual(platform.cpuCount, 20)
        for index in 0 ..< 20 {
            // QEMU virt: Aff0 = cpu % 16, Aff1 = cpu / 16.
            let expected = MPIDRAffinity(aff3: 0, aff2: 0, aff1: UInt8(index / 16), aff0: UInt8(index % 16))
            XCTAssertEqual(platform.affinity(of: LogicalCPU(index)), expected, "cpu \(index)")
            XCTAssertEqual(platform.logicalCPU(for: expected), LogicalCPU(index))
        }
        XCTAssertEqual(platform.affinity(of: LogicalCPU(16)).rawValue, 0x100)
        XCTAssertEqual(platform.affinity(of: LogicalCPU(19)).rawValue, 0x103)
        // 0x10 is what "cpu@16" would mean if the unit address were read as reg.
        XCTAssertNil(platform.logicalCPU(for: MPIDRAffinity(mpidr: 0x10)))
    }

    func testGICHasDistributorAndOneRedistributorRegion() throws {
        for name in ["virt-smp4", "virt-smp20", "virt-el2-smp4"] {
            let gic = try parse(fixture(name)).gic
            XCTAssertEqual(gic.distributor, PhysicalAddressRange(base: 0x0800_0000, size: 0x1_0000), name)
            XCTAssertEqual(gic.redistributorRegionCount, 1, name)
            XCTAssertEqual(gic.redistributorRegion(0), PhysicalAddressRange(base: 0x080A_0000, size: 0xF6_0000), name)
            XCTAssertNil(gic.redistributorStride, name)
            XCTAssertEqual(gic.interruptCells, 3, name)
        }
    }

    func testPSCIConduitIsHVCAtEL1AndSMCWithVirtualization() throws {
        let cases: [(fixture: String, conduit: PSCIConduit)] = [
            ("virt-smp4", .hvc),
            ("virt-smp20", .hvc),
            // virtualization=on: the image runs at EL2, PSCI is at EL3.
            ("virt-el2-smp4", .smc),
        ]
        for (name, conduit) in cases {
            let psci = try parse(fixture(name)).psci
            XCTAssertEqual(psci.conduit, conduit, name)
            XCTAssertTrue(psci.hasStandardFunctionIDs, name)
            // QEMU also writes the PSCI 0.1 properties: the standard IDs.
            XCTAssertEqual(psci.cpuOnFunctionID, 0xC400_0003, name)
            XCTAssertEqual(psci.cpuOffFunctionID, 0x8400_0002, name)
        }
    }

    func testUARTRTCAndMemory() throws {
        for name in ["virt-smp4", "virt-smp20", "virt-el2-smp4"] {
            let platform = try parse(fixture(name))
            // PL011: SPI 1 = INTID 33.
            XCTAssertEqual(platform.uart.registers, PhysicalAddressRange(base: 0x0900_0000, size: 0x1000), name)
            XCTAssertEqual(platform.uart.interrupt, InterruptID(33), name)
            // PL031: SPI 2 = INTID 34.
            XCTAssertEqual(platform.rtc?.registers, PhysicalAddressRange(base: 0x0901_0000, size: 0x1000), name)
            XCTAssertEqual(platform.rtc?.interrupt, InterruptID(34), name)
            // -m 256M from 0x4000_0000.
            XCTAssertEqual(platform.memoryRegionCount, 1, name)
            XCTAssertEqual(platform.memoryRegion(0), PhysicalAddressRange(base: 0x4000_0000, size: 256 << 20), name)
        }
    }

    func testWalkerFindsNodesAndPropertiesByName() throws {
        try withTree(fixture("virt-smp4")) { tree in
            let root = tree.root
            XCTAssertEqual(tree.name(of: root).count, 0, "the root's name is empty")
            let cpus = try XCTUnwrap(tree.child(of: root, named: "cpus"))
            // Without "@" the unit address is ignored; with it, it must match.
            XCTAssertEqual(try tree.child(of: cpus, named: "cpu").map { String(decoding: tree.name(of: $0), as: UTF8.self) }, "cpu@0")
            let cpu2 = try XCTUnwrap(tree.child(of: cpus, named: "cpu@2"))
            XCTAssertTrue(tree.node(cpu2, isNamed: "cpu"))
            XCTAssertTrue(tree.node(cpu2, isNamed: "cpu@2"))
            XCTAssertFalse(tree.node(cpu2, isNamed: "cpu@3"))
            XCTAssertFalse(tree.node(cpu2, isNamed: "cp"))
            XCTAssertFalse(tree.node(cpu2, isNamed: "cpu@"))
            XCTAssertNil(try tree.child(of: cpus, named: "cpu@4"))
            // "cpu-map" is a child of /cpus but not a "cpu".
            var children = tree.children(of: cpus)
            var names: [String] = []
            while let child = try children.next() {
                names.append(String(decoding: tree.name(of: child), as: UTF8.self))
            }
            XCTAssertEqual(names, ["cpu-map", "cpu@0", "cpu@1", "cpu@2", "cpu@3"])

            let reg = try XCTUnwrap(tree.value("reg", of: cpu2))
            XCTAssertEqual(reg.count, 4)
            XCTAssertEqual(reg.cell(0), 2)
            XCTAssertNil(reg.cell(1))
            XCTAssertNil(reg.cell(-1))
            XCTAssertNil(try tree.value("no-such-property", of: cpu2))

            let intc = try XCTUnwrap(tree.child(of: root, named: "intc@8000000"))
            let compatible = try XCTUnwrap(tree.value("compatible", of: intc))
            XCTAssertTrue(compatible.containsString("arm,gic-v3"))
            XCTAssertFalse(compatible.containsString("arm,gic"))
            XCTAssertTrue(compatible.isString("arm,gic-v3"))
            let distributor = try XCTUnwrap(tree.value("reg", of: intc))
            XCTAssertEqual(distributor.number(atCell: 0, cells: 2), 0x0800_0000)
            XCTAssertEqual(distributor.number(atCell: 2, cells: 2), 0x1_0000)
            XCTAssertNil(distributor.number(atCell: 7, cells: 2), "runs past the end")
            XCTAssertNil(distributor.number(atCell: 0, cells: 3), "no 3-cell numbers")

            let pl011 = try XCTUnwrap(tree.child(of: root, named: "pl011"))
            let compatibleList = try XCTUnwrap(tree.value("compatible", of: pl011))
            XCTAssertTrue(compatibleList.containsString("arm,pl011"))
            XCTAssertTrue(compatibleList.containsString("arm,primecell"))
            XCTAssertFalse(compatibleList.isString("arm,pl011"), "a list of two is not one string")
        }
    }

    func testTotalSizeNeedsOnlyTheFirstEightBytes() throws {
        let blob = try fixture("virt-smp4")
        XCTAssertEqual(try blob.prefix(8).withUnsafeBytes { try FlattenedDeviceTree.totalSize(of: $0) }, blob.count)
        XCTAssertEqual(try blob.withUnsafeBytes { try FlattenedDeviceTree.totalSize(of: $0) }, blob.count)
        for length in 0 ..< 8 {
            assertThrows(.truncated(needed: 8, available: length), "header of \(length) bytes") {
                try blob.prefix(length).withUnsafeBytes { _ = try FlattenedDeviceTree.totalSize(of: $0) }
            }
        }
        // A blob inside a larger buffer (QEMU's RAM) is cut to totalsize.
        let padded = blob + [UInt8](repeating: 0xAA, count: 100)
        try padded.withUnsafeBytes { buffer in
            XCTAssertEqual(try FlattenedDeviceTree(buffer).blob.count, blob.count)
        }
    }

    // MARK: Truncation

    /// Every prefix of the blob, as a buffer too short for its totalsize.
    func testEveryTruncationThrowsTruncated() throws {
        let blob = try fixture("virt-smp4")
        for length in 0 ..< blob.count {
            let needed = length < 8 ? 8 : blob.count
            assertThrows(.truncated(needed: needed, available: length), "cut at \(length)") {
                try blob.prefix(length).withUnsafeBytes { _ = try FlattenedDeviceTree($0) }
            }
        }
    }

    /// Every prefix again, now with totalsize rewritten to match it, so the
    /// header no longer gives the cut away: the blocks must not fit.
    func testEveryTruncationWithMatchingTotalSizeThrows() throws {
        let blob = try fixture("virt-smp4")
        let header = Header(blob)
        XCTAssertEqual(header.stringsOffset + header.stringsSize, blob.count, "dtc puts strings last")
        for length in FlattenedDeviceTree.headerSize ..< blob.count {
            var cut = Array(blob.prefix(length))
            cut.storeBigEndian(UInt32(length), at: 4)
            let expected: DeviceTreeError =
                length < header.structureOffset + header.structureSize
                    ? .blockOutOfBounds(.structure, offset: header.structureOffset, size: header.structureSize)
                    : .blockOutOfBounds(.strings, offset: header.stringsOffset, size: header.stringsSize)
            assertThrows(expected, "cut at \(length)") {
                try cut.withUnsafeBytes { _ = try FlattenedDeviceTree($0) }
            }
        }
        for length in 0 ..< FlattenedDeviceTree.headerSize {
            var cut = Array(blob.prefix(length))
            if length >= 8 { cut.storeBigEndian(UInt32(length), at: 4) }
            XCTAssertThrowsError(try cut.withUnsafeBytes { _ = try FlattenedDeviceTree($0) }, "cut at \(length)")
        }
    }

    // MARK: Corruption

    func testCorruptionsThrowTheirError() throws {
        let blob = try fixture("virt-smp4")
        let header = Header(blob)
        let structureEnd = header.structureOffset + header.structureSize
        // Root: FDT_BEGIN_NODE, "" padded to 4 bytes, then its first property.
        let rootProperty = header.structureOffset + 8
        // The block ends with the root's FDT_END_NODE and FDT_END.
        let rootEndNode = structureEnd - 8
        let endToken = structureEnd - 4
        XCTAssertEqual(blob.bigEndian(at: header.structureOffset), 1)
        XCTAssertEqual(blob.bigEndian(at: rootProperty), 3)
        XCTAssertEqual(blob.bigEndian(at: rootEndNode), 2)
        XCTAssertEqual(blob.bigEndian(at: endToken), 9)
        let firstChild = try firstChildOffset(blob)

        let cases: [(what: String, expected: DeviceTreeError, corrupt: (inout [UInt8]) -> Void)] = [
            ("bad magic", .badMagic(0xD00D_FEEE), { $0[3] = 0xEE }),
            ("totalsize one past the buffer", .truncated(needed: blob.count + 1, available: blob.count),
             { $0.storeBigEndian(UInt32(blob.count + 1), at: 4) }),
            ("totalsize smaller than the header", .badTotalSize(16), { $0.storeBigEndian(16, at: 4) }),
            ("structure block starts past the end", .blockOutOfBounds(.structure, offset: blob.count, size: header.structureSize),
             { $0.storeBigEndian(UInt32(blob.count), at: 8) }),
            ("structure block starts inside the header", .blockOutOfBounds(.structure, offset: 4, size: header.structureSize),
             { $0.storeBigEndian(4, at: 8) }),
            ("structure block too long", .blockOutOfBounds(.structure, offset: header.structureOffset, size: blob.count),
             { $0.storeBigEndian(UInt32(blob.count), at: 36) }),
            ("strings block starts past the end", .blockOutOfBounds(.strings, offset: 0xFFFF_FFF0, size: header.stringsSize),
             { $0.storeBigEndian(0xFFFF_FFF0, at: 12) }),
            ("strings block too long", .blockOutOfBounds(.strings, offset: header.stringsOffset, size: header.stringsSize + 1),
             { $0.storeBigEndian(UInt32(header.stringsSize + 1), at: 32) }),
            ("version 15 is too old", .unsupportedVersion(version: 15, lastCompatibleVersion: 16),
             { $0.storeBigEndian(15, at: 20) }),
            ("last compatible version 18 is too new", .unsupportedVersion(version: 18, lastCompatibleVersion: 18),
             { $0.storeBigEndian(18, at: 20); $0.storeBigEndian(18, at: 24) }),
            ("property name offset one past the strings block", .offsetOutOfBounds(.strings, offset: header.stringsSize),
             { $0.storeBigEndian(UInt32(header.stringsSize), at: rootProperty + 8) }),
            ("property name offset far out", .offsetOutOfBounds(.strings, offset: 0xFFFF_FFFF),
             { $0.storeBigEndian(0xFFFF_FFFF, at: rootProperty + 8) }),
            ("property name without NUL before the strings block ends",
             .unterminatedString(.strings, offset: header.stringsOffset + header.stringsSize - 1),
             { $0[blob.count - 1] = UInt8(ascii: "x"); $0.storeBigEndian(UInt32(header.stringsSize - 1), at: rootProperty + 8) }),
            ("node name without NUL before the structure block ends", .unterminatedString(.structure, offset: firstChild + 4),
             { $0.storeBigEndian(UInt32(firstChild + 6 - header.structureOffset), at: 36) }),
            ("property length runs past the block", .propertyValueOutOfBounds(offset: rootProperty, length: 0xFFFF_FFF0),
             { $0.storeBigEndian(0xFFFF_FFF0, at: rootProperty + 4) }),
            ("property length one past the block", .propertyValueOutOfBounds(offset: rootProperty, length: UInt32(structureEnd - rootProperty - 11)),
             { $0.storeBigEndian(UInt32(structureEnd - rootProperty - 11), at: rootProperty + 4) }),
            ("bad token", .badToken(7, offset: rootProperty), { $0.storeBigEndian(7, at: rootProperty) }),
            ("token 0", .badToken(0, offset: rootProperty), { $0.storeBigEndian(0, at: rootProperty) }),
            ("first token closes a node", .unbalancedNodes(offset: header.structureOffset),
             { $0.storeBigEndian(2, at: header.structureOffset) }),
            ("FDT_END replaced by a stray FDT_END_NODE", .unbalancedNodes(offset: endToken), { $0.storeBigEndian(2, at: endToken) }),
            ("root never closed", .unbalancedNodes(offset: endToken), { $0.storeBigEndian(4, at: rootEndNode) }),
            ("FDT_END turned into FDT_BEGIN_NODE with no room for its name", .unterminatedString(.structure, offset: structureEnd),
             { $0.storeBigEndian(1, at: endToken) }),
            ("no FDT_END", .unexpectedEndOfStructure(offset: structureEnd), { $0.storeBigEndian(4, at: endToken) }),
            ("structure size not a multiple of 4", .unexpectedEndOfStructure(offset: endToken),
             { $0.storeBigEndian(UInt32(header.structureSize - 1), at: 36) }),
            ("empty structure block", .unexpectedEndOfStructure(offset: header.structureOffset), { $0.storeBigEndian(0, at: 36) }),
        ]
        for (what, expected, corrupt) in cases {
            var damaged = blob
            corrupt(&damaged)
            assertThrows(expected, what) {
                try damaged.withUnsafeBytes { _ = try FlattenedDeviceTree($0) }
            }
            XCTAssertFalse(expected.message.isEmpty, what)
        }
    }

    /// Seeded random damage to the structure block, 1 to 4 bytes at a time:
    /// the reader may accept or reject each blob, but must never trap, and
    /// an accepted one must survive a full walk and `PlatformDescription`.
    func testRandomStructureDamageNeverTraps() throws {
        let blob = try fixture("virt-smp4")
        let header = Header(blob)
        var random = SplitMix64(seed: 0x5EED_DEB1_F00D)
        var accepted = 0
        var rejected = 0
        for _ in 0 ..< 2000 {
            var damaged = blob
            for _ in 0 ... random.below(4) {
                let offset = header.structureOffset + random.below(header.structureSize)
                // Small values hit the token numbers and lengths more often.
                damaged[offset] = random.below(2) == 0 ? UInt8(random.below(10)) : UInt8(random.below(256))
            }
            if survivesEverything(damaged) { accepted += 1 } else { rejected += 1 }
        }
        XCTAssertEqual(accepted + rejected, 2000)
        XCTAssertGreaterThan(rejected, 100, "the damage reaches the reader's checks")
        XCTAssertGreaterThan(accepted, 100, "much damage lands in values and is harmless")
    }

    /// The same over the whole blob, header and strings included.
    func testRandomDamageAnywhereNeverTraps() throws {
        for name in ["virt-smp20", "virt-el2-smp4"] {
            let blob = try fixture(name)
            var random = SplitMix64(seed: 0xD7B)
            for _ in 0 ..< 1000 {
                var damaged = blob
                for _ in 0 ... random.below(4) {
                    damaged[random.below(blob.count)] = UInt8(random.below(256))
                }
                _ = survivesEverything(damaged)
            }
        }
    }

    // MARK: Built trees: what QEMU never writes

    func testNestingErrorsInBuiltTrees() {
        // Header 40 + reservation terminator 16: the structure block starts at 56.
        let structureStart = FlattenedDeviceTree.headerSize + 16
        let cases: [(what: String, expected: DeviceTreeError, build: (inout TreeBuilder) -> Void)] = [
            ("second root node", .unbalancedNodes(offset: structureStart + 12),
             { $0.begin(""); $0.end(); $0.begin(""); $0.end() }),
            ("property before the root", .unbalancedNodes(offset: structureStart),
             { $0.property("model", string: "x"); $0.begin(""); $0.end() }),
            ("no root at all", .unbalancedNodes(offset: structureStart), { _ in }),
        ]
        for (what, expected, build) in cases {
            var builder = TreeBuilder()
            build(&builder)
            assertThrows(expected, what) {
                try builder.blob().withUnsafeBytes { _ = try FlattenedDeviceTree($0) }
            }
        }
        // NOPs may sit anywhere, even before the root.
        var builder = TreeBuilder()
        builder.nop()
        builder.begin("")
        builder.nop()
        builder.property("model", string: "nops")
        builder.nop()
        builder.end()
        builder.nop()
        XCTAssertNoThrow(try withTree(builder.blob()) { tree in
            XCTAssertEqual(tree.root.offset, structureStart + 4)
            XCTAssertEqual(try tree.value("model", of: tree.root)?.isString("nops"), true)
        })
    }

    func testVersion16HeaderIsRead() throws {
        var builder = TreeBuilder()
        builder.minimalPlatform()
        let cpuCount = try withTree(builder.blob(version: 16)) { tree in
            XCTAssertEqual(tree.version, 16)
            return try PlatformDescription(deviceTree: tree).cpuCount
        }
        XCTAssertEqual(cpuCount, 1)
    }

    func testTwoCellCPUAddressesKeepAff3() throws {
        var builder = TreeBuilder()
        builder.minimalPlatform(cpuAddressCells: 2, cpuRegs: [0x1_0000_0003, 0x0_0001_0200])
        let platform = try parse(builder.blob())
        XCTAssertEqual(platform.cpuCount, 2)
        XCTAssertEqual(platform.affinity(of: LogicalCPU(0)), MPIDRAffinity(aff3: 1, aff2: 0, aff1: 0, aff0: 3))
        XCTAssertEqual(platform.affinity(of: LogicalCPU(1)), MPIDRAffinity(aff3: 0, aff2: 1, aff1: 2, aff0: 0))
        XCTAssertNil(platform.cpu(LogicalCPU(0)).enableMethod, "no enable-method written")
    }

    func testSeveralRedistributorRegionsAndStride() throws {
        var builder = TreeBuilder()
        builder.minimalPlatform(redistributorRegions: [(0x080A_0000, 0xF6_0000), (0x4_0000_0000, 0x40_0000)], stride: 0x4_0000)
        let gic = try parse(builder.blob()).gic
        XCTAssertEqual(gic.redistributorRegionCount, 2)
        XCTAssertEqual(gic.redistributorRegion(0), PhysicalAddressRange(base: 0x080A_0000, size: 0xF6_0000))
        XCTAssertEqual(gic.redistributorRegion(1), PhysicalAddressRange(base: 0x4_0000_0000, size: 0x40_0000))
        XCTAssertEqual(gic.redistributorStride, 0x4_0000)
    }

    func testPSCI01NodeGivesItsOwnFunctionIDs() throws {
        var builder = TreeBuilder()
        builder.minimalPlatform(psciCompatible: ["arm,psci"], psciMethod: "smc", cpuOn: 0x9500_0003)
        let psci = try parse(builder.blob()).psci
        XCTAssertEqual(psci.conduit, .smc)
        XCTAssertFalse(psci.hasStandardFunctionIDs)
        XCTAssertEqual(psci.cpuOnFunctionID, 0x9500_0003)
        XCTAssertNil(psci.cpuOffFunctionID)
    }

    func testOptionalAndDisabledDevices() throws {
        // No RTC: not an error.
        var builder = TreeBuilder()
        builder.minimalPlatform(rtc: false)
        XCTAssertNil(try parse(builder.blob()).rtc)
        // A disabled UART is skipped, an enabled one after it is taken.
        builder = TreeBuilder()
        builder.minimalPlatform(uarts: [(0x0904_0000, "disabled"), (0x0900_0000, "okay")])
        XCTAssertEqual(try parse(builder.blob()).uart.registers.base, 0x0900_0000)
    }

    func testPlatformErrors() throws {
        let cases: [(what: String, expected: DeviceTreeError, build: (inout TreeBuilder) -> Void)] = [
            ("no /cpus", .missingNode("/cpus"), { $0.minimalPlatform(cpus: false) }),
            ("/cpus without cpu nodes", .missingNode("/cpus/cpu"), { $0.minimalPlatform(cpuRegs: []) }),
            ("no GIC", .missingDevice(compatible: "arm,gic-v3"), { $0.minimalPlatform(gic: false) }),
            ("no PSCI", .missingDevice(compatible: "arm,psci"), { $0.minimalPlatform(psciCompatible: []) }),
            ("PSCI without method", .missingProperty("method", node: "psci"), { $0.minimalPlatform(psciMethod: nil) }),
            ("PSCI method neither hvc nor smc", .unknownPSCIMethod, { $0.minimalPlatform(psciMethod: "svc") }),
            ("only a disabled UART", .missingDevice(compatible: "arm,pl011"),
             { $0.minimalPlatform(uarts: [(0x0900_0000, "disabled")]) }),
            ("no memory", .missingNode("/memory"), { $0.minimalPlatform(memory: false) }),
            ("two CPUs with one affinity", .duplicateCPU(MPIDRAffinity(mpidr: 1)), { $0.minimalPlatform(cpuRegs: [0, 1, 1]) }),
            // Bit 31 of MPIDR is RES1, never part of a cpu node's reg.
            ("CPU reg outside the affinity fields", .invalidCPUAffinity(0x8000_0000), { $0.minimalPlatform(cpuRegs: [0x8000_0000]) }),
            ("#address-cells 3", .unsupportedCellCount("#address-cells", 3), { $0.minimalPlatform(rootAddressCells: 3) }),
            ("9 redistributor regions", .unsupportedCellCount("#redistributor-regions", 9),
             { $0.minimalPlatform(redistributorRegionCount: 9) }),
            ("redistributor regions missing from reg", .badPropertyLength("reg", length: 16),
             { $0.minimalPlatform(redistributorRegions: [], redistributorRegionCount: 1) }),
            ("#address-cells not one cell", .badPropertyLength("#address-cells", length: 8),
             { $0.minimalPlatform(rootAddressCellsBytes: [0, 0, 0, 0, 0, 0, 0, 2]) }),
            ("UART interrupt PPI 16 does not exist", .badInterruptSpecifier(type: 1, number: 16),
             { $0.minimalPlatform(uartInterrupt: [1, 16, 4]) }),
            ("UART interrupt of two cells", .badPropertyLength("interrupts", length: 8),
             { $0.minimalPlatform(uartInterrupt: [0, 1]) }),
            ("UART range wraps around", .addressRangeOverflow(base: 0xFFFF_FFFF_FFFF_F000, size: 0x2000),
             { $0.minimalPlatform(uarts: [(0xFFFF_FFFF_FFFF_F000, "okay")], uartSize: 0x2000) }),
            ("513 CPUs", .tooManyCPUs(limit: 512), { $0.minimalPlatform(cpuRegs: (0 ..< 513).map { UInt64($0 / 256) << 8 | UInt64($0 % 256) }) }),
        ]
        for (what, expected, build) in cases {
            var builder = TreeBuilder()
            build(&builder)
            assertThrows(expected, what) {
                try builder.blob().withUnsafeBytes { _ = try PlatformDescription(deviceTree: FlattenedDeviceTree($0)) }
            }
        }
    }

    func testMaximumCPUsFit() throws {
        var builder = TreeBuilder()
        builder.minimalPlatform(cpuRegs: (0 ..< 512).map { UInt64($0 / 16) << 8 | UInt64($0 % 16) })
        let platform = try parse(builder.blob())
        XCTAssertEqual(platform.cpuCount, PlatformDescription.maximumCPUs)
        XCTAssertEqual(platform.logicalCPU(for: MPIDRAffinity(aff3: 0, aff2: 0, aff1: 31, aff0: 15)), LogicalCPU(511))
    }

    // MARK: Interrupt specifiers and messages

    func testInterruptSpecifierDecoding() {
        let cases: [(type: UInt32, number: UInt32, expected: UInt32?, comment: String)] = [
            (0, 0, 32, "first SPI"),
            (0, 1, 33, "PL011 on virt"),
            (0, 987, 1019, "last SPI"),
            (0, 988, nil, "1020 is special, not an SPI"),
            (1, 0, 16, "first PPI"),
            (1, 14, 30, "non-secure EL1 physical timer PPI"),
            (1, 15, 31, "last PPI"),
            (1, 16, nil, "past the PPIs"),
            (2, 0, 4096, "first extended SPI"),
            (2, 1023, 5119, "last extended SPI"),
            (2, 1024, nil, "past the extended SPIs"),
            (3, 0, 1056, "first extended PPI"),
            (3, 63, 1119, "last extended PPI"),
            (3, 64, nil, "past the extended PPIs"),
            (4, 0, nil, "no such type"),
            (0, 0xFFFF_FFFF, nil, "number far out"),
        ]
        for (type, number, expected, comment) in cases {
            let specifier = InterruptSpecifier(type: type, number: number, flags: 4)
            XCTAssertEqual(specifier.interruptID?.rawValue, expected, comment)
        }
        let triggers: [(flags: UInt32, expected: InterruptTrigger?)] = [
            (1, .risingEdge), (2, .fallingEdge), (4, .activeHighLevel), (8, .activeLowLevel),
            (0, nil), (3, nil),
            (0xF04, .activeHighLevel), // GICv2 CPU mask bits 15:8 are ignored
        ]
        for (flags, expected) in triggers {
            XCTAssertEqual(InterruptSpecifier(type: 1, number: 0, flags: flags).trigger, expected, "flags \(flags)")
        }
    }

    func testEveryErrorHasAOneLineMessage() {
        let errors: [DeviceTreeError] = [
            .truncated(needed: 40, available: 3), .badMagic(0), .badTotalSize(3),
            .unsupportedVersion(version: 1, lastCompatibleVersion: 1), .blockOutOfBounds(.structure, offset: 1, size: 2),
            .unexpectedEndOfStructure(offset: 4), .badToken(5, offset: 8), .unterminatedString(.strings, offset: 9),
            .offsetOutOfBounds(.strings, offset: 10), .propertyValueOutOfBounds(offset: 12, length: 99),
            .unbalancedNodes(offset: 16), .missingNode("/cpus"), .missingDevice(compatible: "arm,pl011"),
            .missingProperty("reg", node: "/memory"), .badPropertyLength("reg", length: 3),
            .unsupportedCellCount("#size-cells", 3), .tooManyCPUs(limit: 512), .invalidCPUAffinity(0x8000_0000),
            .duplicateCPU(MPIDRAffinity(mpidr: 1)), .unknownPSCIMethod, .badInterruptSpecifier(type: 9, number: 9),
            .addressRangeOverflow(base: 1, size: 2),
        ]
        for error in errors {
            XCTAssertTrue(error.message.hasPrefix("device tree "), error.message)
            XCTAssertFalse(error.message.contains("\n"), error.message)
        }
        XCTAssertEqual(DeviceTreeError.badMagic(0x1234).message, "device tree magic is 0x1234, not 0xd00dfeed")
        XCTAssertEqual(DeviceTreeError.missingProperty("reg", node: "/memory").message, "device tree node /memory has no property reg")
        XCTAssertNotEqual(DeviceTreeError.missingNode("/cpus"), .missingNode("/cpu"))
    }

    // MARK: Helpers

    private func fixture(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> [UInt8] {
        let url = try XCTUnwrap(
            Bundle.module.url(forResource: name, withExtension: "dtb", subdirectory: "Fixtures"),
            "fixture \(name).dtb (scripts/make-dtb-fixtures.sh makes it)", file: file, line: line)
        return try [UInt8](Data(contentsOf: url))
    }

    /// The tree's walking API borrows the buffer, so tests that walk it run
    /// inside the buffer's lifetime.
    @discardableResult
    private func withTree<T>(_ blob: [UInt8], _ body: (FlattenedDeviceTree) throws -> T) throws -> T {
        try blob.withUnsafeBytes { buffer in try body(FlattenedDeviceTree(buffer)) }
    }

    /// The platform of `blob`, which outlives the buffer: it holds no
    /// pointers into the blob.
    private func parse(_ blob: [UInt8]) throws -> PlatformDescription {
        try withTree(blob) { tree in try PlatformDescription(deviceTree: tree) }
    }

    private func assertThrows(
        _ expected: DeviceTreeError, _ what: String,
        file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void
    ) {
        do {
            try body()
            XCTFail("\(what): no error, expected \(expected.message)", file: file, line: line)
        } catch let error as DeviceTreeError {
            XCTAssertEqual(error, expected, "\(what): got \"\(error.message)\", expected \"\(expected.message)\"", file: file, line: line)
        } catch {
            XCTFail("\(what): unexpected error \(error)", file: file, line: line)
        }
    }

    /// Parses `blob`, walks every node and property of it reading every
    /// value every way, and builds the platform. False when something threw.
    private func survivesEverything(_ blob: [UInt8]) -> Bool {
        blob.withUnsafeBytes { buffer in
            do throws(DeviceTreeError) {
                let tree = try FlattenedDeviceTree(buffer)
                try walk(tree, tree.root, depth: 0)
                _ = try PlatformDescription(deviceTree: tree)
                return true
            } catch {
                XCTAssertFalse(error.message.isEmpty)
                return false
            }
        }
    }

    private func walk(_ tree: FlattenedDeviceTree, _ node: DeviceTreeNode, depth: Int) throws(DeviceTreeError) {
        XCTAssertLessThan(depth, 64)
        _ = tree.node(node, isNamed: "cpu")
        _ = tree.name(of: node).count
        var properties = tree.properties(of: node)
        while let property = try properties.next() {
            let value = tree.value(of: property)
            _ = value.containsString("arm,gic-v3")
            _ = value.isString("okay")
            _ = value.number(atCell: value.count / 4 - 1, cells: 2)
            _ = InterruptSpecifier(value, atCell: 0)?.interruptID
            _ = tree.property(property, isNamed: "reg")
        }
        var children = tree.children(of: node)
        while let child = try children.next() {
            try walk(tree, child, depth: depth + 1)
        }
    }

    /// Offset of the root's first child's FDT_BEGIN_NODE, found by walking.
    private func firstChildOffset(_ blob: [UInt8]) throws -> Int {
        try withTree(blob) { tree in
            var children = tree.children(of: tree.root)
            return try XCTUnwrap(children.next()).offset
        }
    }
}

/// The header fields the corruption tests aim at (devicetree spec §5.2).
private struct Header {
    let structureOffset: Int
    let stringsOffset: Int
    let stringsSize: Int
    let structureSize: Int

    init(_ blob: [UInt8]) {
        structureOffset = Int(blob.bigEndian(at: 8))
        stringsOffset = Int(blob.bigEndian(at: 12))
        stringsSize = Int(blob.bigEndian(at: 32))
        structureSize = Int(blob.bigEndian(at: 36))
    }
}

extension Array where Element == UInt8 {
    fileprivate func bigEndian(at offset: Int) -> UInt32 {
        self[offset ..< offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
    }

    fileprivate mutating func storeBigEndian(_ value: UInt32, at offset: Int) {
        for index in 0 ..< 4 {
            self[offset + index] = UInt8(truncatingIfNeeded: value >> (24 - 8 * index))
        }
    }
}

/// Writes a flattened devicetree (§5), for trees QEMU does not produce
/// (also used by `GICRedistributorTests` and `PSCIFirmwareDescriptionTests`).
/// Strings are not shared; the memory reservation block is just its
/// terminating entry.
struct TreeBuilder {
    private var structure: [UInt8] = []
    private var strings: [UInt8] = []

    mutating func begin(_ name: String) {
        word(1)
        structure += Array(name.utf8) + [0]
        pad()
    }

    mutating func end() { word(2) }

    mutating func nop() { word(4) }

    mutating func property(_ name: String, _ value: [UInt8]) {
        word(3)
        word(UInt32(value.count))
        word(UInt32(strings.count))
        strings += Array(name.utf8) + [0]
        structure += value
        pad()
    }

    mutating func property(_ name: String, cells: [UInt32]) {
        property(name, cells.flatMap { cell in (0 ..< 4).map { UInt8(truncatingIfNeeded: cell >> (24 - 8 * $0)) } })
    }

    mutating func property(_ name: String, strings list: [String]) {
        property(name, list.flatMap { Array($0.utf8) + [0] })
    }

    mutating func property(_ name: String, string: String) {
        property(name, strings: [string])
    }

    func blob(version: UInt32 = 17) -> [UInt8] {
        let structureBlock = structure + [0, 0, 0, 9]
        let reservations = [UInt8](repeating: 0, count: 16)
        let structureOffset = FlattenedDeviceTree.headerSize + reservations.count
        let stringsOffset = structureOffset + structureBlock.count
        var blob = [UInt8](repeating: 0, count: FlattenedDeviceTree.headerSize) + reservations + structureBlock + strings
        let fields: [UInt32] = [
            0xD00D_FEED, UInt32(blob.count), UInt32(structureOffset), UInt32(stringsOffset),
            UInt32(FlattenedDeviceTree.headerSize), version, 16, 0, UInt32(strings.count), UInt32(structureBlock.count),
        ]
        for (index, field) in fields.enumerated() {
            blob.storeBigEndian(field, at: 4 * index)
        }
        return blob
    }

    private mutating func word(_ value: UInt32) {
        structure += (0 ..< 4).map { UInt8(truncatingIfNeeded: value >> (24 - 8 * $0)) }
    }

    private mutating func pad() {
        while structure.count % 4 != 0 { structure.append(0) }
    }

    /// A QEMU-`virt`-like tree, each part adjustable to break one thing.
    mutating func minimalPlatform(
        rootAddressCells: UInt32 = 2,
        rootAddressCellsBytes: [UInt8]? = nil,
        cpus: Bool = true,
        cpuAddressCells: UInt32 = 1,
        cpuRegs: [UInt64] = [0],
        gic: Bool = true,
        redistributorRegions: [(UInt64, UInt64)] = [(0x080A_0000, 0xF6_0000)],
        redistributorRegionCount: Int? = nil,
        stride: UInt64? = nil,
        psciCompatible: [String] = ["arm,psci-1.0", "arm,psci-0.2", "arm,psci"],
        psciMethod: String? = "hvc",
        cpuOn: UInt32? = nil,
        psciProperties: [(name: String, cells: [UInt32])] = [],
        uarts: [(UInt64, String)] = [(0x0900_0000, "okay")],
        uartSize: UInt64 = 0x1000,
        uartInterrupt: [UInt32] = [0, 1, 4],
        rtc: Bool = true,
        memory: Bool = true
    ) {
        func pair(_ value: UInt64) -> [UInt32] { [UInt32(value >> 32), UInt32(truncatingIfNeeded: value)] }
        begin("")
        if let rootAddressCellsBytes {
            property("#address-cells", rootAddressCellsBytes)
        } else {
            property("#address-cells", cells: [rootAddressCells])
        }
        property("#size-cells", cells: [2])
        if !psciCompatible.isEmpty {
            begin("psci")
            property("compatible", strings: psciCompatible)
            if let psciMethod { property("method", string: psciMethod) }
            if let cpuOn { property("cpu_on", cells: [cpuOn]) }
            for (name, cells) in psciProperties { property(name, cells: cells) }
            end()
        }
        if memory {
            begin("memory@40000000")
            property("reg", cells: pair(0x4000_0000) + pair(0x1000_0000))
            property("device_type", string: "memory")
            end()
        }
        if rtc {
            begin("pl031@9010000")
            property("interrupts", cells: [0, 2, 4])
            property("reg", cells: pair(0x0901_0000) + pair(0x1000))
            property("compatible", strings: ["arm,pl031", "arm,primecell"])
            end()
        }
        for (base, status) in uarts {
            begin("pl011")
            property("interrupts", cells: uartInterrupt)
            property("reg", cells: pair(base) + pair(uartSize))
            property("status", string: status)
            property("compatible", strings: ["arm,pl011", "arm,primecell"])
            end()
        }
        if gic {
            begin("intc@8000000")
            property("reg", cells: pair(0x0800_0000) + pair(0x1_0000) + redistributorRegions.flatMap { pair($0.0) + pair($0.1) })
            property("#redistributor-regions", cells: [UInt32(redistributorRegionCount ?? redistributorRegions.count)])
            if let stride { property("redistributor-stride", cells: pair(stride)) }
            property("compatible", string: "arm,gic-v3")
            property("#interrupt-cells", cells: [3])
            end()
        }
        if cpus {
            begin("cpus")
            property("#size-cells", cells: [0])
            property("#address-cells", cells: [cpuAddressCells])
            begin("cpu-map")
            end()
            for (index, reg) in cpuRegs.enumerated() {
                begin("cpu@\(index)")
                property("reg", cells: cpuAddressCells == 2 ? pair(reg) : [UInt32(truncatingIfNeeded: reg)])
                property("device_type", string: "cpu")
                end()
            }
            end()
        }
        end()
    }
}
