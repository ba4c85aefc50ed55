/// The words of one console line: runs of non-blank bytes
/// (`ConsoleText.isBlank`), up to a comment. A word that starts with `#`
/// starts a comment, which runs to the end of the line, as in a shell:
/// `cpus   # show them` is the one word `cpus`.
///
/// Yields slices of the line, so nothing is copied.
struct ConsoleWords<Bytes: Collection>: IteratorProtocol where Bytes.Element == UInt8 {
    private let bytes: Bytes
    private var position: Bytes.Index

    init(_ bytes: Bytes) {
        self.bytes = bytes
        position = bytes.startIndex
    }

    mutating func next() -> Bytes.SubSequence? {
        while position != bytes.endIndex && ConsoleText.isBlank(bytes[position]) {
            bytes.formIndex(after: &position)
        }
        guard position != bytes.endIndex, bytes[position] != ConsoleText.hash else {
            position = bytes.endIndex
            return nil
        }
        let start = position
        while position != bytes.endIndex && !ConsoleText.isBlank(bytes[position]) {
            bytes.formIndex(after: &position)
        }
        return bytes[start ..< position]
    }
}
