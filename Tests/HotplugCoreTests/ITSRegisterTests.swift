import XCTest
@testable import HotplugCore

/// The ITS register layout and the value codecs of `GITS_TYPER`,
/// `GITS_CTLR`, `GITS_BASER<n>`, `GITS_CBASER`/`CWRITER`/`CREADR` and the
/// redistributor's `GICR_PROPBASER`/`GICR_PENDBASER`, against values built
/// by hand from the field tables of IHI 0069 chapter 12 (each case says
/// which fields it sets).
final class ITSRegisterTests: XCTestCase {
    // MARK: Layout

    func testRegisterOffsetsAndWidthsAreTheSpecifications() {
        XCTAssertEqual(ITSRegister.GITS_CTLR.offset, 0x0000)
        XCTAssertEqual(Register<ITSControl>.size, 4)
        XCTAssertEqual(ITSRegister.GITS_IIDR.offset, 0x0004)
        XCTAssertEqual(ITSRegister.GITS_TYPER.offset, 0x0008)
        XCTAssertEqual(Register<ITSType>.size, 8)
        XCTAssertEqual(ITSRegister.GITS_CBASER.offset, 0x0080)
        XCTAssertEqual(ITSRegister.GITS_CWRITER.offset, 0x0088)
        XCTAssertEqual(ITSRegister.GITS_CREADR.offset, 0x0090)
        XCTAssertEqual(Register<ITSCommandQueueDescriptor>.size, 8)
        XCTAssertEqual(Register<ITSCommandWriter>.size, 8)
        XCTAssertEqual(Register<ITSCommandReader>.size, 8)
        XCTAssertEqual(ITSRegister.GITS_BASER(0).offset, 0x0100)
        XCTAssertEqual(ITSRegister.GITS_BASER(7).offset, 0x0138)
        XCTAssertEqual(Register<ITSTableDescriptor>.size, 8)
        XCTAssertEqual(ITSRegister.GITS_PIDR2.offset, 0xFFE8)
        // The doorbell is in the second 64 KiB frame, a 32-bit register.
        XCTAssertEqual(ITSRegister.GITS_TRANSLATER.offset, 0x1_0040)
        XCTAssertEqual(Register<UInt32>.size, 4)
        XCTAssertEqual(RedistributorRegister.GICR_PROPBASER.offset, 0x0070)
        XCTAssertEqual(RedistributorRegister.GICR_PENDBASER.offset, 0x0078)
        // GICR_CTLR: EnableLPIs bit 0, CES bit 1, RWP bit 3.
        XCTAssertEqual(RedistributorControl.CES.rawValue, 0x2)
        XCTAssertEqual(RedistributorControl.EnableLPIs.rawValue, 0x1)
    }

    func testControlFrameRegistersDoNotOverlapAndFitTheirFrames() {
        var spans: [(name: String, range: Range<Int>)] = [
            ("GITS_CTLR", 0x0 ..< 0x4), ("GITS_IIDR", 0x4 ..< 0x8), ("GITS_TYPER", 0x8 ..< 0x10),
            ("GITS_CBASER", 0x80 ..< 0x88), ("GITS_CWRITER", 0x88 ..< 0x90), ("GITS_CREADR", 0x90 ..< 0x98),
            ("GITS_PIDR2", 0xFFE8 ..< 0xFFEC),
        ]
        for n in 0 ..< ITSRegister.tableDescriptorCount {
            let offset = ITSRegister.GITS_BASER(n).offset
            spans.append(("GITS_BASER\(n)", offset ..< offset + 8))
        }
        for (index, span) in spans.enumerated() {
            XCTAssertLessThanOrEqual(span.range.upperBound, ITSRegister.frameSize, span.name)
            for other in spans[(index + 1)...] {
                XCTAssertFalse(span.range.overlaps(other.range), "\(span.name) overlaps \(other.name)")
            }
        }
        let translater = ITSRegister.GITS_TRANSLATER.offset
        XCTAssertTrue((ITSRegister.translationFrame ..< ITSRegister.gicv3Size).contains(translater))
    }

