import XCTest
@testable import HotplugCore

/// Stage-2 translation (Arm ARM D8): descriptor bits worked by hand from the
/// field tables, VTCR_EL2 and VTTBR_EL2 values, the starting-level rules,
/// and tables built in an array and walked back.
final class VirtualizationStage2Tests: XCTestCase {
    // MARK: Descriptors

    func testRAMBlockDescriptorHasEveryField() {
        // 0x4000_0000 | block 0b01 | MemAttr 0b1111 << 2 (0x3C) | S2AP 0b11 << 6 (0xC0)
        // | SH 0b11 << 8 (0x300) | AF (0x400); executable: XN clear.
        let block = Stage2Descriptor.leaf(output: 0x4000_0000, page: false, memory: .normalWriteBack, access: .readWrite,
                                          shareability: .innerShareable, executable: true)
        XCTAssertEqual(block.rawValue, 0x4000_07FD)
        XCTAssertTrue(block.isValid)
        XCTAssertFalse(block.isTableOrPage)
        XCTAssertEqual(block.address, 0x4000_0000)
        XCTAssertEqual(block.memory, .normalWriteBack)
        XCTAssertEqual(block.access, .readWrite)
        XCTAssertEqual(block.shareability, .innerShareable)
        XCTAssertTrue(block.hasAccessFlag)
        XCTAssertTrue(block.isExecutable)
    }

    func testDevicePageDescriptorIsNeverExecutable() {
        // 0x0800_0000 | page 0b11 | MemAttr 0b0001 << 2 (0x4) | S2AP 0b11 << 6
        // | SH 0b10 << 8 (0x200) | AF | XN[1] (bit 54).
        let page = Stage2Descriptor.leaf(output: 0x0800_0000, page: true, memory: .deviceNGnRE, access: .readWrite,
                                         shareability: .outerShareable, executable: false)
        XCTAssertEqual(page.rawValue, 0x0040_0000_0800_06C7)
        XCTAssertTrue(page.isTableOrPage)
        XCTAssertEqual(page.memory, .deviceNGnRE)
        XCTAssertFalse(page.isExecutable)
    }

    func testReadOnlyAndNoAccessPermissions() {
        let readOnly = Stage2Descriptor.leaf(output: 0x1000, page: true, memory: .normalWriteBack, access: .readOnly,
                                             shareability: .innerShareable, executable: false)
        XCTAssertEqual(readOnly.rawValue >> 6 & 0b11, 0b01)
        XCTAssertEqual(readOnly.access, .readOnly)
        let none = Stage2Descriptor.leaf(output: 0x1000, page: true, memory: .normalWriteBack, access: .none,
                                         shareability: .innerShareable, executable: false)
        XCTAssertEqual(none.rawValue >> 6 & 0b11, 0b00)
    }

    func testTableDescriptorCarriesOnlyTheNextTable() {
        let table = Stage2Descriptor.table(0x4010_1000)
        XCTAssertEqual(table.rawValue, 0x4010_1003)
        XCTAssertTrue(table.isTableOrPage)
        XCTAssertEqual(table.address, 0x4010_1000)
        XCTAssertFalse(Stage2Descriptor.invalid.isValid)
    }

    // MARK: Geometry, VTCR_EL2, VTTBR_EL2

    func testGeometryFromEveryPhysicalAddressRange() throws {
        // (PARange, IPA bits, start level, concatenated root tables, VTCR_EL2)
        let cases: [(UInt64, Int, Int, Int, UInt64)] = [
            // 32 bits: level 2, 11 bits resolved there: 4 tables. T0SZ 32 (0x20), SL0 0b00.
            (0, 32, 2, 4, 0x8000_3520),
            // 36 bits: level 1, 6 bits. T0SZ 28 (0x1C), SL0 0b01 (0x40), PS 1.
            (1, 36, 1, 1, 0x8001_355C),
            // 40 bits: level 1, 10 bits: 2 tables (Xen's p2m root order 1). T0SZ 24, PS 2.
            (2, 40, 1, 2, 0x8002_3558),
            // 42 bits: level 1, 12 bits: 8 tables. T0SZ 22, PS 3.
            (3, 42, 1, 8, 0x8003_3556),
            // 44 bits (QEMU's cortex-a57): level 0, 5 bits. T0SZ 20, SL0 0b10 (0x80), PS 4.
            (4, 44, 0, 1, 0x8004_3594),
            // 48 bits: level 0, 9 bits. T0SZ 16, PS 5.
            (5, 48, 0, 1, 0x8005_3590),
            // 52 bits: the IPA stays at 48 (52 needs FEAT_LPA2); PS 6.
            (6, 48, 0, 1, 0x8006_3590),
        ]
        for (range, bits, level, roots, vtcr) in cases {
            let geometry = try Stage2Geometry(physicalAddressRange: range)
            XCTAssertEqual(geometry.inputAddressBits, bits, "PARange \(range)")
            XCTAssertEqual(geometry.startLevel, level, "PARange \(range)")
            XCTAssertEqual(geometry.rootTableCount, roots, "PARange \(range)")
            XCTAssertEqual(geometry.translationControl(physicalAddressRange: range), vtcr, "PARange \(range)")
        }
        XCTAssertThrowsError(try Stage2Geometry(physicalAddressRange: 7)) { error in
            XCTAssertEqual(error as? Stage2Geometry.GeometryError, .unknownPhysicalAddressRange(7))
        }
    }

