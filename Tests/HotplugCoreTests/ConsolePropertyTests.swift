// Property tests (swift-property-based, with shrinking) of the console's
// pure code: the parser fed random bytes and near-miss lines never traps and
// always gives a command or a well-formed one-line error; every valid command
// survives `text` -> `parse`; the line editor and the script splitter keep
// their invariants on random input.
import PropertyBased
import Testing
@testable import HotplugCore


/// Checks a parse result: an error's message is one line of printable ASCII
/// starting `error: `; a command's own text parses back to it.
private func checkOutcome(_ result: Result<ConsoleCommand?, ConsoleError>, cpuCount: Int) {
    switch result {
    case .success(nil):
        break
    case .success(let command?):
        #expect(isWithinLimits(command, cpuCount: cpuCount), "accepted out of range: \(command.text)")
        #expect(ConsoleParser.parse(Array(command.text.utf8), cpuCount: cpuCount) == .success(command))
    case .failure(let error):
        let message = error.message
        #expect(message.hasPrefix("error: "))
        #expect(message.utf8.allSatisfy { $0 >= 0x20 && $0 <= 0x7E }, "not one printable line: \(message)")
    }
}

/// The parser's promises about an accepted command, stated independently
/// of it: CPUs exist, INTIDs are SPIs or extended SPIs, masks are non-empty
/// and inside the machine, counts within their limits.
private func isWithinLimits(_ command: ConsoleCommand, cpuCount: Int) -> Bool {
    let cpus = max(0, min(cpuCount, CPUMask.capacity))
    func shared(_ intid: InterruptID) -> Bool {
        (32 ... 1019).contains(intid.rawValue) || (4096 ... 5119).contains(intid.rawValue)
    }
    switch command {
    case .cpuOffline(let cpu), .cpuOnline(let cpu):
        return cpu.index >= 0 && cpu.index < cpus
    case .cpus, .irqs, .check, .epoch, .help, .policy, .vcpus:
        return true
    case .vcpuMove(let vcpu, let cpu):
        return (0 ... 255).contains(vcpu.domain) && (0 ... 255).contains(vcpu.vcpu) && cpu.index < cpus
    case .showAffinity(let intid):
        return shared(intid)
    case .setAffinity(let intid, let mask):
        return shared(intid) && !mask.isEmpty && mask.allSatisfy { $0.index < cpus }
    case .fire(let intid, let count):
        return shared(intid) && count >= 1 && count <= 100_000
    case .stress(_, let events):
        return events >= 1 && events <= 1_000_000
    case .exit(let status):
        return status >= 0 && status <= 255
    }
}

/// The generated parts of a valid command; `command` builds it. All fields
/// shrink towards 0, i.e. towards the simplest command of each kind.
private struct CommandRecipe: Sendable, CustomStringConvertible {
    var kind: Int
    var first: UInt64
    var second: UInt64
    var cpuCount: Int

    static let kinds = 16

    var description: String { "\(command.text) (cpuCount \(cpuCount))" }

    var command: ConsoleCommand {
        switch kind {
        case 0: return .cpuOffline(LogicalCPU(Int(first % UInt64(cpuCount))))
        case 1: return .cpuOnline(LogicalCPU(Int(first % UInt64(cpuCount))))
        case 2: return .cpus
        case 3: return .irqs
        case 4: return .check
        case 5: return .help
        case 6: return .showAffinity(Self.sharedInterrupt(first))
        case 7: return .setAffinity(Self.sharedInterrupt(first), Self.mask(second, cpuCount: cpuCount))
        case 8: return .fire(Self.sharedInterrupt(first), count: 1 + Int(second % 100_000))
        case 9: return .policy(RebalancePolicyKind.allCases[Int(first % UInt64(RebalancePolicyKind.allCases.count))])
        case 10: return .stress(seed: first, events: 1 + Int(second % 1_000_000))
        case 11: return .exit(status: Int32(second % 256))
        case 12: return .epoch
        case 13: return .vcpus
        case 14: return .vcpuMove(VCPUID(domain: Int(first % 256), vcpu: Int(second % 256)),
                                  LogicalCPU(Int(second % UInt64(cpuCount))))
        default: return .fire(Self.sharedInterrupt(first), count: 1)
        }
    }

    /// An SPI or extended SPI, the range ends included often.
    static func sharedInterrupt(_ value: UInt64) -> InterruptID {
        let edges: [UInt32] = [32, 1019, 4096, 5119]
        if value % 8 == 7 {
            return InterruptID(edges[Int(value / 8 % 4)])
        }
        let spis = UInt64(1019 - 32 + 1)
        let position = value % (spis + 1024)
        return InterruptID(UInt32(position < spis ? 32 + position : 4096 + position - spis))
    }