    // MARK: GITS_TYPER

    func testTypeWithSixteenBitIDsAndProcessorNumberTargets() {
        // Physical (bit 0), ITT_entry_size 15 (16 bytes), IDbits 15, Devbits
        // 15, CIL (bit 36) with CIDbits 15; PTA clear, HCC 0.
        let type = ITSType(rawValue: 0x0000_001F_0001_EFF1)
        XCTAssertTrue(type.supportsPhysicalLPIs)
        XCTAssertFalse(type.supportsVirtualLPIs)
        XCTAssertFalse(type.cumulativeCollectionTables)
        XCTAssertEqual(type.ittEntrySizeField, 15)
        XCTAssertEqual(type.ittEntrySize, 16)
        XCTAssertEqual(type.eventIDBits, 16)
        XCTAssertEqual(type.deviceIDBits, 16)
        XCTAssertFalse(type.supportsSystemErrors)
        XCTAssertFalse(type.physicalTargetAddresses)
        XCTAssertEqual(type.hardwareCollectionCount, 0)
        XCTAssertTrue(type.collectionIDLimit)
        XCTAssertEqual(type.collectionIDBits, 16)
        XCTAssertTrue(type.accepts(ITSDeviceID(0xFFFF)))
        XCTAssertFalse(type.accepts(ITSDeviceID(0x1_0000)))
        XCTAssertTrue(type.accepts(ITSEventID(0xFFFF)))
        XCTAssertFalse(type.accepts(ITSEventID(0x1_0000)))
        // PTA clear: commands name the PE by processor number.
        let target = type.redistributorTarget(rdBase: 0x080C_0000, processorNumber: 2)
        XCTAssertEqual(target.field, 2)
        XCTAssertEqual(target.processorNumber, 2)
    }

    func testTypeWithPhysicalTargetsHardwareCollectionsAndNarrowIDs() {
        // Physical, Virtual, CCT (bits 0-2); ITT_entry_size 7 (8 bytes);
        // IDbits 4 (5 EventID bits); Devbits 19 (20 DeviceID bits); SEIS
        // (18); PTA (19); HCC 8; CIL clear (so 16 ICID bits).
        let type = ITSType(rawValue: 0x080E_6477)
        XCTAssertTrue(type.supportsPhysicalLPIs)
        XCTAssertTrue(type.supportsVirtualLPIs)
        XCTAssertTrue(type.cumulativeCollectionTables)
        XCTAssertEqual(type.ittEntrySize, 8)
        XCTAssertEqual(type.eventIDBits, 5)
        XCTAssertEqual(type.deviceIDBits, 20)
        XCTAssertTrue(type.supportsSystemErrors)
        XCTAssertTrue(type.physicalTargetAddresses)
        XCTAssertEqual(type.hardwareCollectionCount, 8)
        XCTAssertFalse(type.collectionIDLimit)
        XCTAssertEqual(type.collectionIDBits, 16)
        XCTAssertTrue(type.accepts(ITSCollectionID(0xFFFF)))
        XCTAssertTrue(type.accepts(ITSEventID(31)))
        XCTAssertFalse(type.accepts(ITSEventID(32)))
        XCTAssertTrue(type.accepts(ITSDeviceID(0xF_FFFF)))
        XCTAssertFalse(type.accepts(ITSDeviceID(0x10_0000)))
        // PTA set: commands name the redistributor by RD_base bits 51:16.
        let target = type.redistributorTarget(rdBase: 0x080C_0000, processorNumber: 2)
        XCTAssertEqual(target.field, 0x80C)
        XCTAssertEqual(target.physicalAddress, 0x080C_0000)
    }

