import XCTest
@testable import HotplugCore

/// One access a GIC sequence made, in order, as `RecordingRegisterFile`
/// logs it; `wait` marks a call of the sequence's `HardwareWait`.
enum RegisterAccess: Equatable, CustomStringConvertible {
    case read32(Int)
    case write32(Int, UInt32)
    case read64(Int)
    case write64(Int, UInt64)
    case wait

    var description: String {
        switch self {
        case let .read32(offset): return "read32 0x\(String(offset, radix: 16))"
        case let .write32(offset, value): return "write32 0x\(String(offset, radix: 16)) = 0x\(String(value, radix: 16))"
        case let .read64(offset): return "read64 0x\(String(offset, radix: 16))"
        case let .write64(offset, value): return "write64 0x\(String(offset, radix: 16)) = 0x\(String(value, radix: 16))"
        case .wait: return "wait"
        }
    }

    /// The offset written, for writes.
    var writtenOffset: Int? {
        switch self {
        case let .write32(offset, _): return offset
        case let .write64(offset, _): return offset
        default: return nil
        }
    }
}

/// A register file that stores what is written, answers reads from what it
/// holds, and logs every access in order. `behaviour` models the registers
/// whose reads are not simply the last value written (control and wake
/// registers); the test double of the GIC, never linked into the image.
final class RecordingRegisterFile: RegisterFile {
    private(set) var log: [RegisterAccess] = []
    var values: [Int: UInt64]
    /// Given an offset and the value a write stored, the value to keep.
    var onWrite: (Int, UInt64) -> UInt64 = { _, value in value }
    /// Given an offset and the stored value, the value a read returns.
    var onRead: (Int, UInt64) -> UInt64 = { _, value in value }
    /// Starts holding `values`, by offset; unlisted registers read 0.
    init(_ values: [Int: UInt64] = [:]) {
        self.values = values
    }

    func read32(_ offset: Int) -> UInt32 {
        log.append(.read32(offset))
        return UInt32(truncatingIfNeeded: onRead(offset, values[offset] ?? 0))
    }

    func write32(_ offset: Int, _ value: UInt32) {
        log.append(.write32(offset, value))
        values[offset] = onWrite(offset, UInt64(value))
    }

    func read64(_ offset: Int) -> UInt64 {
        log.append(.read64(offset))
        return onRead(offset, values[offset] ?? 0)
    }

    func write64(_ offset: Int, _ value: UInt64) {
        log.append(.write64(offset, value))
        values[offset] = onWrite(offset, value)
    }

    /// The `HardwareWait` tests pass: logs the wait and polls once, so a
    /// condition that does not already hold counts as a timeout.
    func wait(_ condition: () -> Bool) -> Bool {
        log.append(.wait)
        return condition()
    }

    /// The writes only, in order.
    var writes: [RegisterAccess] {
        log.filter { $0.writtenOffset != nil }
    }

    /// Indices in `log` of the writes to `offset`.
    func writeIndices(to offset: Int) -> [Int] {
        log.indices.filter { log[$0].writtenOffset == offset }
    }
}