    /// A non-empty mask of CPUs below `cpuCount`: sparse, dense or runs.
    static func mask(_ seed: UInt64, cpuCount: Int) -> CPUMask {
        var rng = SplitMix64(seed: seed)
        var mask = CPUMask()
        switch seed % 3 {
        case 0:
            for _ in 0 ... Int(rng.next() % 4) {
                mask.insert(LogicalCPU(Int(rng.next() % UInt64(cpuCount))))
            }
        case 1:
            for cpu in 0 ..< cpuCount where rng.next() % 2 == 0 {
                mask.insert(LogicalCPU(cpu))
            }
        default:
            for _ in 0 ... Int(rng.next() % 3) {
                let start = Int(rng.next() % UInt64(cpuCount))
                let end = min(cpuCount, start + 1 + Int(rng.next() % 40))
                for cpu in start ..< end {
                    mask.insert(LogicalCPU(cpu))
                }
            }
        }
        if mask.isEmpty {
            mask.insert(LogicalCPU(Int(seed % UInt64(cpuCount))))
        }
        return mask
    }
}

/// Valid commands for machines of 1 to 512 CPUs (small machines more often).
private let commandRecipes = zip(
    Gen.int(in: 0 ... CommandRecipe.kinds - 1),
    Gen<UInt64>.value(),
    Gen<UInt64>.value(),
    Gen.int(in: 0 ... 9)
).map { kind, first, second, size in
    CommandRecipe(kind: kind, first: first, second: second,
                  cpuCount: size < 8 ? 1 + size * 3 : (size == 8 ? 64 : CPUMask.capacity))
}

/// `command` written the long way round: random blanks, hex or zero-padded
/// numbers, the optional argument spelt out or left to its default, a
/// trailing comment. Parses to `command` all the same.
private func noisyText(_ command: ConsoleCommand, seed: UInt64) -> [UInt8] {
    var rng = SplitMix64(seed: seed)
    func blanks(atLeastOne: Bool) -> String {
        let choices = [" ", "\t", "  ", " \t "]
        let count = Int(rng.next() % 3) + (atLeastOne ? 1 : 0)
        return (0 ..< count).map { _ in choices[Int(rng.next() % 4)] }.joined()
    }
    func number<N: BinaryInteger>(_ value: N) -> String {
        switch rng.next() % 4 {
        case 0: return "0x" + String(value, radix: 16)
        case 1: return "0X" + String(value, radix: 16, uppercase: true)
        case 2: return "00" + String(value)
        default: return String(value)
        }
    }
    var words: [String] = [command.verb.word.withUTF8Buffer { String(decoding: $0, as: UTF8.self) }]
    switch command {
    case .cpuOffline(let cpu), .cpuOnline(let cpu):
        words.append(number(cpu.index))
    case .cpus, .irqs, .check, .epoch, .help, .vcpus:
        break
    case .vcpuMove(let vcpu, let cpu):
        words += [String(vcpu.domain) + "." + String(vcpu.vcpu), number(cpu.index)]
    case .showAffinity(let intid):
        words.append(number(intid.rawValue))
    case .setAffinity(let intid, let mask):
        words += [number(intid.rawValue), mask.cpuList]
    case .fire(let intid, let count):
        words.append(number(intid.rawValue))
        if count != 1 || rng.next() % 2 == 0 {
            words.append(number(count))
        }
    case .policy(let policy):
        words.append(policy.name.withUTF8Buffer { String(decoding: $0, as: UTF8.self) })
    case .stress(let seed, let events):
        words += [number(seed), number(events)]
    case .exit(let status):
        if status != 0 || rng.next() % 2 == 0 {
            words.append(number(status))
        }
    }
    var line = blanks(atLeastOne: false)
    for (index, word) in words.enumerated() {
        line += (index == 0 ? "" : blanks(atLeastOne: true)) + word
    }
    line += blanks(atLeastOne: false)
    if rng.next() % 4 == 0 {
        line += " # " + words.joined(separator: ";")
    }
    return Array(line.utf8)
}