    func testStartLevelMustBeConsistentWithTheInputSize() {
        // The first level resolves 1 to 13 bits (up to 16 concatenated
        // tables): level 2 for 25-34 bits, level 1 for 31-43, level 0 for 40-48.
        let allowed = [2: 25 ... 34, 1: 31 ... 43, 0: 40 ... 48]
        for level in -1 ... 3 {
            for bits in 20 ... 52 {
                let accepted = (try? Stage2Geometry(inputAddressBits: bits, startLevel: level)) != nil
                XCTAssertEqual(accepted, allowed[level]?.contains(bits) ?? false, "\(bits) bits from level \(level)")
            }
        }
    }

    func testSmallGuestGeometry() throws {
        // A 32-bit IPA walked from level 1: one table, 4 entries in use;
        // PS from a 44-bit PE. T0SZ 32, SL0 0b01, PS 4.
        let geometry = try Stage2Geometry(inputAddressBits: 32, startLevel: 1)
        XCTAssertEqual(geometry.rootTableCount, 1)
        XCTAssertEqual(geometry.rootEntryCount, 4)
        XCTAssertEqual(geometry.translationControl(physicalAddressRange: 4), 0x8004_3560)
    }

    func testTranslationTableBaseHoldsVMIDAndRoot() throws {
        let geometry = try Stage2Geometry(physicalAddressRange: 2)
        XCTAssertEqual(VirtualMachineID(5).translationTableBase(root: 0x4030_2000, geometry: geometry), 0x0005_0000_4030_2000)
        XCTAssertEqual(VirtualMachineID(0xFF).translationTableBase(root: 0x8000_0000, geometry: geometry) >> 48, 0xFF)
    }

    // MARK: Tables

    /// Table memory of `pages` pages standing at physical address `base`.
    private func withTables(_ geometry: Stage2Geometry, pages: Int, base: UInt64 = 0x4800_0000,
                            _ body: (inout Stage2TranslationTables, UnsafeMutableBufferPointer<UInt64>) throws -> Void) throws {
        var memory = [UInt64](repeating: 0xDEAD_BEEF, count: pages * 512)
        try memory.withUnsafeMutableBufferPointer { buffer in
            var tables = try Stage2TranslationTables(geometry: geometry, memory: buffer, physicalBase: base)
            try body(&tables, buffer)
        }
    }

    func testGuestRAMWindowIsOneBlockAndWalksBack() throws {
        // The guest's 2 MiB at IPA 0x4000_0000 in physical 0x4860_0000, from
        // level 0: root, a level-1 table, a level-2 table with one block.
        let geometry = try Stage2Geometry(physicalAddressRange: 4)
        try withTables(geometry, pages: 4) { tables, memory in
            try tables.map(.ram(guestAddress: 0x4000_0000, physicalAddress: 0x4860_0000, size: 0x20_0000))
            XCTAssertEqual(tables.pagesUsed, 3)
            // Level 0, index 0 (IPA bits 47:39) -> the table at page 1.
            XCTAssertEqual(memory[0], 0x4800_1003)
            // Level 1, index 1 (bits 38:30) -> the table at page 2.
            XCTAssertEqual(memory[512 + 1], 0x4800_2003)
            // Level 2, index 0 (bits 29:21): the block.
            XCTAssertEqual(memory[1024], 0x4860_07FD)
            XCTAssertEqual(memory[1024 + 1], 0, "the next 2 MiB is unmapped")
            XCTAssertEqual(tables.translate(0x4000_0000), Stage2Walk(physicalAddress: 0x4860_0000,
                                                                     descriptor: Stage2Descriptor(rawValue: 0x4860_07FD), level: 2))
            XCTAssertEqual(tables.translate(0x4010_0ABC)?.physicalAddress, 0x4870_0ABC)
            XCTAssertEqual(tables.translate(0x401F_FFFF)?.physicalAddress, 0x487F_FFFF)
            XCTAssertNil(tables.translate(0x4020_0000))
            XCTAssertNil(tables.translate(0x3FFF_FFFF))
            XCTAssertNil(tables.translate(0x0800_0000))
            XCTAssertNil(tables.translate(1 << 44), "beyond the IPA space")
        }
    }

