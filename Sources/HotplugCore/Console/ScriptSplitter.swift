/// Splits a script, such as the semihosting command line
/// `cpu-offline 2; irqs; exit 0`, into command lines for `ConsoleParser`.
///
/// Commands end at `;`, LF or CR. Each range yielded is trimmed of blanks and
/// holds something; empty pieces (`;;`, a blank line, a trailing `;`) are
/// skipped. A `#` where a word could start begins a comment that runs to the
/// end of the line, `;` included, as in a shell: `cpus # then; irqs` is one
/// command, `cpus`, whose range still covers the comment (the parser skips
/// it). Works on indices of any buffer with `Int` indices, copying nothing.
public struct ScriptSplitter<Bytes: Collection>: Sequence, IteratorProtocol
where Bytes.Element == UInt8, Bytes.Index == Int {
    private let bytes: Bytes
    private var position: Int

    public init(_ bytes: Bytes) {
        self.bytes = bytes
        position = bytes.startIndex
    }

    /// The range of the next command line in the buffer.
    public mutating func next() -> Range<Int>? {
        while position != bytes.endIndex {
            let piece = nextPiece()
            if !piece.isEmpty {
                return piece
            }
        }
        return nil
    }

    /// The next piece up to a separator, trimmed, and moves past the
    /// separator. An empty range means the piece held only blanks.
    private mutating func nextPiece() -> Range<Int> {
        var first: Int? = nil
        var end = position
        var inComment = false
        var atWordStart = true
        while position != bytes.endIndex {
            let here = position
            let byte = bytes[here]
            bytes.formIndex(after: &position)
            if byte == ConsoleText.lineFeed || byte == ConsoleText.carriageReturn {
                break
            }
            if byte == ConsoleText.semicolon && !inComment {
                break
            }
            if ConsoleText.isBlank(byte) {
                atWordStart = true
                continue
            }
            if byte == ConsoleText.hash && atWordStart {
                inComment = true
            }
            atWordStart = false
            if first == nil {
                first = here
            }
            end = position
        }
        guard let start = first else { return end ..< end }
        return start ..< end
    }
}
