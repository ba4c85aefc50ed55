/// A copy of one word of console input, kept inside an error so that the
/// message can name what was typed without holding on to the line (which the
/// line editor reuses) and without allocating.
///
/// At most `ConsoleWord.capacity` bytes are kept; a longer word keeps its
/// first bytes and is marked truncated. The bytes are arbitrary: `printable`
/// is the only way they reach a terminal, and it escapes anything that is not
/// printable ASCII.
public struct ConsoleWord: Equatable, Sendable, ExpressibleByStringLiteral {
    /// Bytes kept from a word.
    public static let capacity = 32

    private var storage: InlineArray<32, UInt8>
    /// How many bytes of `storage` are the word's, `0 ... capacity`.
    public private(set) var count: Int
    /// Whether the word was longer than `capacity` bytes.
    public private(set) var isTruncated: Bool

    /// Copies the first `capacity` bytes of `bytes`.
    public init<Bytes: Collection>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        storage = InlineArray(repeating: 0)
        count = 0
        isTruncated = false
        for byte in bytes {
            guard count < ConsoleWord.capacity else {
                isTruncated = true
                break
            }
            storage[count] = byte
            count += 1
        }
    }

    /// A word written in the source, for tests and fixed messages.
    public init(stringLiteral value: StaticString) {
        self.init(UnsafeBufferPointer(start: value.utf8Start, count: value.utf8CodeUnitCount))
    }

    /// The kept byte at `position`, `0 ..< count`.
    public subscript(position: Int) -> UInt8 {
        precondition(position >= 0 && position < count, "ConsoleWord: position out of range")
        return storage[position]
    }

    public static func == (lhs: ConsoleWord, rhs: ConsoleWord) -> Bool {
        guard lhs.count == rhs.count, lhs.isTruncated == rhs.isTruncated else { return false }
        for position in 0 ..< lhs.count where lhs.storage[position] != rhs.storage[position] {
            return false
        }
        return true
    }

    /// The word as printable ASCII: bytes 0x20–0x7E as themselves except the
    /// backslash (`\\`), every other byte as `\xNN`, and `...` after a
    /// truncated word. Random input therefore cannot move the cursor, change
    /// colours or leave half a UTF-8 sequence on the terminal.
    public var printable: String {
        var text = ""
        for position in 0 ..< count {
            ConsoleWord.appendEscaped(storage[position], to: &text)
        }
        if isTruncated {
            text += "..."
        }
        return text
    }

    /// `printable` in single quotes, the form messages use.
    public var quoted: String {
        "'" + printable + "'"
    }

    static func appendEscaped(_ byte: UInt8, to text: inout String) {
        let backslash: UInt8 = 0x5C
        if byte == backslash {
            text += "\\\\"
        } else if byte >= 0x20 && byte <= 0x7E {
            text.unicodeScalars.append(Unicode.Scalar(byte))
        } else {
            text += "\\x"
            text.unicodeScalars.append(hexDigit(byte >> 4))
            text.unicodeScalars.append(hexDigit(byte & 0xF))
        }
    }

    private static func hexDigit(_ nibble: UInt8) -> Unicode.Scalar {
        Unicode.Scalar(nibble < 10 ? 0x30 + nibble : 0x61 + nibble - 10)
    }
}