    func testUnalignedPhysicalMemoryIsMappedWithPages() throws {
        // The same window 64 KiB off a block boundary: 512 pages in one level-3 table.
        let geometry = try Stage2Geometry(physicalAddressRange: 4)
        try withTables(geometry, pages: 4) { tables, memory in
            try tables.map(.ram(guestAddress: 0x4000_0000, physicalAddress: 0x4861_0000, size: 0x20_0000))
            XCTAssertEqual(tables.pagesUsed, 4)
            XCTAssertEqual(memory[1024], 0x4800_3003, "level 2 points to a level-3 table")
            XCTAssertEqual(memory[1536], 0x4861_07FF, "page descriptor: bits 1:0 = 0b11")
            for offset in stride(from: UInt64(0), to: 0x20_0000, by: 0x1_1235) {
                let walk = tables.translate(0x4000_0000 + offset)
                XCTAssertEqual(walk?.physicalAddress, 0x4861_0000 + offset)
                XCTAssertEqual(walk?.level, 3)
            }
            XCTAssertNil(tables.translate(0x4020_0000))
        }
    }

    func testWindowMixesBlocksAndPages() throws {
        // 4 MiB + 8 KiB from a 40-bit geometry (level 1, two concatenated roots):
        // two blocks and two pages.
        let geometry = try Stage2Geometry(physicalAddressRange: 2)
        try withTables(geometry, pages: 6) { tables, _ in
            try tables.map(.ram(guestAddress: 0x80_4000_0000, physicalAddress: 0x4000_0000, size: 0x40_2000))
            // Roots (2), a level-2 table, a level-3 table.
            XCTAssertEqual(tables.pagesUsed, 4)
            XCTAssertEqual(tables.translate(0x80_4000_0000)?.level, 2)
            XCTAssertEqual(tables.translate(0x80_403F_FFFF)?.physicalAddress, 0x403F_FFFF)
            XCTAssertEqual(tables.translate(0x80_4040_1FFF)?.physicalAddress, 0x4040_1FFF)
            XCTAssertEqual(tables.translate(0x80_4040_1FFF)?.level, 3)
            XCTAssertNil(tables.translate(0x80_4040_2000))
        }
    }

    func testDeviceWindowBesideRAM() throws {
        let geometry = try Stage2Geometry(physicalAddressRange: 4)
        try withTables(geometry, pages: 8) { tables, _ in
            try tables.map(.ram(guestAddress: 0x4000_0000, physicalAddress: 0x4860_0000, size: 0x20_0000))
            try tables.map(.device(guestAddress: 0x0900_0000, physicalAddress: 0x0900_0000, size: 0x1000))
            let device = try XCTUnwrap(tables.translate(0x0900_0018))
            XCTAssertEqual(device.physicalAddress, 0x0900_0018)
            XCTAssertEqual(device.descriptor.memory, .deviceNGnRE)
            XCTAssertFalse(device.descriptor.isExecutable)
            XCTAssertEqual(tables.translate(0x4000_0000)?.descriptor.memory, .normalWriteBack)
        }
    }

    func testRefusalsWriteNothing() throws {
        let geometry = try Stage2Geometry(physicalAddressRange: 4)
        try withTables(geometry, pages: 3) { tables, memory in
            try tables.map(.ram(guestAddress: 0x4000_0000, physicalAddress: 0x4860_0000, size: 0x20_0000))
            let before = Array(memory)
            let used = tables.pagesUsed
            let refusals: [(Stage2Window, Stage2TranslationTables.TableError)] = [
                // The same block again.
                (.ram(guestAddress: 0x4000_0000, physicalAddress: 0x5000_0000, size: 0x20_0000), .overlaps(guestAddress: 0x4000_0000)),
                // A page inside the block, after a page that would be new.
                (.device(guestAddress: 0x3FFF_F000, physicalAddress: 0x0900_0000, size: 0x2000), .overlaps(guestAddress: 0x4000_0000)),
                // Needs a level-3 table: no page left.
                (.device(guestAddress: 0x4020_0000, physicalAddress: 0x0900_0000, size: 0x1000), .outOfTablePages),
                (.ram(guestAddress: 0x4020_0000, physicalAddress: 0x5000_0000, size: 0), .misaligned),
                (.ram(guestAddress: 0x4020_0800, physicalAddress: 0x5000_0000, size: 0x1000), .misaligned),
                (.ram(guestAddress: 0x4020_0000, physicalAddress: 0x5000_0000, size: 0x1800), .misaligned),
                (.ram(guestAddress: (1 << 44) - 0x1000, physicalAddress: 0x5000_0000, size: 0x2000), .beyondAddressSpace),
                (.ram(guestAddress: 0x4020_0000, physicalAddress: 1 << 48, size: 0x1000), .beyondAddressSpace),
            ]
            for (window, expected) in refusals {
                XCTAssertThrowsError(try tables.map(window)) { error in
                    XCTAssertEqual(error as? Stage2TranslationTables.TableError, expected, "\(window)")
                }
                XCTAssertEqual(Array(memory), before, "\(window) wrote to the tables")
                XCTAssertEqual(tables.pagesUsed, used)
            }
        }
    }

