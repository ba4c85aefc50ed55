import XCTest
@testable import HotplugCore

/// The PL011 and PL031 register layouts against their Technical Reference
/// Manuals (DDI 0183 and DDI 0224, §3.2 each), and the PL011's receive
/// enable against a recording register file.
final class PrimeCellRegisterTests: XCTestCase {
    func testOffsetsMatchTheManuals() {
        let offsets: [(offset: Int, expected: Int, name: String)] = [
            (PL011Register.UARTDR.offset, 0x000, "UARTDR"),
            (PL011Register.UARTFR.offset, 0x018, "UARTFR"),
            (PL011Register.UARTIMSC.offset, 0x038, "UARTIMSC"),
            (PL011Register.UARTMIS.offset, 0x040, "UARTMIS"),
            (PL011Register.UARTICR.offset, 0x044, "UARTICR"),
            (PL031Register.RTCDR.offset, 0x00, "RTCDR"),
            (PL031Register.RTCMR.offset, 0x04, "RTCMR"),
            (PL031Register.RTCIMSC.offset, 0x10, "RTCIMSC"),
            (PL031Register.RTCICR.offset, 0x1C, "RTCICR"),
        ]
        for (offset, expected, name) in offsets {
            XCTAssertEqual(offset, expected, name)
            XCTAssertEqual(offset % 4, 0, "\(name) is word-aligned")
        }
    }

    func testPL011Bits() {
        XCTAssertEqual(Register<PL011Flags>.size, 4)
        XCTAssertEqual(Register<PL011Interrupts>.size, 4)
        XCTAssertEqual(PL011Flags.RXFE.rawValue, 1 << 4, "UARTFR.RXFE bit 4")
        XCTAssertEqual(PL011Flags.TXFF.rawValue, 1 << 5, "UARTFR.TXFF bit 5")
        XCTAssertEqual(PL011Flags.BUSY.rawValue, 1 << 3, "UARTFR.BUSY bit 3")
        XCTAssertEqual(PL011Interrupts.receive.rawValue, 1 << 4, "RXIM/RXIC bit 4")
        XCTAssertEqual(PL011Interrupts.receiveTimeout.rawValue, 1 << 6, "RTIM/RTIC bit 6")
        XCTAssertEqual(PL011Interrupts.receiveAndTimeout, [.receive, .receiveTimeout])
        XCTAssertEqual(PL011Interrupts.all.rawValue, 0x7FF, "eleven interrupts, bits 10:0")
        // QEMU's UARTFR after reset with nothing received: RXFE and TXFE.
        XCTAssertEqual(PL011Flags(rawValue: 0x90), [.RXFE, .TXFE])
    }

    func testPL011ReceiveEnableKeepsAPendingReceiveInterrupt() {
        let registers = RecordingRegisterFile()
        PL011Sequences.enableReceiveInterrupts(registers)
        XCTAssertEqual(registers.log, [
            .write32(0x044, 0x7AF),     // UARTICR: everything but RXIC and RTIC
            .write32(0x038, 0x050),     // UARTIMSC: RXIM | RTIM, after the clear
        ])
    }

    func testPL031Bits() {
        XCTAssertEqual(Register<PL031Interrupt>.size, 4)
        XCTAssertEqual(PL031Interrupt.alarm.rawValue, 1, "RTCINTR bit 0")
    }
}
