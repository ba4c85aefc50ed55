/// Big-endian reads from a byte buffer, each one bounds-checked.
///
/// Everything in a flattened devicetree is big-endian (devicetree
/// specification v0.4 §5.1), and a blob handed over by firmware may sit at
/// any address. The reads go byte by byte, so they neither fault on a
/// misaligned address (with the MMU off, memory is Device memory and an
/// unaligned load faults) nor step outside the buffer: an offset that does
/// not leave room for the whole value gives `nil`.
enum BigEndian {
    static func uint32(in bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt32? {
        guard offset >= 0, bytes.count >= 4, offset <= bytes.count - 4 else { return nil }
        var value: UInt32 = 0
        for index in offset ..< offset + 4 {
            value = value << 8 | UInt32(bytes[index])
        }
        return value
    }

    /// Whether `bytes[start ..< start + length]` holds exactly the UTF-8 of
    /// `literal`. Out-of-range spans compare unequal.
    static func bytes(
        _ bytes: UnsafeRawBufferPointer, start: Int, length: Int, equal literal: StaticString
    ) -> Bool {
        guard start >= 0, length >= 0, length <= bytes.count, start <= bytes.count - length else {
            return false
        }
        return literal.withUTF8Buffer { text in
            guard text.count == length else { return false }
            for index in 0 ..< length where bytes[start + index] != text[index] {
                return false
            }
            return true
        }
    }
}

/// The value of one device-tree property: a bounds-checked view of its bytes
/// inside the blob (devicetree specification v0.4 §2.2.4 "Property values").
///
/// Values are untyped bytes; the property's binding says how to read them:
/// as big-endian 32-bit cells (`<u32>`, `<prop-encoded-array>`), as numbers
/// one or two cells wide (`<u64>`, addresses and sizes), as a NUL-terminated
/// string, or as a list of such strings (`<stringlist>`, e.g. `compatible`).
public struct DeviceTreeValue {
    /// The value's bytes, borrowed from the blob.
    public let bytes: UnsafeRawBufferPointer

    @inline(__always)
    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// Length of the value in bytes (the property's `len`).
    public var count: Int { bytes.count }

    /// Cell `index` (counted in 32-bit cells), or `nil` past the end.
    public func cell(_ index: Int) -> UInt32? {
        guard index >= 0, index <= Int.max / 4 else { return nil }
        return BigEndian.uint32(in: bytes, at: index * 4)
    }

    /// The number `cells` cells wide (1 or 2, the only widths an address
    /// or size can have here) that starts at cell `index`, or `nil` when it
    /// runs past the end or `cells` is another width.
    public func number(atCell index: Int, cells: Int) -> UInt64? {
        switch cells {
        case 1:
            return cell(index).map { UInt64($0) }
        case 2:
            guard let high = cell(index), let low = cell(index + 1) else { return nil }
            return UInt64(high) << 32 | UInt64(low)
        default:
            return nil
        }
    }

    /// Whether the value is exactly `literal` followed by its terminating
    /// NUL (a `<string>` value).
    public func isString(_ literal: StaticString) -> Bool {
        guard count >= 1, bytes[count - 1] == 0 else { return false }
        return BigEndian.bytes(bytes, start: 0, length: count - 1, equal: literal)
    }

    /// Whether `literal` is one of the NUL-terminated strings of a
    /// `<stringlist>` value. An unterminated last string is not matched.
    public func containsString(_ literal: StaticString) -> Bool {
        var start = 0
        var index = 0
        while index < count {
            if bytes[index] == 0 {
                if BigEndian.bytes(bytes, start: start, length: index - start, equal: literal) {
                    return true
                }
                start = index + 1
            }
            index += 1
        }
        return false
    }
}