    func testTypeGICv4FieldsAndCollectionIDLimit() {
        // CIL with CIDbits 3 (4 ICID bits); VMOVP (37), MPAM (38), VSGI
        // (39), VMAPP (40), SVPET 0b11 (42:41), nID (43), UMSI (44),
        // UMSIirq (45), INV (46).
        let raw: UInt64 = 1 << 36 | 3 << 32 | 1 << 37 | 1 << 38 | 1 << 39 | 1 << 40 | 3 << 41 | 1 << 43 | 1 << 44
            | 1 << 45 | 1 << 46
        let type = ITSType(rawValue: raw)
        XCTAssertFalse(type.supportsPhysicalLPIs)
        XCTAssertEqual(type.collectionIDBits, 4)
        XCTAssertTrue(type.accepts(ITSCollectionID(15)))
        XCTAssertFalse(type.accepts(ITSCollectionID(16)))
        XCTAssertTrue(type.vmovpWithoutITSList)
        XCTAssertTrue(type.supportsMPAM)
        XCTAssertTrue(type.supportsVirtualSGIs)
        XCTAssertTrue(type.supportsGICv41VMAPP)
        XCTAssertEqual(type.sharedVPETables, 3)
        XCTAssertTrue(type.noIndividualDoorbells)
        XCTAssertTrue(type.reportsUnmappedMSIs)
        XCTAssertTrue(type.unmappedMSIInterrupt)
        XCTAssertTrue(type.invalidatesOnInvalidTable)
        // The widest fields: 32 DeviceID and EventID bits accept anything.
        let widest = ITSType(rawValue: 31 << 8 | 31 << 13)
        XCTAssertEqual(widest.eventIDBits, 32)
        XCTAssertEqual(widest.deviceIDBits, 32)
        XCTAssertTrue(widest.accepts(ITSDeviceID(.max)))
        XCTAssertTrue(widest.accepts(ITSEventID(.max)))
    }

    // MARK: GITS_CTLR

    func testControlBits() {
        XCTAssertEqual(ITSControl.Enabled.rawValue, 0x1)
        XCTAssertEqual(ITSControl.ImDe.rawValue, 0x2)
        XCTAssertEqual(ITSControl.Quiescent.rawValue, 0x8000_0000)
        // Reset state: disabled and quiescent, so the tables may be written.
        XCTAssertTrue(ITSControl(rawValue: 0x8000_0000).isSafeToProgram)
        XCTAssertFalse(ITSControl(rawValue: 0x8000_0001).isSafeToProgram, "enabled")
        XCTAssertFalse(ITSControl(rawValue: 0x0000_0000).isSafeToProgram, "disabled but still draining")
        XCTAssertEqual(ITSControl(rawValue: 0x0000_00A0).itsNumber, 0xA)
    }

    // MARK: GITS_BASER<n>

    func testTableDescriptorReadOnlyFieldsAsResetLeavesThem() {
        // Type 0b001 (devices), Entry_Size 7 (8 bytes), Page_Size 0b10
        // (64 KiB), Size 0, Valid clear.
        let device = ITSTableDescriptor(rawValue: 0x0107_0000_0000_0200)
        XCTAssertEqual(device.type, .devices)
        XCTAssertEqual(device.entrySize, 8)
        XCTAssertEqual(device.pageSize, .size64K)
        XCTAssertEqual(device.pages, 1)
        XCTAssertFalse(device.isValid)
        XCTAssertFalse(device.isIndirect)
        // Type 0b100 is the collection table; 0b010 vPEs; 0 unimplemented;
        // 0b011 reserved.
        XCTAssertEqual(ITSTableDescriptor(rawValue: 4 << 56).type, .collections)
        XCTAssertEqual(ITSTableDescriptor(rawValue: 2 << 56).type, .vPEs)
        XCTAssertEqual(ITSTableDescriptor(rawValue: 0).type, .unimplemented)
        XCTAssertEqual(ITSTableDescriptor(rawValue: 3 << 56).type, .reserved(3))
        // Page_Size 0b11 is reserved and read as 64 KiB.
        XCTAssertEqual(ITSTableDescriptor(rawValue: 3 << 8).pageSize, .size64K)
        XCTAssertEqual(ITSTableDescriptor(rawValue: 1 << 8).pageSize, .size16K)
    }

