/// What the console should do after `LineEditor.feed` took one byte.
public enum LineEditorEvent: Equatable, Sendable {
    /// Print this byte: it was added to the line.
    case echo(UInt8)
    /// The last byte of the line was removed: print `"\u{8} \u{8}"`
    /// (back, blank it, back).
    case erase
    /// Print nothing.
    case ignored
    /// The line is complete: read it (`withLine`, `command(cpuCount:)`),
    /// then `clear()`. Sent for an overflowed line too, whose
    /// `command(cpuCount:)` is `lineTooLong`.
    case line
    /// The line just became longer than `LineEditor.capacity`; this and the
    /// rest of its bytes are dropped (a console may ring the bell).
    case overflow
}

/// The console's line discipline, byte by byte, in a fixed 256-byte buffer:
/// enough for every command (the longest useful one is an `irq-affinity`
/// with a long cpu list) and no heap.
///
/// - CR or LF ends a line; an LF right after a CR is dropped, so CRLF (what
///   a terminal sends for Enter in some modes, and text files piped in) makes
///   one line, not an extra empty one.
/// - Backspace (0x08) and DEL (0x7F, what most terminals send for the
///   Backspace key) remove the last byte, if there is one.
/// - Tab is taken as a space. Printable ASCII (0x20–0x7E) is added and
///   echoed.
/// - Other control bytes and bytes from 0x80 up are dropped unechoed, so that
///   noise on the line cannot drive the terminal. An escape sequence
///   (`ESC [ ... final`, `ESC O x`, `ESC x`), which is what arrow and function
///   keys send, is dropped whole rather than leaving `[A` in the line.
/// - Once a line is too long, everything up to its end is dropped, backspace
///   included: the line will be refused whatever follows.
///
/// The editor holds a completed line until `clear()`; a byte fed before that
/// starts a new line anyway, so a forgetful caller cannot wedge it.
public struct LineEditor: Sendable {
    /// The most bytes a line can hold.
    public static let capacity = 256

    private static let backspace: UInt8 = 0x08
    private static let delete: UInt8 = 0x7F
    private static let escape: UInt8 = 0x1B
    private static let leftBracket: UInt8 = 0x5B
    private static let letterO: UInt8 = 0x4F

    /// Where in an escape sequence the editor is.
    private enum EscapeState: Sendable {
        /// Not in one.
        case none
        /// After ESC.
        case escape
        /// After `ESC [`: parameter bytes (0x20–0x3F) until a final byte.
        case controlSequence
        /// After `ESC O`: one more byte.
        case singleShift
    }

    private var storage: InlineArray<256, UInt8>
    /// Bytes in the line, `0 ... capacity`.
    public private(set) var count: Int
    /// Whether the current line has overflowed.
    public private(set) var isOverflowed: Bool
    /// Whether a CR or LF has completed the line.
    public private(set) var isComplete: Bool
    private var escapeState: EscapeState
    /// The previous byte was CR, so an LF now is the rest of a CRLF. Kept
    /// across `clear()`, which the console calls between the two.
    private var afterCarriageReturn: Bool

    public init() {
        storage = InlineArray(repeating: 0)
        count = 0
        isOverflowed = false
        isComplete = false
        escapeState = .none
        afterCarriageReturn = false
    }

    /// Forgets the line (after a `.line` event, once it has been run).
    public mutating func clear() {
        count = 0
        isOverflowed = false
        isComplete = false
        escapeState = .none
    }

    /// Takes one received byte and says what to show for it.
    public mutating func feed(_ byte: UInt8) -> LineEditorEvent {
        let crlf = afterCarriageReturn && byte == ConsoleText.lineFeed
        afterCarriageReturn = byte == ConsoleText.carriageReturn
        if crlf {
            // Before the check below: the line the CR completed stays intact.
            return .ignored
        }
        if isComplete {
            clear()
        }
        if byte == ConsoleText.carriageReturn || byte == ConsoleText.lineFeed {
            isComplete = true
            escapeState = .none
            return .line
        }
        switch escapeState {
        case .none:
            break
        case .escape:
            if byte == LineEditor.leftBracket {
                escapeState = .controlSequence
            } else if byte == LineEditor.letterO {
                escapeState = .singleShift
            } else if byte != LineEditor.escape {
                escapeState = .none
            }
            return .ignored
        case .controlSequence:
            if byte < 0x20 || byte > 0x3F {
                escapeState = .none
            }
            return .ignored
        case .singleShift:
            escapeState = .none
            return .ignored
        }
        switch byte {
        case LineEditor.backspace, LineEditor.delete:
            guard !isOverflowed, count > 0 else { return .ignored }
            count -= 1
            return .erase
        case LineEditor.escape:
            escapeState = .escape
            return .ignored
        case ConsoleText.tab, 0x20 ... 0x7E:
            guard !isOverflowed else { return .ignored }
            guard count < LineEditor.capacity else {
                isOverflowed = true
                return .overflow
            }
            let kept = byte == ConsoleText.tab ? ConsoleText.space : byte
            storage[count] = kept
            count += 1
            return .echo(kept)
        default:
            return .ignored
        }
    }

    /// Calls `body` with the line's bytes (without its CR or LF). The buffer
    /// is valid only inside `body`.
    public func withLine<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        withUnsafeBytes(of: storage) { bytes in
            body(UnsafeRawBufferPointer(rebasing: bytes[0 ..< count]))
        }
    }

    /// The line parsed as a command for `cpuCount` CPUs, or `lineTooLong`
    /// (quoting its start) if it overflowed.
    public func command(cpuCount: Int) -> Result<ConsoleCommand?, ConsoleError> {
        withLine { bytes in
            if isOverflowed {
                return .failure(.lineTooLong(ConsoleWord(bytes)))
            }
            return ConsoleParser.parse(bytes, cpuCount: cpuCount)
        }
    }
}
