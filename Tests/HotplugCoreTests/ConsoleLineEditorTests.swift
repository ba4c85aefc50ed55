// Host tests for the console's line discipline (`LineEditor`): what each
// byte does to the line and what the console is told to print.
import XCTest
@testable import HotplugCore

private let carriageReturn: UInt8 = 0x0D
private let lineFeed: UInt8 = 0x0A
private let backspace: UInt8 = 0x08
private let delete: UInt8 = 0x7F
private let escape: UInt8 = 0x1B

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Feeds every byte and returns the events.
private func feed(_ editor: inout LineEditor, _ input: [UInt8]) -> [LineEditorEvent] {
    input.map { editor.feed($0) }
}

private func echoes(_ text: String) -> [LineEditorEvent] {
    text.utf8.map { .echo($0) }
}

private func line(_ editor: LineEditor) -> [UInt8] {
    editor.withLine { Array($0) }
}

final class ConsoleLineEditorTests: XCTestCase {
    func testTypingALine() {
        var editor = LineEditor()
        XCTAssertEqual(feed(&editor, bytes("cpus\r")), echoes("cpus") + [.line])
        XCTAssertTrue(editor.isComplete)
        XCTAssertEqual(line(editor), bytes("cpus"))
        XCTAssertEqual(editor.command(cpuCount: 4), .success(.cpus))
        editor.clear()
        XCTAssertEqual(editor.count, 0)
        XCTAssertFalse(editor.isComplete)
    }

    /// Backspace (0x08) and DEL (0x7F) both remove the last byte; on an empty
    /// line they do nothing and print nothing.
    func testBackspaceAndDelete() {
        var editor = LineEditor()
        XCTAssertEqual(
            feed(&editor, bytes("cpx") + [backspace] + bytes("u") + [delete, delete] + bytes("pus\n")),
            echoes("cpx") + [.erase] + echoes("u") + [.erase, .erase] + echoes("pus") + [.line])
        XCTAssertEqual(line(editor), bytes("cpus"))
        editor.clear()
        XCTAssertEqual(feed(&editor, [backspace, delete] + bytes("a") + [delete, delete, backspace]),
                       [.ignored, .ignored, .echo(0x61), .erase, .ignored, .ignored])
        XCTAssertEqual(editor.count, 0)
    }

    /// CRLF is one line end. CR alone and LF alone end a line too; two Enters
    /// make two lines, the second empty.
    func testLineEndings() {
        var editor = LineEditor()
        XCTAssertEqual(feed(&editor, bytes("irqs\r\n")), echoes("irqs") + [.line, .ignored])
        XCTAssertEqual(line(editor), bytes("irqs"), "the LF of CRLF leaves the line alone")

        editor = LineEditor()
        XCTAssertEqual(feed(&editor, bytes("a\r")), [.echo(0x61), .line])
        editor.clear()
        XCTAssertEqual(feed(&editor, [lineFeed]), [.ignored], "LF after CR is ignored even after clear()")
        XCTAssertEqual(feed(&editor, bytes("b\n")), [.echo(0x62), .line])
        editor.clear()
        XCTAssertEqual(feed(&editor, [carriageReturn, lineFeed, carriageReturn, lineFeed]),
                       [.line, .ignored, .line, .ignored], "two CRLF Enters are two lines")
        XCTAssertEqual(editor.count, 0)
        XCTAssertEqual(editor.command(cpuCount: 4), .success(nil), "an empty line is no command")

        editor = LineEditor()
        XCTAssertEqual(feed(&editor, [lineFeed, lineFeed, carriageReturn, carriageReturn]),
                       [.line, .line, .line, .line], "LF LF, LF CR and CR CR are each two line ends")

        editor = LineEditor()
        XCTAssertEqual(feed(&editor, [carriageReturn] + bytes("x") + [lineFeed]),
                       [.line, .echo(0x78), .line], "an LF not right after the CR ends a line")
    }

    /// A completed line not cleared by the caller is dropped when the next
    /// byte arrives, instead of growing.
    func testNextByteStartsANewLine() {
        var editor = LineEditor()
        _ = feed(&editor, bytes("help\n"))
        XCTAssertEqual(feed(&editor, bytes("cpus\n")), echoes("cpus") + [.line])
        XCTAssertEqual(line(editor), bytes("cpus"))
    }