/// One random change to a line, to make near misses of valid commands.
private func mutate(_ line: [UInt8], seed: UInt64, cpuCount: Int) -> [UInt8] {
    var rng = SplitMix64(seed: seed)
    var line = line
    let interesting = Array(" \t#;,-x0123456789aAfFzZ".utf8) + [0x00, 0x0A, 0x0D, 0x1B, 0x7F, 0x80, 0xC3, 0xFF]
    func randomByte() -> UInt8 {
        rng.next() % 2 == 0 ? interesting[Int(rng.next() % UInt64(interesting.count))] : UInt8(truncatingIfNeeded: rng.next())
    }
    func position(_ limit: Int) -> Int { Int(rng.next() % UInt64(max(limit, 1))) }
    var words = line.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 }).map(Array.init)
    switch rng.next() % 7 {
    case 0 where !line.isEmpty:
        line.remove(at: position(line.count))
    case 1:
        line.insert(randomByte(), at: position(line.count + 1))
    case 2 where !line.isEmpty:
        line[position(line.count)] = randomByte()
    case 3 where words.count >= 2:
        words.swapAt(position(words.count), position(words.count))
        line = Array(words.joined(separator: [0x20]))
    case 4 where !words.isEmpty:
        // A number (or any word) replaced by an edge or out-of-range value.
        let edges = ["0", "1", "-1", "31", "32", "1019", "1020", "4095", "4096", "5119", "5120", "255", "256",
                     "100000", "100001", "1000000", "1000001", "511", "512", "18446744073709551615",
                     "18446744073709551616", "0x", "0xFFFFFFFFFFFFFFFFF", "99999999999999999999999999", "4-2",
                     "0-511", "0,", "seed", "balanced", "load", String(cpuCount), String(cpuCount - 1), "0-\(cpuCount)"]
        words[position(words.count)] = Array(edges[position(edges.count)].utf8)
        line = Array(words.joined(separator: [0x20]))
    case 5:
        // A word repeated or added: too many arguments.
        words.insert(words.isEmpty ? [0x31] : words[position(words.count)], at: position(words.count + 1))
        line = Array(words.joined(separator: [0x20]))
    default:
        // The line cut short: missing arguments.
        line = Array(line.prefix(position(line.count + 1)))
    }
    return line
}

@Suite("Console properties")
struct ConsolePropertyTests {
    /// (a) Any bytes at all: no trap, and an error reads as one printable
    /// line. The CPU count is random too, including nonsense ones.
    @Test(.shrinking)
    func randomBytesNeverTrap() async {
        await propertyCheck(count: 10_000, input: Gen<UInt8>.value().array(of: 0 ... 300), Gen.int(in: -2 ... 600)) {
            bytes, cpuCount in
            checkOutcome(ConsoleParser.parse(bytes, cpuCount: cpuCount), cpuCount: cpuCount)
        }
    }

    /// (a') Random words drawn from the console's vocabulary reach deeper
    /// than random bytes, which almost never spell a verb.
    @Test(.shrinking)
    func randomVocabularyNeverTraps() async {
        let vocabulary = ["cpu-offline", "cpu-online", "cpus", "irqs", "irq-affinity", "fire", "policy", "stress",
                          "check", "epoch", "help", "exit", "seed", "balanced", "load", "0", "3", "33", "0x21", "1019", "4096",
                          "100000", "0-3", "1,2", "#", "x", "-1", "99999999999999999999"]
        await propertyCheck(
            count: 10_000,
            input: Gen.int(in: 0 ... vocabulary.count - 1).array(of: 0 ... 5), Gen.int(in: 1 ... 8)
        ) { picks, cpuCount in
            let line = Array(picks.map { vocabulary[$0] }.joined(separator: " ").utf8)
            checkOutcome(ConsoleParser.parse(line, cpuCount: cpuCount), cpuCount: cpuCount)
        }
    }

    /// (b) Near misses of valid commands (one byte deleted, inserted or
    /// replaced, words swapped, a number at or past its range, an extra word,
    /// the line cut short): no trap, a command or a well-formed error.
    @Test(.shrinking)
    func nearMissLinesNeverTrap() async {
        await propertyCheck(count: 10_000, input: commandRecipes, Gen<UInt64>.value(), Gen<UInt64>.value()) {
            recipe, noise, mutation in
            let line = mutate(noisyText(recipe.command, seed: noise), seed: mutation, cpuCount: recipe.cpuCount)
            checkOutcome(ConsoleParser.parse(line, cpuCount: recipe.cpuCount), cpuCount: recipe.cpuCount)
        }
    }

