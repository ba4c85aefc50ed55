import XCTest
@testable import HotplugCore

/// One access a register sequence made, in order, as `RecordingRegisterFile`
/// logs it, with its width; `wait` marks a call of the sequence's
/// `HardwareWait`.
enum RegisterAccess: Equatable, CustomStringConvertible {
    case read32(Int)
    case write32(Int, UInt32)
    case read64(Int)
    case write64(Int, UInt64)
    case wait

    /// The access a read of `register` makes: its width is the register's.
    static func read<Value: RegisterValue>(_ register: Register<Value>) -> RegisterAccess {
        Value.RawValue.bitWidth == 64 ? .read64(register.offset) : .read32(register.offset)
    }

    /// The access a write of `value` to `register` makes.
    static func write<Value: RegisterValue>(_ register: Register<Value>, _ value: Value) -> RegisterAccess {
        Value.RawValue.bitWidth == 64
            ? .write64(register.offset, UInt64(value.rawValue))
            : .write32(register.offset, UInt32(value.rawValue))
    }

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
/// holds, and logs every access in order. `onWrite` and `onRead` model the
/// registers whose reads are not simply the last value written (control and
/// wake registers); the test double of the hardware, never linked into the
/// image.
final class RecordingRegisterFile: RegisterFile {
    private(set) var log: [RegisterAccess] = []
    /// The register values, by offset.
    var values: [Int: UInt64]
    /// Given an offset and the value a write stored, the value to keep.
    var onWrite: (Int, UInt64) -> UInt64 = { _, value in value }
    /// Given an offset and the stored value, the value a read returns.
    var onRead: (Int, UInt64) -> UInt64 = { _, value in value }

    /// Starts holding `values`, by offset; unlisted registers read 0.
    init(_ values: [Int: UInt64] = [:]) {
        self.values = values
    }

    /// Starts holding the value of each register listed.
    convenience init<Value: RegisterValue>(_ register: Register<Value>, holding value: Value) {
        self.init([register.offset: UInt64(value.rawValue)])
    }

    func read(_ register: Register<UInt32>) -> UInt32 {
        log.append(.read32(register.offset))
        return UInt32(truncatingIfNeeded: onRead(register.offset, values[register.offset] ?? 0))
    }

    func write(_ register: Register<UInt32>, _ value: UInt32) {
        log.append(.write32(register.offset, value))
        values[register.offset] = onWrite(register.offset, UInt64(value))
    }

    func read(_ register: Register<UInt64>) -> UInt64 {
        log.append(.read64(register.offset))
        return onRead(register.offset, values[register.offset] ?? 0)
    }

    func write(_ register: Register<UInt64>, _ value: UInt64) {
        log.append(.write64(register.offset, value))
        values[register.offset] = onWrite(register.offset, value)
    }

    /// What `register` holds now, as its type.
    func value<Value: RegisterValue>(of register: Register<Value>) -> Value {
        Value(rawValue: Value.RawValue(truncatingIfNeeded: values[register.offset] ?? 0))
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

    /// Indices in `log` of the writes to `register`.
    func writeIndices<Value>(to register: Register<Value>) -> [Int] {
        log.indices.filter { log[$0].writtenOffset == register.offset }
    }
}

/// One step a CPU interface sequence took, as `RecordingCPUInterface` logs
/// it.
enum SystemRegisterAccess: Equatable {
    case read(SystemRegisterName)
    case write(SystemRegisterName, UInt64)
    case barrier(Barrier)

    /// A write of `value` to `register`, in the register's own type.
    static func write<Value: RegisterValue>(_ register: SystemRegister<Value>, _ value: Value) -> SystemRegisterAccess {
        .write(register.name, value.rawValue)
    }

    /// A read of `register`.
    static func read<Value: RegisterValue>(_ register: SystemRegister<Value>) -> SystemRegisterAccess {
        .read(register.name)
    }
}

/// A CPU's system registers and barriers that log every step in order and
/// answer reads from what was written (or `values`), failing the test on an
/// access the architecture does not allow (reading a write-only register,
/// writing a read-only one). The test double of `SystemRegisters`.
final class RecordingCPUInterface: SystemRegisterFile {
    private(set) var log: [SystemRegisterAccess] = []
    /// The register values; unlisted registers read 0.
    var values: [SystemRegisterName: UInt64]

    init(_ values: [SystemRegisterName: UInt64] = [:]) {
        self.values = values
    }

    func read(_ register: SystemRegisterName) -> UInt64 {
        XCTAssertTrue(register.isReadable, "read of write-only \(register)")
        log.append(.read(register))
        return values[register] ?? 0
    }

    func write(_ register: SystemRegisterName, _ value: UInt64) {
        XCTAssertTrue(register.isWritable, "write of read-only \(register)")
        log.append(.write(register, value))
        values[register] = value
    }

    func barrier(_ barrier: Barrier) {
        log.append(.barrier(barrier))
    }
}

/// A simulated physical address space holding register values by address,
/// for the code that finds frames by reading them (the redistributor
/// search). Every read is logged; a read where nothing is stored fails the
/// test; nothing may be written. `frame(at:)` gives the register file of the
/// frame at a base address, as `MMIORegion(base:)` does in the image.
class SimulatedAddressSpace {
    /// Values by address.
    var values: [UInt64: UInt64] = [:]
    /// Every address read, in order.
    var reads: [UInt64] = []

    /// Stores `value` in `register` of the frame at `base`.
    func store<Value: RegisterValue>(_ value: Value, in register: Register<Value>, ofFrameAt base: UInt64) {
        values[base + UInt64(register.offset)] = UInt64(value.rawValue)
    }

    /// The registers of the frame at `base`.
    func frame(at base: UInt64) -> Frame {
        Frame(space: self, base: base)
    }

    fileprivate func read(_ address: UInt64) -> UInt64 {
        reads.append(address)
        guard let value = values[address] else {
            XCTFail("read of 0x\(String(address, radix: 16)), where nothing is")
            return 0
        }
        return value
    }

    /// One frame of the space.
    struct Frame: RegisterFile {
        let space: SimulatedAddressSpace
        let base: UInt64

        func read(_ register: Register<UInt32>) -> UInt32 {
            UInt32(truncatingIfNeeded: space.read(base + UInt64(register.offset)))
        }

        func read(_ register: Register<UInt64>) -> UInt64 {
            space.read(base + UInt64(register.offset))
        }

        func write(_ register: Register<UInt32>, _ value: UInt32) {
            XCTFail("write to 0x\(String(base + UInt64(register.offset), radix: 16)) while searching")
        }

        func write(_ register: Register<UInt64>, _ value: UInt64) {
            XCTFail("write to 0x\(String(base + UInt64(register.offset), radix: 16)) while searching")
        }
    }
}
