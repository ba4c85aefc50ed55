// The Linux "cpu list" text form of a `CPUMask`: comma-separated CPU numbers
// and inclusive ranges, e.g. `0-2,5` (Linux
// `Documentation/admin-guide/kernel-parameters.rst`, "cpu lists"; also what
// `/sys/devices/system/cpu/online` shows and what `%*pbl` prints).
//
// Grammar accepted here, over UTF-8 bytes:
//
//     list  = item *( "," item )
//     item  = cpu [ "-" cpu ]      ; a range is inclusive, low end first
//     cpu   = 1*DIGIT              ; decimal, leading zeros allowed
//
// No spaces, no empty items, no trailing comma. Linux's extensions (`N` for
// the last CPU, `all`, `none`, `a-b:used/group`) are not accepted. Parsing
// never traps: every malformed input yields a `CPUListError`.

/// Why a cpu list did not parse. Offsets count UTF-8 bytes from 0.
public enum CPUListError: Error, Equatable, Sendable {
    /// The text is empty.
    case empty
    /// The text ended where a CPU number was expected (`"1-"`, `"1,"`).
    case unexpectedEnd(offset: Int)
    /// `byte` at `offset` is neither a digit nor a separator allowed there
    /// (`"-1"`, `"1,,2"`, `"a"`, `"1 2"`).
    case unexpectedCharacter(byte: UInt8, offset: Int)
    /// The number starting at `offset` does not fit in an `Int`.
    case numberTooLarge(offset: Int)
    /// A range whose high end is below its low end (`"3-1"`); `offset` is
    /// where the range starts.
    case descendingRange(first: Int, last: Int, offset: Int)
    /// `cpu`, at `offset`, is not below the `limit` the caller allowed.
    case cpuOutOfRange(cpu: Int, limit: Int, offset: Int)

    /// One line saying what is wrong, for a console or a test failure.
    public var message: String {
        switch self {
        case .empty:
            return "cpu list is empty"
        case .unexpectedEnd(let offset):
            return "cpu list ends at offset \(offset) where a cpu number is expected"
        case .unexpectedCharacter(let byte, let offset):
            return "unexpected \(CPUListError.describe(byte)) at offset \(offset) in cpu list"
        case .numberTooLarge(let offset):
            return "number at offset \(offset) in cpu list is too large"
        case .descendingRange(let first, let last, let offset):
            return "range \(first)-\(last) at offset \(offset) runs downwards"
        case .cpuOutOfRange(let cpu, let limit, _):
            if limit <= 0 {
                return "cpu \(cpu) given but no cpus are allowed"
            }
            return "cpu \(cpu) is beyond \(limit - 1)"
        }
    }

    /// A printable ASCII byte in quotes, anything else as its value in hex,
    /// so that a message never carries a control byte or half a UTF-8 sequence.
    static func describe(_ byte: UInt8) -> String {
        if byte >= 0x21 && byte <= 0x7E {
            var text = "character '"
            text.unicodeScalars.append(Unicode.Scalar(byte))
            text += "'"
            return text
        }
        if byte == 0x20 {
            return "space"
        }
        return "byte 0x\(String(byte, radix: 16))"
    }
}

extension CPUMask {
    /// The members as a compact cpu list, e.g. `0-2,5`; `""` when empty.
    /// Runs of two or more CPUs are printed as ranges (`3-4`), as Linux's
    /// `%*pbl` does.
    public var cpuList: String {
        var text = ""
        var runStart = -1
        var runEnd = -1
        for cpu in self {
            if cpu.index == runEnd + 1 && runStart >= 0 {
                runEnd = cpu.index
                continue
            }
            if runStart >= 0 {
                CPUMask.appendRun(runStart, runEnd, to: &text)
            }
            runStart = cpu.index
            runEnd = cpu.index
        }
        if runStart >= 0 {
            CPUMask.appendRun(runStart, runEnd, to: &text)
        }
        return text
    }

    private static func appendRun(_ start: Int, _ end: Int, to text: inout String) {
        if !text.isEmpty {
            text += ","
        }
        text += String(start)
        if end != start {
            text += "-"
            text += String(end)
        }
    }

