import XCTest
@testable import HotplugCore

/// The ITS command encodings (IHI 0069 §5.3): each command against the four
/// doublewords worked out by hand from its field table (the comment names
/// the fields and their bits), then encode/decode round trips over seeded
/// random arguments.
final class ITSCommandTests: XCTestCase {
    private let device = ITSDeviceID(0x1234_5678)
    private let event = ITSEventID(0x21)

    func testCommandNumbers() {
        let expected: [(ITSCommandNumber, UInt8)] = [
            (.MOVI, 0x01), (.INT, 0x03), (.CLEAR, 0x04), (.SYNC, 0x05), (.MAPD, 0x08), (.MAPC, 0x09),
            (.MAPTI, 0x0A), (.MAPI, 0x0B), (.INV, 0x0C), (.INVALL, 0x0D), (.MOVALL, 0x0E), (.DISCARD, 0x0F),
        ]
        for (number, value) in expected {
            XCTAssertEqual(number.rawValue, value, "\(number)")
        }
        XCTAssertEqual(ITSCommand.bytes, 32)
    }

    func testMAPD() {
        // DW0: DeviceID 63:32, number 7:0. DW1: Size 4:0 = EventID bits − 1.
        // DW2: V 63, ITT_addr 51:8 (the 256-byte aligned address in place).
        let command = ITSCommand(.MAPD(device: device, ittAddress: 0x4008_0100, eventIDBits: 5, valid: true))
        assertWords(command, 0x1234_5678_0000_0008, 0x4, 0x8000_0000_4008_0100, 0)
        // Unmapping: V clear.
        let unmap = ITSCommand(.MAPD(device: device, ittAddress: 0, eventIDBits: 1, valid: false))
        assertWords(unmap, 0x1234_5678_0000_0008, 0, 0, 0)
        // 32 EventID bits: Size 31; the highest ITT address bit 51.
        let wide = ITSCommand(.MAPD(device: ITSDeviceID(1), ittAddress: 0x8_0000_0000_0000, eventIDBits: 32, valid: true))
        assertWords(wide, 0x1_0000_0008, 0x1F, 0x8008_0000_0000_0000, 0)
    }

    func testMAPCByProcessorNumberAndByAddress() {
        // DW2: V 63, RDbase 51:16, ICID 15:0. PTA = 0: the processor number.
        let byNumber = ITSCommand(.MAPC(
            collection: ITSCollectionID(3), target: ITSTargetRedistributor(processorNumber: 2), valid: true))
        assertWords(byNumber, 0x09, 0, 0x8000_0000_0002_0003, 0)
        // PTA = 1: RD_base 0x80E0000, its bits 51:16 in place.
        let byAddress = ITSCommand(.MAPC(
            collection: ITSCollectionID(0xFFFF), target: ITSTargetRedistributor(physicalAddress: 0x080E_0000), valid: true))
        assertWords(byAddress, 0x09, 0, 0x8000_0000_080E_FFFF, 0)
    }

    func testMAPTIAndMAPI() {
        // DW0 DeviceID; DW1: pINTID 63:32, EventID 31:0; DW2 ICID 15:0.
        let mapti = ITSCommand(.MAPTI(
            device: ITSDeviceID(7), event: event, interrupt: InterruptID(8197), collection: ITSCollectionID(1)))
        assertWords(mapti, 0x7_0000_000A, 0x2005_0000_0021, 0x1, 0)
        // MAPI: no pINTID field (the LPI is the EventID).
        let mapi = ITSCommand(.MAPI(device: ITSDeviceID(7), event: ITSEventID(8200), collection: ITSCollectionID(2)))
        assertWords(mapi, 0x7_0000_000B, 0x2008, 0x2, 0)
    }

    func testDeviceEventCommands() {
        // DW0 DeviceID 63:32; DW1 EventID 31:0; nothing else.
        let all: [(ITSOperation, UInt64)] = [
            (.INT(device: device, event: event), 0x03),
            (.CLEAR(device: device, event: event), 0x04),
            (.INV(device: device, event: event), 0x0C),
            (.DISCARD(device: device, event: event), 0x0F),
        ]
        for (operation, number) in all {
            assertWords(ITSCommand(operation), 0x1234_5678_0000_0000 | number, 0x21, 0, 0, "\(operation)")
        }
        // All ones in both IDs stay in their fields.
        let widest = ITSCommand(.INT(device: ITSDeviceID(.max), event: ITSEventID(.max)))
        assertWords(widest, 0xFFFF_FFFF_0000_0003, 0xFFFF_FFFF, 0, 0)
    }

