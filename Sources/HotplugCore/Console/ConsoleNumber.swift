/// An unsigned number as the console reads it: decimal (`33`, leading zeros
/// allowed) or hexadecimal after `0x` or `0X` (`0x21`). No sign, no digit
/// separators. Reading never traps: a value past `UInt64.max` is reported
/// as such, not wrapped.
enum ConsoleNumber: Equatable {
    /// A well-formed number that fits in 64 bits.
    case value(UInt64)
    /// A well-formed number larger than `UInt64.max`.
    case tooLarge
    /// Not a number: empty, a stray character, or `0x` with no digits.
    case malformed

    init<Bytes: Collection>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        var position = bytes.startIndex
        var radix: UInt64 = 10
        if let second = bytes.index(position, offsetBy: 1, limitedBy: bytes.endIndex),
           second != bytes.endIndex,
           bytes[position] == 0x30, bytes[second] | 0x20 == 0x78 {
            // "0x" or "0X": `| 0x20` folds 'X' (0x58) onto 'x' (0x78).
            radix = 16
            position = bytes.index(after: second)
        }
        guard position != bytes.endIndex else {
            self = .malformed
            return
        }
        var value: UInt64 = 0
        var overflowed = false
        while position != bytes.endIndex {
            guard let digit = ConsoleNumber.digit(bytes[position], radix: radix) else {
                self = .malformed
                return
            }
            // Keep reading after an overflow: a later stray character still
            // makes the word malformed rather than too large.
            let scaled = value.multipliedReportingOverflow(by: radix)
            let sum = scaled.partialValue.addingReportingOverflow(digit)
            overflowed = overflowed || scaled.overflow || sum.overflow
            value = sum.partialValue
            bytes.formIndex(after: &position)
        }
        self = overflowed ? .tooLarge : .value(value)
    }

    private static func digit(_ byte: UInt8, radix: UInt64) -> UInt64? {
        switch byte {
        case 0x30 ... 0x39:
            return UInt64(byte - 0x30)
        case 0x41 ... 0x46 where radix == 16:
            return UInt64(byte - 0x41 + 10)
        case 0x61 ... 0x66 where radix == 16:
            return UInt64(byte - 0x61 + 10)
        default:
            return nil
        }
    }
}