    func testTableDescriptorProgrammedWith64KiBPages() {
        let reset = ITSTableDescriptor(rawValue: 0x0107_0000_0000_0200)
        let programmed = reset.programmed(
            address: 0x4001_0000, pages: 2, pageSize: .size64K, indirect: false, attributes: .normalWriteBack)
        // Valid (63), InnerCache 0b111 (61:59), Type and Entry_Size kept,
        // address bits 47:16 in place, Shareability 0b01 (11:10), Page_Size
        // 0b10 (9:8), Size 1 (two pages).
        XCTAssertEqual(programmed.rawValue, 0xB907_0000_4001_0601)
        XCTAssertTrue(programmed.isValid)
        XCTAssertEqual(programmed.type, .devices)
        XCTAssertEqual(programmed.physicalAddress, 0x4001_0000)
        XCTAssertEqual(programmed.pages, 2)
        XCTAssertEqual(programmed.attributes, .normalWriteBack)
    }

    func testTableDescriptorAddressAbove48BitsNeeds64KiBPages() {
        // With 64 KiB pages address bits 51:48 go to register bits 15:12.
        let address: UInt64 = 0x000A_0000_0001_0000
        let table = ITSTableDescriptor(rawValue: 0).programmed(
            address: address, pages: 1, pageSize: .size64K, indirect: true, attributes: .normalWriteBack)
        XCTAssertEqual(table.rawValue & 0xF000, 0xA000)
        XCTAssertEqual(table.rawValue & 0x0000_FFFF_FFFF_0000, 0x1_0000)
        XCTAssertEqual(table.physicalAddress, address)
        XCTAssertTrue(table.isIndirect)
        // 4 KiB pages: bits 47:12 are the address; Size 0xFF is 256 pages.
        let small = ITSTableDescriptor(rawValue: 4 << 56 | 7 << 48).programmed(
            address: 0x4000_3000, pages: 256, pageSize: .size4K, indirect: false,
            attributes: GICMemoryAttributes(innerCache: .nonCacheable, outerCache: .nonCacheable, shareability: .nonShareable))
        XCTAssertEqual(small.rawValue, 1 << 63 | 1 << 59 | 4 << 56 | 1 << 53 | 7 << 48 | 0x4000_3000 | 0xFF)
        XCTAssertEqual(small.physicalAddress, 0x4000_3000)
        XCTAssertEqual(small.pages, 256)
        XCTAssertEqual(small.type, .collections)
    }

    func testLevel1EntryOfAnIndirectTable() {
        XCTAssertEqual(ITSTableDescriptor.level1Entry(page: 0x4005_0000), 0x8000_0000_4005_0000)
        XCTAssertEqual(ITSTableDescriptor.level1Entry(page: 0x4005_0000, valid: false), 0x4005_0000)
    }

    func testShareabilityReservedValueReadsAsNonShareable() {
        let attributes = GICMemoryAttributes(0b11 << 10, .its)
        XCTAssertEqual(attributes.shareability, .nonShareable)
    }

    // MARK: Command queue registers

    func testCommandQueueDescriptor() {
        let queue = ITSCommandQueueDescriptor(address: 0x4020_0000, pages: 16, attributes: .normalWriteBack)
        // Valid, InnerCache 0b111, address bits 51:12, Shareability 0b01,
        // Size 15.
        XCTAssertEqual(queue.rawValue, 0xB800_0000_4020_040F)
        XCTAssertTrue(queue.isValid)
        XCTAssertEqual(queue.physicalAddress, 0x4020_0000)
        XCTAssertEqual(queue.pages, 16)
        XCTAssertEqual(queue.bytes, 64 * 1024)
        XCTAssertEqual(queue.attributes, .normalWriteBack)
        let largest = ITSCommandQueueDescriptor(address: 0xF_FFFF_FFFF_F000, pages: 256, attributes: .normalWriteBack)
        XCTAssertEqual(largest.physicalAddress, 0xF_FFFF_FFFF_F000)
        XCTAssertEqual(largest.bytes, 1 << 20)
    }