    func testMOVIINVALLMOVALLAndSYNC() {
        // MOVI: DeviceID, EventID, ICID in DW2 15:0.
        assertWords(
            ITSCommand(.MOVI(device: ITSDeviceID(7), event: event, collection: ITSCollectionID(2))),
            0x7_0000_0001, 0x21, 0x2, 0)
        // INVALL: ICID in DW2 15:0.
        assertWords(ITSCommand(.INVALL(collection: ITSCollectionID(0xFFFF))), 0x0D, 0, 0xFFFF, 0)
        // MOVALL: RDbase1 in DW2 51:16, RDbase2 in DW3 51:16.
        let movall = ITSCommand(.MOVALL(
            from: ITSTargetRedistributor(processorNumber: 1), to: ITSTargetRedistributor(processorNumber: 3)))
        assertWords(movall, 0x0E, 0, 0x1_0000, 0x3_0000)
        // SYNC: RDbase in DW2 51:16 (PTA = 1 here: the RD_base itself).
        assertWords(ITSCommand(.SYNC(target: ITSTargetRedistributor(physicalAddress: 0x080C_0000))), 0x05, 0, 0x080C_0000, 0)
    }

    func testDecodingRefusesUnknownNumbersAndNonLPIMappings() {
        XCTAssertNil(ITSCommand(dw0: 0x02).operation, "0x02 is no command listed here")
        XCTAssertNil(ITSCommand(dw0: 0x29).operation, "VMAPP (GICv4) is not decoded")
        // A MAPTI naming SPI 40 is not an LPI mapping.
        XCTAssertNil(ITSCommand(dw0: 0x0A, dw1: 40 << 32).operation)
        XCTAssertEqual(ITSCommand(dw0: 0x05).number, .SYNC)
    }

    func testRoundTripsOverRandomArguments() {
        var random = SplitMix64(seed: 14)
        for _ in 0 ..< 10_000 {
            let operation = randomOperation(&random)
            let command = ITSCommand(operation)
            XCTAssertEqual(command.operation, operation)
            XCTAssertEqual(command.number, operation.number)
            XCTAssertEqual(command.dw0 & 0xFF, UInt64(operation.number.rawValue))
            // Re-encoding the decoded words gives the same words.
            if let decoded = command.operation {
                XCTAssertEqual(ITSCommand(decoded), command)
            }
        }
    }

    // MARK: Helpers

    private func randomOperation(_ random: inout SplitMix64) -> ITSOperation {
        let device = ITSDeviceID(UInt32(truncatingIfNeeded: random.next()))
        let event = ITSEventID(UInt32(truncatingIfNeeded: random.next()))
        let collection = ITSCollectionID(UInt16(truncatingIfNeeded: random.next()))
        let target = ITSTargetRedistributor(field: random.next() & ITSTargetRedistributor.fieldMask)
        let valid = random.next() & 1 == 1
        switch random.below(12) {
        case 0:
            let itt = (random.next() & ((1 << 52) - 1)) & ~0xFF
            return .MAPD(device: device, ittAddress: itt, eventIDBits: 1 + random.below(32), valid: valid)
        case 1: return .MAPC(collection: collection, target: target, valid: valid)
        case 2:
            let lpi = InterruptID(8192 + UInt32(random.below(Int(UInt32.max) - 8192)))
            return .MAPTI(device: device, event: event, interrupt: lpi, collection: collection)
        case 3: return .MAPI(device: device, event: event, collection: collection)
        case 4: return .INT(device: device, event: event)
        case 5: return .CLEAR(device: device, event: event)
        case 6: return .INV(device: device, event: event)
        case 7: return .INVALL(collection: collection)
        case 8: return .MOVI(device: device, event: event, collection: collection)
        case 9:
            let other = ITSTargetRedistributor(field: random.next() & ITSTargetRedistributor.fieldMask)
            return .MOVALL(from: target, to: other)
        case 10: return .SYNC(target: target)
        default: return .DISCARD(device: device, event: event)
        }
    }

    private func assertWords(
        _ command: ITSCommand, _ dw0: UInt64, _ dw1: UInt64, _ dw2: UInt64, _ dw3: UInt64, _ message: String = "",
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(command.dw0, dw0, "DW0 " + message, file: file, line: line)
        XCTAssertEqual(command.dw1, dw1, "DW1 " + message, file: file, line: line)
        XCTAssertEqual(command.dw2, dw2, "DW2 " + message, file: file, line: line)
        XCTAssertEqual(command.dw3, dw3, "DW3 " + message, file: file, line: line)
    }
}