    func testUnsuitableTableMemoryIsRefused() throws {
        let concatenated = try Stage2Geometry(physicalAddressRange: 3) // 8 root pages
        var memory = [UInt64](repeating: 0, count: 8 * 512)
        try memory.withUnsafeMutableBufferPointer { buffer in
            XCTAssertThrowsError(try Stage2TranslationTables(geometry: concatenated, memory: buffer, physicalBase: 0x4000_4000),
                                 "root not aligned to 32 KiB")
            XCTAssertNoThrow(try Stage2TranslationTables(geometry: concatenated, memory: buffer, physicalBase: 0x4000_8000))
            let short = UnsafeMutableBufferPointer(rebasing: buffer[0 ..< 7 * 512])
            XCTAssertThrowsError(try Stage2TranslationTables(geometry: concatenated, memory: short, physicalBase: 0x4000_8000))
            let ragged = UnsafeMutableBufferPointer(rebasing: buffer[0 ..< 8 * 512 - 1])
            XCTAssertThrowsError(try Stage2TranslationTables(geometry: concatenated, memory: ragged, physicalBase: 0x4000_8000))
        }
    }

    func testRandomWindowsTranslateExactlyAsMapped() throws {
        // Seeded: disjoint windows of 1 to 1100 pages at random page-aligned
        // IPAs and PAs (some block-aligned), from every geometry; then
        // every window's first, last and random addresses, and the pages
        // around it, are walked back.
        var random = SplitMix64(seed: 13)
        for range: UInt64 in 0 ... 5 {
            let geometry = try Stage2Geometry(physicalAddressRange: range)
            try withTables(geometry, pages: 64) { tables, _ in
                var windows: [Stage2Window] = []
                var next: UInt64 = UInt64(random.below(64)) << 21
                for _ in 0 ..< 12 {
                    let aligned = random.below(2) == 0
                    let guest = next + (aligned ? 0 : UInt64(random.below(512)) << 12)
                    let physical = (UInt64(random.below(1 << 10)) << 21) + (aligned ? 0 : UInt64(random.below(512)) << 12)
                    let size = UInt64(1 + random.below(1100)) << 12
                    guard guest + size <= UInt64(1) << UInt64(geometry.inputAddressBits) else { break }
                    let window = Stage2Window.ram(guestAddress: guest, physicalAddress: physical, size: size)
                    try tables.map(window)
                    windows.append(window)
                    next = (guest + size + (UInt64(random.below(3)) << 21) + (1 << 21) - 1) & ~((1 << 21) - 1)
                }
                XCTAssertFalse(windows.isEmpty)
                for window in windows {
                    var offsets: [UInt64] = [0, window.size - 1]
                    for _ in 0 ..< 16 { offsets.append(UInt64(random.below(Int(window.size)))) }
                    for offset in offsets {
                        XCTAssertEqual(tables.translate(window.guestAddress + offset)?.physicalAddress,
                                       window.physicalAddress + offset, "PARange \(range), \(window)")
                    }
                    let before = window.guestAddress &- 1
                    if window.guestAddress > 0, !windows.contains(where: { $0.guestAddress <= before && before - $0.guestAddress < $0.size }) {
                        XCTAssertNil(tables.translate(before), "PARange \(range): below \(window)")
                    }
                    let after = window.guestAddress + window.size
                    if !windows.contains(where: { $0.guestAddress <= after && after - $0.guestAddress < $0.size }) {
                        XCTAssertNil(tables.translate(after), "PARange \(range): above \(window)")
                    }
                }
            }
        }
    }
}