    func testWriterAndReaderOffsetsAndStatusBits() {
        XCTAssertEqual(ITSCommandWriter(offset: 0x7_FFE0).rawValue, 0x7_FFE0)
        XCTAssertEqual(ITSCommandWriter(rawValue: 0x141).offset, 0x140)
        XCTAssertTrue(ITSCommandWriter(rawValue: 0x141).retry)
        let stalled = ITSCommandReader(rawValue: 0x0000_0000_0000_0141)
        XCTAssertEqual(stalled.offset, 0x140)
        XCTAssertTrue(stalled.isStalled)
        // Bits above 19 and 4:1 are not part of the offset.
        let reader = ITSCommandReader(rawValue: 0xFFF0_001E)
        XCTAssertEqual(reader.offset, 0)
        XCTAssertFalse(reader.isStalled)
    }

    // MARK: GICR_PROPBASER / GICR_PENDBASER

    func testLPIConfigurationTableDescriptor() {
        let properties = LPIConfigurationTableDescriptor(
            address: 0x4030_0000, interruptIDBits: 16, attributes: .normalWriteBack)
        // IDbits 15 (4:0), InnerCache 0b111 (9:7), Shareability 0b01
        // (11:10), address bits 51:12; OuterCache 0 (58:56).
        XCTAssertEqual(properties.rawValue, 0x4030_078F)
        XCTAssertEqual(properties.interruptIDBits, 16)
        XCTAssertTrue(properties.coversLPIs)
        XCTAssertEqual(properties.physicalAddress, 0x4030_0000)
        XCTAssertEqual(properties.attributes, .normalWriteBack)
        // 13 INTID bits (IDbits 12) reach only 8191: no LPIs.
        XCTAssertFalse(LPIConfigurationTableDescriptor(rawValue: 12).coversLPIs)
        XCTAssertTrue(LPIConfigurationTableDescriptor(rawValue: 13).coversLPIs)
        // Outer cacheability sits high in the redistributor's registers.
        let outer = GICMemoryAttributes(innerCache: .raWaWb, outerCache: .raWb, shareability: .outerShareable)
        let high = LPIConfigurationTableDescriptor(address: 0x1000, interruptIDBits: 14, attributes: outer)
        XCTAssertEqual(high.rawValue, 3 << 56 | 2 << 10 | 7 << 7 | 0x1000 | 13)
        XCTAssertEqual(high.attributes, outer)
    }

    func testLPIPendingTableDescriptor() {
        let pending = LPIPendingTableDescriptor(address: 0x4040_0000, attributes: .normalWriteBack, pendingTableZero: true)
        // PTZ (62), address bits 51:16, InnerCache 0b111, Shareability 0b01.
        XCTAssertEqual(pending.rawValue, 0x4000_0000_4040_0780)
        XCTAssertTrue(pending.pendingTableZero)
        XCTAssertEqual(pending.physicalAddress, 0x4040_0000)
        let again = LPIPendingTableDescriptor(address: 0x4040_0000, attributes: .normalWriteBack, pendingTableZero: false)
        XCTAssertEqual(again.rawValue, 0x4040_0780, "a PE coming back online must have its table read, PTZ clear")
    }

    // MARK: RDbase

    func testTargetRedistributorFieldForms() {
        XCTAssertEqual(ITSTargetRedistributor(processorNumber: 0xFFFF).field, 0xFFFF)
        XCTAssertEqual(ITSTargetRedistributor(physicalAddress: 0xF_FFFF_FFFF_0000).field, ITSTargetRedistributor.fieldMask)
        XCTAssertNil(ITSTargetRedistributor(physicalAddress: 0x1_0000_0000).processorNumber, "wider than 16 bits")
    }
}
