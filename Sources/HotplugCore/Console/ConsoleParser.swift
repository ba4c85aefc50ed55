/// Reads one console line into a `ConsoleCommand`.
///
/// The grammar, over bytes:
///
///     line     = *blank [ command *blank ] [ comment ]
///     command  = verb *( 1*blank argument )
///     comment  = "#" *byte            ; only where a word could start
///     number   = 1*DIGIT / "0" ("x" / "X") 1*HEXDIG
///
/// `blank` is space or tab (and CR, LF, VT, FF). Each verb's arguments are in
/// `ConsoleVerb.usage`. A line is checked completely before anything runs:
/// words, numbers, ranges, the CPU count and the INTID class, so that a
/// refused line changes nothing. Any bytes at all may be passed; parsing never
/// traps and never allocates except to build an error message on request.
public enum ConsoleParser {
    /// `fire INTID COUNT`: how many times one command may fire.
    public static let fireCounts: ClosedRange<Int> = 1 ... 100_000
    /// `stress SEED EVENTS`: how many events one stress run may have.
    public static let stressEvents: ClosedRange<Int> = 1 ... 1_000_000
    /// `exit STATUS`: the statuses a semihosting exit reports to the host
    /// shell (one byte there).
    public static let exitStatuses: ClosedRange<Int32> = 0 ... 255

    /// Parses `line` (without its line ending) for a machine of `cpuCount`
    /// CPUs; a count above `CPUMask.capacity` is treated as the capacity.
    ///
    /// - Returns: the command, `nil` for a blank or comment-only line, or why
    ///   the line was refused.
    public static func parse<Bytes: Collection>(
        _ line: Bytes,
        cpuCount: Int
    ) -> Result<ConsoleCommand?, ConsoleError> where Bytes.Element == UInt8 {
        do throws(ConsoleError) {
            return .success(try command(line, cpuCount: cpuCount))
        } catch {
            return .failure(error)
        }
    }

    /// `parse`, throwing instead of returning a `Result`.
    public static func command<Bytes: Collection>(
        _ line: Bytes,
        cpuCount: Int
    ) throws(ConsoleError) -> ConsoleCommand? where Bytes.Element == UInt8 {
        var words = ConsoleWords(line)
        guard let first = words.next() else { return nil }
        guard let verb = ConsoleVerb(word: first) else {
            throw .unknownCommand(ConsoleWord(first))
        }
        var arguments = ConsoleArguments(verb: verb, words: words)
        let cpus = cpuCount < 0 ? 0 : min(cpuCount, CPUMask.capacity)
        let parsed: ConsoleCommand
        switch verb {
        case .cpuOffline:
            parsed = .cpuOffline(try cpu(arguments.required(.cpu), cpuCount: cpus))
        case .cpuOnline:
            parsed = .cpuOnline(try cpu(arguments.required(.cpu), cpuCount: cpus))
        case .cpus:
            parsed = .cpus
        case .irqs:
            parsed = .irqs
        case .irqAffinity:
            let intid = try sharedInterrupt(arguments.required(.intid))
            if let list = arguments.optional() {
                parsed = .setAffinity(intid, try cpuList(list, cpuCount: cpus))
            } else {
                parsed = .showAffinity(intid)
            }
        case .fire:
            let intid = try sharedInterrupt(arguments.required(.intid))
            var count = 1
            if let word = arguments.optional() {
                count = Int(try number(word, .count, in: widen(fireCounts)))
            }
            parsed = .fire(intid, count: count)
        case .vcpus:
            parsed = .vcpus
        case .vcpuMove:
            let vcpu = try virtualCPU(arguments.required(.vcpu))
            parsed = .vcpuMove(vcpu, try cpu(arguments.required(.cpu), cpuCount: cpus))
        case .policy:
            let word = try arguments.required(.policy)
            guard let policy = RebalancePolicyKind(parsing: word) else {
                throw .unknownPolicy(ConsoleWord(word))
            }
            parsed = .policy(policy)
        case .stress:
            let seed = try number(arguments.required(.seed), .seed, in: 0 ... UInt64.max)
            let events = try number(arguments.required(.events), .events, in: widen(stressEvents))
            parsed = .stress(seed: seed, events: Int(events))
        case .check:
            parsed = .check
        case .epoch:
            parsed = .epoch
        case .help:
            parsed = .help
        case .exit:
            var status: Int32 = 0
            if let word = arguments.optional() {
                status = Int32(try number(word, .status, in: widen(exitStatuses)))
            }
            parsed = .exit(status: status)
        }
        try arguments.end()
        return parsed
    }