    /// (c) Every valid command's canonical text parses back to it, and so
    /// does the same command written with odd blanks, hex numbers, explicit
    /// defaults and a comment.
    @Test(.shrinking)
    func validCommandsRoundTrip() async {
        await propertyCheck(count: 10_000, input: commandRecipes, Gen<UInt64>.value()) { recipe, noise in
            let command = recipe.command
            #expect(ConsoleParser.parse(Array(command.text.utf8), cpuCount: recipe.cpuCount) == .success(command))
            let noisy = noisyText(command, seed: noise)
            #expect(ConsoleParser.parse(noisy, cpuCount: recipe.cpuCount) == .success(command),
                    "\(String(decoding: noisy, as: UTF8.self))")
        }
    }

    /// (d) The line editor fed random bytes never holds more than 256 bytes
    /// or anything but printable ASCII, and its line is exactly what it
    /// echoed less what it erased. Three mixes of input: raw bytes, mostly
    /// printable (long lines, overflows), and escape-sequence heavy.
    @Test(.shrinking)
    func lineEditorKeepsItsInvariants() async {
        await propertyCheck(count: 3_000, input: Gen<UInt8>.value().array(of: 0 ... 700), Gen.int(in: 0 ... 2)) {
            raw, mix in
            let input: [UInt8] = raw.map { byte in
                switch mix {
                case 0: return byte
                case 1: return byte < 3 ? [0x0D, 0x08, 0x7F][Int(byte)] : 0x20 + byte % 95
                default: return byte < 40 ? [0x1B, 0x5B, 0x4F, 0x0A][Int(byte % 4)] : 0x20 + byte % 95
                }
            }
            // Checked with plain comparisons, one `#expect` per case: a
            // million bytes go through here.
            var editor = LineEditor()
            var model: [UInt8] = []
            var overflowed = false
            var problem: String? = nil
            func check(_ condition: Bool, _ what: @autoclosure () -> String) {
                if !condition && problem == nil {
                    problem = what()
                }
            }
            for (offset, byte) in input.enumerated() {
                let event = editor.feed(byte)
                switch event {
                case .echo(let shown):
                    check(!overflowed, "echo after overflow at byte \(offset)")
                    model.append(shown)
                case .erase:
                    check(!model.isEmpty && !overflowed, "erase of nothing at byte \(offset)")
                    if !model.isEmpty {
                        model.removeLast()
                    }
                case .overflow:
                    check(!overflowed && model.count == LineEditor.capacity, "early overflow at byte \(offset)")
                    overflowed = true
                case .ignored:
                    break
                case .line:
                    check(editor.isComplete && editor.isOverflowed == overflowed, "line state at byte \(offset)")
                    let result = editor.command(cpuCount: 4)
                    if overflowed {
                        check(result == .failure(.lineTooLong(ConsoleWord(model))), "overflowed line at byte \(offset)")
                    } else if case .failure(let error) = result {
                        check(error.message.utf8.allSatisfy { $0 >= 0x20 && $0 <= 0x7E }, error.message)
                    }
                    // Clear as the console does, but not always: the editor
                    // must cope with a caller that forgets.
                    if byte % 2 == 0 {
                        editor.clear()
                    }
                }
                check(editor.count <= LineEditor.capacity, "count \(editor.count) at byte \(offset)")
                if event != .line && (event != .ignored || !editor.isComplete) {
                    check(editor.count == model.count, "count differs from echoes at byte \(offset)")
                }
                // The whole line is compared at each line end and every 16
                // bytes, which keeps the test linear in the input.
                guard event == .line || offset % 16 == 0 || offset == input.count - 1 else { continue }
                editor.withLine { line in
                    check(line.allSatisfy { $0 >= 0x20 && $0 <= 0x7E }, "unprintable byte held at byte \(offset)")
                    if event == .line {
                        check(byte % 2 == 0 ? line.isEmpty : line.elementsEqual(model), "line at byte \(offset)")
                    } else if event != .ignored || !editor.isComplete {
                        check(line.elementsEqual(model), "line differs from echoes at byte \(offset)")
                    }
                }
                if event == .line {
                    model.removeAll(keepingCapacity: true)
                    overflowed = false
                }
            }
            #expect(problem == nil, "\(problem ?? "")")
        }
    }

    /// The script splitter on random scripts: ranges in bounds, in order,
    /// non-empty, trimmed, and never holding a separator outside a comment.
    @Test(.shrinking)
    func scriptSplitterRangesAreSound() async {
        let alphabet = Array(" \t;\n\r#ab1".utf8)
        await propertyCheck(count: 3_000, input: Gen.int(in: 0 ... alphabet.count - 1).array(of: 0 ... 80)) {
            picks in
            let script = picks.map { alphabet[$0] }
            var previousEnd = 0
            for range in ScriptSplitter(script) {
                #expect(range.lowerBound >= previousEnd && range.upperBound <= script.count)
                #expect(!range.isEmpty)
                let piece = script[range]
                #expect(piece.first.map { $0 != 0x20 && $0 != 0x09 } == true)
                #expect(piece.last.map { $0 != 0x20 && $0 != 0x09 } == true)
                #expect(!piece.contains(0x0A) && !piece.contains(0x0D))
                let commandPart = piece.prefix { $0 != 0x23 }
                #expect(!commandPart.contains(0x3B))
                previousEnd = range.upperBound
            }
        }
    }
}
