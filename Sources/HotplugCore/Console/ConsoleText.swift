/// Byte-level text helpers shared by the console's parser, splitter and
/// messages. Console input is bytes, not `String`: it may be any bytes at all,
/// and the image must not allocate to read it.
public enum ConsoleText {
    static let space: UInt8 = 0x20
    static let tab: UInt8 = 0x09
    static let lineFeed: UInt8 = 0x0A
    static let carriageReturn: UInt8 = 0x0D
    static let verticalTab: UInt8 = 0x0B
    static let formFeed: UInt8 = 0x0C
    static let hash: UInt8 = 0x23
    static let semicolon: UInt8 = 0x3B

    /// The bytes that separate words: space and tab, and the other C
    /// `isspace` bytes so that a CRLF script or a stray form feed still reads
    /// as blank.
    @inline(__always)
    static func isBlank(_ byte: UInt8) -> Bool {
        byte == space || byte == tab || (byte >= lineFeed && byte <= carriageReturn)
    }

    /// Whether `bytes` spell exactly `text`.
    public static func equals<Bytes: Collection>(_ bytes: Bytes, _ text: StaticString) -> Bool
    where Bytes.Element == UInt8 {
        let expected = UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
        return bytes.elementsEqual(expected)
    }

    /// The case whose `word` `bytes` spell exactly, or nil: how a verb or a
    /// policy is looked up by name.
    static func matchingCase<Bytes: Collection, Named: CaseIterable>(
        _ bytes: Bytes, word: (Named) -> StaticString
    ) -> Named? where Bytes.Element == UInt8 {
        for candidate in Named.allCases where equals(bytes, word(candidate)) {
            return candidate
        }
        return nil
    }

    /// `text` as a `String`, for building messages.
    static func string(_ text: StaticString) -> String {
        let bytes = UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
        return String(decoding: bytes, as: UTF8.self)
    }
}