    /// A number in `range`.
    private static func number<Word: Collection>(
        _ word: Word,
        _ argument: ConsoleArgument,
        in range: ClosedRange<UInt64>
    ) throws(ConsoleError) -> UInt64 where Word.Element == UInt8 {
        switch ConsoleNumber(word) {
        case .malformed:
            throw .malformedNumber(argument, ConsoleWord(word))
        case .tooLarge:
            throw .numberOutOfRange(argument, ConsoleWord(word), range)
        case .value(let value):
            guard range.contains(value) else {
                throw .numberOutOfRange(argument, ConsoleWord(word), range)
            }
            return value
        }
    }

    /// The most domains and vCPUs per domain a `DOMAIN.VCPU` may name.
    public static let virtualCPUNumbers: ClosedRange<UInt64> = 0 ... 255

    /// A vCPU name, `DOMAIN.VCPU`: two decimal numbers joined by one dot.
    private static func virtualCPU<Word: Collection>(_ word: Word) throws(ConsoleError) -> VCPUID
    where Word.Element == UInt8 {
        guard let dot = word.firstIndex(of: UInt8(ascii: ".")) else { throw .malformedVCPU(ConsoleWord(word)) }
        let domainWord = word[word.startIndex ..< dot]
        let vcpuWord = word[word.index(after: dot)...]
        let isDecimal = { (part: Word.SubSequence) in
            !part.isEmpty && part.count <= 3 && part.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        }
        guard isDecimal(domainWord), isDecimal(vcpuWord),
              case .value(let domain) = ConsoleNumber(domainWord), case .value(let vcpu) = ConsoleNumber(vcpuWord),
              virtualCPUNumbers.contains(domain), virtualCPUNumbers.contains(vcpu)
        else { throw .malformedVCPU(ConsoleWord(word)) }
        return VCPUID(domain: Int(domain), vcpu: Int(vcpu))
    }

    /// A CPU number below `cpuCount`.
    private static func cpu<Word: Collection>(
        _ word: Word,
        cpuCount: Int
    ) throws(ConsoleError) -> LogicalCPU where Word.Element == UInt8 {
        switch ConsoleNumber(word) {
        case .malformed:
            throw .malformedNumber(.cpu, ConsoleWord(word))
        case .tooLarge:
            throw .noSuchCPU(ConsoleWord(word), cpuCount: cpuCount)
        case .value(let value):
            guard value < UInt64(cpuCount) else {
                throw .noSuchCPU(ConsoleWord(word), cpuCount: cpuCount)
            }
            return LogicalCPU(Int(value))
        }
    }

    /// The INTID of an SPI, extended SPI or LPI. Whether the GIC implements
    /// it (`GICD_TYPER.ITLinesNumber`, `ESPI_range`) or the ITS maps it is
    /// for the kernel to check.
    private static func sharedInterrupt<Word: Collection>(
        _ word: Word
    ) throws(ConsoleError) -> InterruptID where Word.Element == UInt8 {
        switch ConsoleNumber(word) {
        case .malformed:
            throw .malformedNumber(.intid, ConsoleWord(word))
        case .tooLarge:
            throw .notSharedInterrupt(ConsoleWord(word))
        case .value(let value):
            guard value <= UInt64(UInt32.max), InterruptID(UInt32(value)).isShared || InterruptID(UInt32(value)).kind == .lpi else {
                throw .notSharedInterrupt(ConsoleWord(word))
            }
            return InterruptID(UInt32(value))
        }
    }

    /// A non-empty cpu list of CPUs below `cpuCount`.
    private static func cpuList<Word: Collection>(
        _ word: Word,
        cpuCount: Int
    ) throws(ConsoleError) -> CPUMask where Word.Element == UInt8 {
        let mask: CPUMask
        do throws(CPUListError) {
            mask = try CPUMask(parsingCPUList: word, limit: cpuCount)
        } catch {
            throw .badCPUList(ConsoleWord(word), error)
        }
        // A word is never empty, so a list that parsed names a CPU; the check
        // keeps the promise of `setAffinity` even so.
        guard !mask.isEmpty else {
            throw .badCPUList(ConsoleWord(word), .empty)
        }
        return mask
    }

    private static func widen<Bound: BinaryInteger>(_ range: ClosedRange<Bound>) -> ClosedRange<UInt64> {
        UInt64(range.lowerBound) ... UInt64(range.upperBound)
    }
}

/// The words after the verb, taken one argument at a time.
private struct ConsoleArguments<Bytes: Collection> where Bytes.Element == UInt8 {
    let verb: ConsoleVerb
    var words: ConsoleWords<Bytes>

    /// The next word, which the command cannot do without.
    mutating func required(_ argument: ConsoleArgument) throws(ConsoleError) -> Bytes.SubSequence {
        guard let word = words.next() else {
            throw .missingArgument(verb, argument)
        }
        return word
    }

    /// The next word, if any.
    mutating func optional() -> Bytes.SubSequence? {
        words.next()
    }

    /// Refuses a word after the last argument.
    mutating func end() throws(ConsoleError) {
        if let extra = words.next() {
            throw .unexpectedArgument(verb, ConsoleWord(extra))
        }
    }
}