    /// 256 bytes fit. The 257th overflows; from then on everything up to the
    /// line end is ignored (backspace too), and the line is `lineTooLong`.
    func testOverflow() {
        var editor = LineEditor()
        let full = [UInt8](repeating: 0x61, count: LineEditor.capacity)
        XCTAssertEqual(feed(&editor, full), full.map { .echo($0) })
        XCTAssertFalse(editor.isOverflowed)
        XCTAssertEqual(feed(&editor, bytes("b")), [.overflow])
        XCTAssertTrue(editor.isOverflowed)
        XCTAssertEqual(feed(&editor, bytes("cd") + [backspace, delete, 0x03]),
                       [.ignored, .ignored, .ignored, .ignored, .ignored])
        XCTAssertEqual(editor.count, LineEditor.capacity)
        XCTAssertEqual(feed(&editor, [carriageReturn]), [.line])
        let expected = ConsoleError.lineTooLong(ConsoleWord(full))
        XCTAssertEqual(editor.command(cpuCount: 4), .failure(expected))
        XCTAssertEqual(expected.message,
                       "error: line '" + String(repeating: "a", count: 32) + "...' is longer than 256 bytes, ignored")
        editor.clear()
        XCTAssertFalse(editor.isOverflowed)
        XCTAssertEqual(feed(&editor, bytes("irqs\r")), echoes("irqs") + [.line])
        XCTAssertEqual(editor.command(cpuCount: 4), .success(.irqs))
    }

    /// A line of exactly 256 bytes is a line like any other.
    func testFullLineIsNotTooLong() {
        var editor = LineEditor()
        let text = "cpu-offline " + String(repeating: "0", count: 243) + "1"
        XCTAssertEqual(text.utf8.count, LineEditor.capacity)
        XCTAssertEqual(feed(&editor, bytes(text + "\n")), echoes(text) + [.line])
        XCTAssertEqual(editor.command(cpuCount: 4), .success(.cpuOffline(LogicalCPU(1))))
    }

    /// Control bytes other than BS, DEL, CR, LF, TAB and ESC, and every byte
    /// from 0x80 up, are neither stored nor echoed.
    func testControlAndHighBytesAreIgnored() {
        var editor = LineEditor()
        var noise: [UInt8] = Array(0x00 ... 0x1F).filter { ![backspace, 0x09, lineFeed, carriageReturn, escape].contains($0) }
        noise += Array(0x80 ... 0xFF)
        XCTAssertEqual(feed(&editor, bytes("ir") + noise + bytes("qs")),
                       echoes("ir") + noise.map { _ in .ignored } + echoes("qs"))
        XCTAssertEqual(line(editor), bytes("irqs"))
    }

    /// Tab is taken (and echoed) as a space, so a tab-separated line still
    /// splits into words.
    func testTabIsASpace() {
        var editor = LineEditor()
        XCTAssertEqual(feed(&editor, bytes("fire\t33\n")), echoes("fire 33") + [.line])
        XCTAssertEqual(editor.command(cpuCount: 4), .success(.fire(InterruptID(33), count: 1)))
    }

    /// Arrow keys, function keys and Alt-letters send escape sequences; each
    /// is dropped whole. CR in the middle of one still ends the line.
    func testEscapeSequencesAreDropped() {
        let cases: [(input: [UInt8], why: String)] = [
            ([escape] + bytes("[A"), "cursor up"),
            ([escape] + bytes("[1;5C"), "control-right, with parameters"),
            ([escape] + bytes("[3~"), "the Delete key"),
            ([escape] + bytes("OP"), "F1 in SS3 form"),
            ([escape] + bytes("x"), "Alt-x"),
            ([escape, escape] + bytes("[B"), "ESC ESC then a sequence"),
            ([escape] + bytes("[12") + [0x07], "a sequence cut short by a control byte"),
        ]
        for (input, why) in cases {
            var editor = LineEditor()
            let events = feed(&editor, bytes("cp") + input + bytes("us\r"))
            XCTAssertEqual(events, echoes("cp") + input.map { _ in .ignored } + echoes("us") + [.line], why)
            XCTAssertEqual(line(editor), bytes("cpus"), why)
        }
        var editor = LineEditor()
        XCTAssertEqual(feed(&editor, bytes("a") + [escape] + bytes("[1") + [carriageReturn] + bytes("b")),
                       [.echo(0x61), .ignored, .ignored, .ignored, .line, .echo(0x62)])
        XCTAssertEqual(line(editor), bytes("b"), "the sequence ended with the line")
    }
}