    /// Parses a cpu list given as UTF-8 bytes.
    ///
    /// `limit` is the number of CPUs the caller has (a CPU numbered `limit` or
    /// above is `cpuOutOfRange`); it is clamped to `0 ... CPUMask.capacity`,
    /// so the default accepts every CPU a mask can hold.
    public init<Bytes: Sequence>(
        parsingCPUList bytes: Bytes,
        limit: Int = CPUMask.capacity
    ) throws(CPUListError) where Bytes.Element == UInt8 {
        let allowed = limit < 0 ? 0 : (limit > CPUMask.capacity ? CPUMask.capacity : limit)
        var scanner = CPUListScanner(bytes.makeIterator())
        guard scanner.current != nil else { throw .empty }
        var mask = CPUMask()
        while true {
            let firstOffset = scanner.offset
            let first = try scanner.cpu(limit: allowed)
            var last = first
            if scanner.current == CPUListScanner<Bytes.Iterator>.hyphen {
                scanner.advance()
                last = try scanner.cpu(limit: allowed)
                guard last >= first else {
                    throw .descendingRange(first: first, last: last, offset: firstOffset)
                }
            }
            mask.insertRange(first, last)
            guard let byte = scanner.current else { break }
            guard byte == CPUListScanner<Bytes.Iterator>.comma else {
                throw .unexpectedCharacter(byte: byte, offset: scanner.offset)
            }
            scanner.advance()
        }
        self = mask
    }

    /// Parses a cpu list held in a `String`; see `init(parsingCPUList:limit:)`.
    public init(parsingCPUList text: String, limit: Int = CPUMask.capacity) throws(CPUListError) {
        try self.init(parsingCPUList: text.utf8, limit: limit)
    }

    /// Parses a cpu list held in any string, e.g. a `Substring` cut from a
    /// command line; see `init(parsingCPUList:limit:)`.
    public static func parse<Text: StringProtocol>(
        cpuList text: Text,
        limit: Int = CPUMask.capacity
    ) throws(CPUListError) -> CPUMask {
        try CPUMask(parsingCPUList: text.utf8, limit: limit)
    }
}

/// Reads a cpu list one byte at a time, keeping one byte of lookahead and
/// its offset for error reports.
struct CPUListScanner<Bytes: IteratorProtocol> where Bytes.Element == UInt8 {
    static var hyphen: UInt8 { 0x2D }
    static var comma: UInt8 { 0x2C }
    static var zero: UInt8 { 0x30 }
    static var nine: UInt8 { 0x39 }

    private var bytes: Bytes
    /// The byte not yet consumed; `nil` at the end of the text.
    private(set) var current: UInt8?
    /// Offset of `current` (or the text's length at the end).
    private(set) var offset: Int

    init(_ bytes: Bytes) {
        self.bytes = bytes
        current = self.bytes.next()
        offset = 0
    }

    mutating func advance() {
        guard current != nil else { return }
        current = bytes.next()
        offset += 1
    }

    /// Reads one decimal CPU number below `limit`.
    mutating func cpu(limit: Int) throws(CPUListError) -> Int {
        let start = offset
        guard let byte = current else { throw .unexpectedEnd(offset: offset) }
        guard byte >= Self.zero && byte <= Self.nine else {
            throw .unexpectedCharacter(byte: byte, offset: offset)
        }
        var value = 0
        var tooLarge = false
        while let digit = current, digit >= Self.zero && digit <= Self.nine {
            // Keep consuming after an overflow so the error names the number's
            // start, not a digit in its middle.
            let scaled = value.multipliedReportingOverflow(by: 10)
            let sum = scaled.partialValue.addingReportingOverflow(Int(digit - Self.zero))
            if scaled.overflow || sum.overflow {
                tooLarge = true
            }
            value = sum.partialValue
            advance()
        }
        if tooLarge {
            throw .numberTooLarge(offset: start)
        }
        guard value < limit else {
            throw .cpuOutOfRange(cpu: value, limit: limit, offset: start)
        }
        return value
    }
}
