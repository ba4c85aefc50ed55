// Host tests for the console's command parser (`ConsoleParser`): a table of
// lines it must accept, with the command each gives, and a table of lines it
// must refuse, with the exact error and the exact message, covering every
// `ConsoleError` case. Also `ConsoleCommand.text`, `ConsoleHelp` and
// `ConsoleWord`.
import XCTest
@testable import HotplugCore

private func cpu(_ index: Int) -> LogicalCPU { LogicalCPU(index) }
private func intid(_ value: UInt32) -> InterruptID { InterruptID(value) }
private func mask(_ indices: Int...) -> CPUMask { CPUMask(indices.map(LogicalCPU.init)) }
private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

final class ConsoleParserTests: XCTestCase {
    /// Lines that parse, for a machine of `cpus` CPUs (4 unless said).
    private let valid: [(line: [UInt8], cpus: Int, command: ConsoleCommand?, why: String)] = [
        (bytes(""), 4, nil, "empty line"),
        (bytes("  \t  "), 4, nil, "blanks only"),
        (bytes("# cpu-offline 9"), 4, nil, "comment: not even looked at"),
        (bytes("   #indented comment"), 4, nil, "comment after blanks"),
        (bytes("cpus"), 4, .cpus, "cpus"),
        (bytes("irqs"), 4, .irqs, "irqs"),
        (bytes("check"), 4, .check, "check"),
        (bytes("epoch"), 4, .epoch, "epoch"),
        (bytes("policy load"), 4, .policy(.load), "the load policy"),
        (bytes("help"), 4, .help, "help"),
        (bytes("cpu-offline 2"), 4, .cpuOffline(cpu(2)), "xen-hptool spelling"),
        (bytes("cpu-online 0x3"), 4, .cpuOnline(cpu(3)), "hex CPU, the last one"),
        (bytes("cpu-online 0X0"), 4, .cpuOnline(cpu(0)), "capital X"),
        (bytes("  cpu-offline\t\t3  "), 4, .cpuOffline(cpu(3)), "leading, trailing and tab blanks"),
        (bytes("cpu-offline 007"), 8, .cpuOffline(cpu(7)), "leading zeros are decimal, not octal"),
        (bytes("cpu-offline 511"), 512, .cpuOffline(cpu(511)), "largest machine"),
        (bytes("cpu-offline 511"), 100_000, .cpuOffline(cpu(511)), "CPU count above the mask capacity is clamped"),
        (bytes("cpus\r"), 4, .cpus, "CR of a CRLF script line is blank"),
        (bytes("irq-affinity 33"), 4, .showAffinity(intid(33)), "show affinity: PL011 is SPI 1"),
        (bytes("irq-affinity 0x21 0-2,3"), 4, .setAffinity(intid(33), mask(0, 1, 2, 3)), "set affinity, hex INTID"),
        (bytes("irq-affinity 32 0"), 4, .setAffinity(intid(32), mask(0)), "first SPI"),
        (bytes("irq-affinity 1019 1,3"), 4, .setAffinity(intid(1019), mask(1, 3)), "last SPI"),
        (bytes("irq-affinity 4096 3"), 4, .setAffinity(intid(4096), mask(3)), "first extended SPI"),
        (bytes("irq-affinity 5119 2-3"), 4, .setAffinity(intid(5119), mask(2, 3)), "last extended SPI"),
        (bytes("fire 33"), 4, .fire(intid(33), count: 1), "count defaults to 1"),
        (bytes("fire 40 100000"), 4, .fire(intid(40), count: 100_000), "largest count"),
        (bytes("fire 0x1000 0x10"), 4, .fire(intid(4096), count: 16), "hex INTID and count"),
        (bytes("fire 8192"), 4, .fire(intid(8192), count: 1), "an LPI (the kernel checks it is mapped)"),
        (bytes("irq-affinity 16383 1-2"), 4, .setAffinity(intid(16383), mask(1, 2)), "an LPI's affinity"),
        (bytes("fire 0xfA 0xA"), 4, .fire(intid(250), count: 10), "mixed-case hex digits"),
        (bytes("policy seed"), 4, .policy(.seed), "seed policy"),
        (bytes("policy balanced"), 4, .policy(.balanced), "balanced policy"),
        (bytes("stress 0 1"), 4, .stress(seed: 0, events: 1), "smallest stress"),
        (bytes("stress 18446744073709551615 1000000"), 4, .stress(seed: .max, events: 1_000_000), "largest stress"),
        (bytes("stress 0xFFFFFFFFFFFFFFFF 5"), 4, .stress(seed: .max, events: 5), "largest seed in hex"),
        (bytes("exit"), 4, .exit(status: 0), "status defaults to 0"),
        (bytes("exit 255"), 4, .exit(status: 255), "largest status"),
        (bytes("exit 0x2"), 4, .exit(status: 2), "hex status"),
        (bytes("cpus # show them"), 4, .cpus, "trailing comment"),
        (bytes("exit 2 #3"), 4, .exit(status: 2), "comment after the last argument"),
        (bytes("exit #3"), 4, .exit(status: 0), "a comment is not an argument"),
    ]

    func testValidLines() {
        for (line, cpus, expected, why) in valid {
            let result = ConsoleParser.parse(line, cpuCount: cpus)
            XCTAssertEqual(result, .success(expected), why)
        }
    }

    /// `command` (throwing) and `parse` (Result) agree; an
    /// `UnsafeRawBufferPointer` works as well as an array.
    func testThrowingFormAndRawBuffer() throws {
        let line = bytes("  irq-affinity 33 1-2 ")
        XCTAssertEqual(try ConsoleParser.command(line, cpuCount: 4), .setAffinity(intid(33), mask(1, 2)))
        line.withUnsafeBytes { raw in
            XCTAssertEqual(ConsoleParser.parse(raw, cpuCount: 4), .success(.setAffinity(intid(33), mask(1, 2))))
        }
        XCTAssertThrowsError(try ConsoleParser.command(bytes("nope"), cpuCount: 4)) { error in
            XCTAssertEqual(error as? ConsoleError, .unknownCommand("nope"))
        }
    }

    /// Lines that are refused, for 4 CPUs unless said: the error, and the
    /// message word for word.
    private let invalid: [(line: [UInt8], cpus: Int, error: ConsoleError, message: String, why: String)] = [
        // Unknown commands, and what an odd word looks like in a message.
        (bytes("cpu-offlin 2"), 4, .unknownCommand("cpu-offlin"),
         "error: unknown command 'cpu-offlin' (try 'help')", "typo"),
        (bytes("CPUS"), 4, .unknownCommand("CPUS"),
         "error: unknown command 'CPUS' (try 'help')", "verbs are case sensitive"),
        (bytes("offline;2"), 4, .unknownCommand("offline;2"),
         "error: unknown command 'offline;2' (try 'help')", "the parser does not split on ';'"),
        ([0x1B, 0x5B, 0x32, 0x4A], 4, .unknownCommand(ConsoleWord([0x1B, 0x5B, 0x32, 0x4A])),
         "error: unknown command '\\x1b[2J' (try 'help')", "an escape sequence is shown escaped"),
        (bytes("caf\u{E9}"), 4, .unknownCommand(ConsoleWord(bytes("caf\u{E9}"))),
         "error: unknown command 'caf\\xc3\\xa9' (try 'help')", "UTF-8 is shown byte by byte"),
        ([0x00, 0x7F, 0xFF], 4, .unknownCommand(ConsoleWord([0x00, 0x7F, 0xFF])),
         "error: unknown command '\\x00\\x7f\\xff' (try 'help')", "NUL, DEL and 0xFF"),
        (bytes("back\\x41"), 4, .unknownCommand("back\\x41"),
         "error: unknown command 'back\\\\x41' (try 'help')", "a backslash is doubled so escapes stay unambiguous"),
        (bytes(String(repeating: "a", count: 40)), 4, .unknownCommand(ConsoleWord(bytes(String(repeating: "a", count: 40)))),
         "error: unknown command '" + String(repeating: "a", count: 32) + "...' (try 'help')",
         "a long word is cut at 32 bytes"),
        // Missing arguments.
        (bytes("cpu-offline"), 4, .missingArgument(.cpuOffline, .cpu),
         "error: 'cpu-offline' is missing the cpu number (usage: cpu-offline N)", "cpu-offline alone"),
        (bytes("cpu-online  # 2"), 4, .missingArgument(.cpuOnline, .cpu),
         "error: 'cpu-online' is missing the cpu number (usage: cpu-online N)", "the number is in a comment"),
        (bytes("irq-affinity"), 4, .missingArgument(.irqAffinity, .intid),
         "error: 'irq-affinity' is missing the INTID (usage: irq-affinity INTID [CPULIST])", "irq-affinity alone"),
        (bytes("fire"), 4, .missingArgument(.fire, .intid),
         "error: 'fire' is missing the INTID (usage: fire INTID [COUNT])", "fire alone"),
        (bytes("policy"), 4, .missingArgument(.policy, .policy),
         "error: 'policy' is missing the policy name (usage: policy seed|balanced|load)", "policy alone"),
        (bytes("stress"), 4, .missingArgument(.stress, .seed),
         "error: 'stress' is missing the seed (usage: stress SEED EVENTS)", "stress alone"),
        (bytes("stress 1"), 4, .missingArgument(.stress, .events),
         "error: 'stress' is missing the event count (usage: stress SEED EVENTS)", "stress without events"),
        // Unexpected arguments.
        (bytes("cpus now"), 4, .unexpectedArgument(.cpus, "now"),
         "error: unexpected argument 'now' to 'cpus' (usage: cpus)", "cpus takes nothing"),
        (bytes("help cpus"), 4, .unexpectedArgument(.help, "cpus"),
         "error: unexpected argument 'cpus' to 'help' (usage: help)", "help takes nothing"),
        (bytes("fire 33 1 2"), 4, .unexpectedArgument(.fire, "2"),
         "error: unexpected argument '2' to 'fire' (usage: fire INTID [COUNT])", "fire with two counts"),
        (bytes("irq-affinity 33 0-1 2"), 4, .unexpectedArgument(.irqAffinity, "2"),
         "error: unexpected argument '2' to 'irq-affinity' (usage: irq-affinity INTID [CPULIST])",
         "a space inside a cpu list"),
        (bytes("exit 0 0"), 4, .unexpectedArgument(.exit, "0"),
         "error: unexpected argument '0' to 'exit' (usage: exit [STATUS])", "exit with two statuses"),
        (bytes("cpu-offline 1 2"), 4, .unexpectedArgument(.cpuOffline, "2"),
         "error: unexpected argument '2' to 'cpu-offline' (usage: cpu-offline N)", "one CPU at a time"),
        // Malformed numbers.
        (bytes("cpu-offline x12"), 4, .malformedNumber(.cpu, "x12"),
         "error: 'x12' is not a number (the cpu number is decimal or 0x hex)", "not a number"),
        (bytes("cpu-offline -1"), 4, .malformedNumber(.cpu, "-1"),
         "error: '-1' is not a number (the cpu number is decimal or 0x hex)", "no sign"),
        (bytes("cpu-online +1"), 4, .malformedNumber(.cpu, "+1"),
         "error: '+1' is not a number (the cpu number is decimal or 0x hex)", "no plus sign either"),
        (bytes("fire 0x 1"), 4, .malformedNumber(.intid, "0x"),
         "error: '0x' is not a number (the INTID is decimal or 0x hex)", "0x without digits"),
        (bytes("fire 33 0x1g"), 4, .malformedNumber(.count, "0x1g"),
         "error: '0x1g' is not a number (the count is decimal or 0x hex)", "bad hex digit"),
        (bytes("fire 33 1a"), 4, .malformedNumber(.count, "1a"),
         "error: '1a' is not a number (the count is decimal or 0x hex)", "hex digit without 0x"),
        (bytes("stress 1.5 3"), 4, .malformedNumber(.seed, "1.5"),
         "error: '1.5' is not a number (the seed is decimal or 0x hex)", "no fractions"),
        (bytes("stress 1 1_000"), 4, .malformedNumber(.events, "1_000"),
         "error: '1_000' is not a number (the event count is decimal or 0x hex)", "no digit separators"),
        (bytes("exit 1e3"), 4, .malformedNumber(.status, "1e3"),
         "error: '1e3' is not a number (the exit status is decimal or 0x hex)", "no exponents"),
        (bytes("exit 99999999999999999999999x"), 4, .malformedNumber(.status, "99999999999999999999999x"),
         "error: '99999999999999999999999x' is not a number (the exit status is decimal or 0x hex)",
         "malformed wins over too large"),
        // Numbers out of range.
        (bytes("fire 33 0"), 4, .numberOutOfRange(.count, "0", 1 ... 100_000),
         "error: count 0 is out of range (1-100000)", "count below 1"),
        (bytes("fire 33 100001"), 4, .numberOutOfRange(.count, "100001", 1 ... 100_000),
         "error: count 100001 is out of range (1-100000)", "count above the limit"),
        (bytes("stress 18446744073709551616 1"), 4,
         .numberOutOfRange(.seed, "18446744073709551616", 0 ... UInt64.max),
         "error: seed 18446744073709551616 is out of range (0-18446744073709551615)", "seed past 64 bits"),
        (bytes("stress 0x10000000000000000 1"), 4,
         .numberOutOfRange(.seed, "0x10000000000000000", 0 ... UInt64.max),
         "error: seed 0x10000000000000000 is out of range (0-18446744073709551615)", "hex seed past 64 bits"),
        (bytes("stress 1 0"), 4, .numberOutOfRange(.events, "0", 1 ... 1_000_000),
         "error: event count 0 is out of range (1-1000000)", "no events"),
        (bytes("stress 1 1000001"), 4, .numberOutOfRange(.events, "1000001", 1 ... 1_000_000),
         "error: event count 1000001 is out of range (1-1000000)", "too many events"),
        (bytes("exit 256"), 4, .numberOutOfRange(.status, "256", 0 ... 255),
         "error: exit status 256 is out of range (0-255)", "status wider than a byte"),
        (bytes("exit 0x100"), 4, .numberOutOfRange(.status, "0x100", 0 ... 255),
         "error: exit status 0x100 is out of range (0-255)", "the message shows the number as typed"),
        (bytes("exit 99999999999999999999999"), 4, .numberOutOfRange(.status, "99999999999999999999999", 0 ... 255),
         "error: exit status 99999999999999999999999 is out of range (0-255)", "status past 64 bits"),
        // CPUs that do not exist.
        (bytes("cpu-offline 9"), 4, .noSuchCPU("9", cpuCount: 4),
         "error: cpu 9 does not exist (cpus are 0-3)", "beyond the machine"),
        (bytes("cpu-online 4"), 4, .noSuchCPU("4", cpuCount: 4),
         "error: cpu 4 does not exist (cpus are 0-3)", "one past the last"),
        (bytes("cpu-online 0x10"), 4, .noSuchCPU("0x10", cpuCount: 4),
         "error: cpu 0x10 does not exist (cpus are 0-3)", "hex, shown as typed"),
        (bytes("cpu-offline 1"), 1, .noSuchCPU("1", cpuCount: 1),
         "error: cpu 1 does not exist (the only cpu is 0)", "uniprocessor"),
        (bytes("cpu-offline 0"), 0, .noSuchCPU("0", cpuCount: 0),
         "error: cpu 0 does not exist (there are no cpus)", "no CPUs at all (never on a real machine)"),
        (bytes("cpu-offline 512"), 100_000, .noSuchCPU("512", cpuCount: 512),
         "error: cpu 512 does not exist (cpus are 0-511)", "beyond the mask capacity"),
        (bytes("cpu-offline 99999999999999999999"), 4, .noSuchCPU("99999999999999999999", cpuCount: 4),
         "error: cpu 99999999999999999999 does not exist (cpus are 0-3)", "past 64 bits"),
        // INTIDs that are not SPIs or extended SPIs.
        (bytes("irq-affinity 16"), 4, .notSharedInterrupt("16"),
         "error: INTID 16 is not an SPI, extended SPI or LPI (SPIs are 32-1019, extended SPIs 4096-5119, LPIs from 8192)", "a PPI"),
        (bytes("fire 0"), 4, .notSharedInterrupt("0"),
         "error: INTID 0 is not an SPI, extended SPI or LPI (SPIs are 32-1019, extended SPIs 4096-5119, LPIs from 8192)", "an SGI"),
        (bytes("fire 31"), 4, .notSharedInterrupt("31"),
         "error: INTID 31 is not an SPI, extended SPI or LPI (SPIs are 32-1019, extended SPIs 4096-5119, LPIs from 8192)", "last PPI"),
        (bytes("fire 1020"), 4, .notSharedInterrupt("1020"),
         "error: INTID 1020 is not an SPI, extended SPI or LPI (SPIs are 32-1019, extended SPIs 4096-5119, LPIs from 8192)",
         "first special INTID"),
        (bytes("fire 1023"), 4, .notSharedInterrupt("1023"),
         "error: INTID 1023 is not an SPI, extended SPI or LPI (SPIs are 32-1019, extended SPIs 4096-5119, LPIs from 8192)", "spurious"),
        (bytes("fire 1056"), 4, .notSharedInterrupt("1056"),
         "error: INTID 1056 is not an SPI, extended SPI or LPI (SPIs are 32-1019, extended SPIs 4096-5119, LPIs from 8192)",
         "an extended PPI"),
        (bytes("fire 4095"), 4, .notSharedInterrupt("4095"),
         "error: INTID 4095 is not an SPI, extended SPI or LPI (SPIs are 32-1019, extended SPIs 4096-5119, LPIs from 8192)",
         "just below the extended SPIs"),
        (bytes("fire 5120"), 4, .notSharedInterrupt("5120"),
         "error: INTID 5120 is not an SPI, extended SPI or LPI (SPIs are 32-1019, extended SPIs 4096-5119, LPIs from 8192)",
         "just above the extended SPIs"),
        (bytes("fire 0x100000021"), 4, .notSharedInterrupt("0x100000021"),
         "error: INTID 0x100000021 is not an SPI, extended SPI or LPI (SPIs are 32-1019, extended SPIs 4096-5119, LPIs from 8192)",
         "33 plus 2^32 must not wrap to 33"),
        (bytes("irq-affinity 99999999999999999999999 0"), 4, .notSharedInterrupt("99999999999999999999999"),
         "error: INTID 99999999999999999999999 is not an SPI, extended SPI or LPI (SPIs are 32-1019, extended SPIs 4096-5119, LPIs from 8192)",
         "past 64 bits"),
        // Bad cpu lists (the CPU list parser's own error, quoted).
        (bytes("irq-affinity 33 0-9"), 4, .badCPUList("0-9", .cpuOutOfRange(cpu: 9, limit: 4, offset: 2)),
         "error: bad cpu list '0-9': cpu 9 is beyond 3", "beyond the machine"),
        (bytes("irq-affinity 33 3-1"), 4, .badCPUList("3-1", .descendingRange(first: 3, last: 1, offset: 0)),
         "error: bad cpu list '3-1': range 3-1 at offset 0 runs downwards", "descending range"),
        (bytes("irq-affinity 33 1,,2"), 4, .badCPUList("1,,2", .unexpectedCharacter(byte: 0x2C, offset: 2)),
         "error: bad cpu list '1,,2': unexpected character ',' at offset 2 in cpu list", "empty item"),
        (bytes("irq-affinity 33 all"), 4, .badCPUList("all", .unexpectedCharacter(byte: 0x61, offset: 0)),
         "error: bad cpu list 'all': unexpected character 'a' at offset 0 in cpu list", "Linux's 'all' is not taken"),
        (bytes("irq-affinity 33 1-"), 4, .badCPUList("1-", .unexpectedEnd(offset: 2)),
         "error: bad cpu list '1-': cpu list ends at offset 2 where a cpu number is expected", "open range"),
        (bytes("irq-affinity 33 0x1"), 4, .badCPUList("0x1", .unexpectedCharacter(byte: 0x78, offset: 1)),
         "error: bad cpu list '0x1': unexpected character 'x' at offset 1 in cpu list", "cpu lists are decimal"),
        (bytes("irq-affinity 33 1\u{7}"), 4, .badCPUList(ConsoleWord(bytes("1\u{7}")), .unexpectedCharacter(byte: 7, offset: 1)),
         "error: bad cpu list '1\\x07': unexpected byte 0x7 at offset 1 in cpu list", "a bell byte"),
        (bytes("irq-affinity 33 0"), 0, .badCPUList("0", .cpuOutOfRange(cpu: 0, limit: 0, offset: 0)),
         "error: bad cpu list '0': cpu 0 given but no cpus are allowed", "no CPUs at all"),
        // Policies.
        (bytes("vcpu-move 0x1.0 2"), 4, .malformedVCPU("0x1.0"),
         "error: '0x1.0' is not a vcpu (DOMAIN.VCPU in decimal, e.g. 0.1)", "vcpus are decimal"),
        (bytes("vcpu-move 1 2"), 4, .malformedVCPU("1"),
         "error: '1' is not a vcpu (DOMAIN.VCPU in decimal, e.g. 0.1)", "a vcpu has a domain"),
        (bytes("vcpu-move 1.256 2"), 4, .malformedVCPU("1.256"),
         "error: '1.256' is not a vcpu (DOMAIN.VCPU in decimal, e.g. 0.1)", "vcpu numbers stop at 255"),
        (bytes("vcpu-move 1.0 4"), 4, .noSuchCPU("4", cpuCount: 4),
         "error: cpu 4 does not exist (cpus are 0-3)", "vcpu-move to a cpu the machine lacks"),
        (bytes("vcpu-move 1.0"), 4, .missingArgument(.vcpuMove, .cpu),
         "error: 'vcpu-move' is missing the cpu number (usage: vcpu-move DOMAIN.VCPU CPU)", "vcpu-move without a cpu"),
        (bytes("policy fair"), 4, .unknownPolicy("fair"),
         "error: unknown policy 'fair' (policies are seed, balanced, load)", "no such policy"),
        (bytes("policy Seed"), 4, .unknownPolicy("Seed"),
         "error: unknown policy 'Seed' (policies are seed, balanced, load)", "case sensitive"),
    ]

    func testInvalidLines() {
        for (line, cpus, error, message, why) in invalid {
            let result = ConsoleParser.parse(line, cpuCount: cpus)
            XCTAssertEqual(result, .failure(error), why)
            XCTAssertEqual(error.message, message, why)
        }
    }

    /// Every message is one line of printable ASCII starting `error: `.
    func testMessagesAreOnePrintableLine() {
        for (_, _, error, _, why) in invalid {
            assertPrintableLine(error.message, why)
        }
        let tooLong = ConsoleError.lineTooLong(ConsoleWord(bytes(String(repeating: "x", count: 300))))
        XCTAssertEqual(
            tooLong.message,
            "error: line '" + String(repeating: "x", count: 32) + "...' is longer than 256 bytes, ignored")
        assertPrintableLine(tooLong.message, "line too long")
    }

    /// Each error case is exercised by the table (or, for `lineTooLong`, by
    /// the line editor tests): a new case must come with a row.
    func testTableCoversEveryErrorCase() {
        var seen = Set<String>()
        for (_, _, error, _, _) in invalid {
            switch error {
            case .unknownCommand: seen.insert("unknownCommand")
            case .missingArgument: seen.insert("missingArgument")
            case .unexpectedArgument: seen.insert("unexpectedArgument")
            case .malformedNumber: seen.insert("malformedNumber")
            case .numberOutOfRange: seen.insert("numberOutOfRange")
            case .noSuchCPU: seen.insert("noSuchCPU")
            case .notSharedInterrupt: seen.insert("notSharedInterrupt")
            case .badCPUList: seen.insert("badCPUList")
            case .unknownPolicy: seen.insert("unknownPolicy")
            case .malformedVCPU: seen.insert("malformedVCPU")
            case .lineTooLong: seen.insert("lineTooLong")
            }
        }
        XCTAssertEqual(seen.count, 10)
    }

    /// `text` renders each command as a line that parses back to it.
    func testTextRoundTrips() {
        let commands: [(ConsoleCommand, String)] = [
            (.cpuOffline(cpu(2)), "cpu-offline 2"),
            (.cpuOnline(cpu(0)), "cpu-online 0"),
            (.cpus, "cpus"),
            (.irqs, "irqs"),
            (.showAffinity(intid(33)), "irq-affinity 33"),
            (.setAffinity(intid(4096), mask(0, 1, 2, 5)), "irq-affinity 4096 0-2,5"),
            (.fire(intid(33), count: 1), "fire 33 1"),
            (.policy(.balanced), "policy balanced"),
            (.stress(seed: .max, events: 1_000_000), "stress 18446744073709551615 1000000"),
            (.check, "check"),
            (.epoch, "epoch"),
            (.policy(.load), "policy load"),
            (.help, "help"),
            (.exit(status: 2), "exit 2"),
            (.vcpus, "vcpus"),
            (.vcpuMove(VCPUID(domain: 1, vcpu: 0), LogicalCPU(3)), "vcpu-move 1.0 3"),
        ]
        for (command, text) in commands {
            XCTAssertEqual(command.text, text)
            XCTAssertEqual(ConsoleParser.parse(bytes(text), cpuCount: 8), .success(command), text)
        }
    }

    /// `help` lists every command once, in `ConsoleVerb` order, each line
    /// starting with the verb's usage and fitting an 80-column terminal.
    func testHelpListsEveryCommand() {
        let text = ConsoleHelp.text.withUTF8Buffer { String(decoding: $0, as: UTF8.self) }
        XCTAssertTrue(text.hasSuffix("\n"))
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        XCTAssertEqual(lines.count, ConsoleVerb.allCases.count)
        for (line, verb) in zip(lines, ConsoleVerb.allCases) {
            let usage = verb.usage.withUTF8Buffer { String(decoding: $0, as: UTF8.self) }
            XCTAssertTrue(line.hasPrefix(usage + " "), "help line for \(usage): \(line)")
            XCTAssertLessThanOrEqual(line.utf8.count, 79, String(line))
            assertPrintable(String(line), usage)
        }
    }

    /// Verb words are matched exactly (policy words: RebalancePolicyKindTests).
    func testWordLookup() {
        for verb in ConsoleVerb.allCases {
            let word = verb.word.withUTF8Buffer { Array($0) }
            XCTAssertEqual(ConsoleVerb(word: word), verb)
            XCTAssertNil(ConsoleVerb(word: word.dropLast()))
            XCTAssertNil(ConsoleVerb(word: word + [0x20]))
        }
    }

    /// A word keeps 32 bytes; equality looks at the kept bytes and the
    /// truncation mark.
    func testConsoleWord() {
        let exact = ConsoleWord(bytes(String(repeating: "b", count: 32)))
        XCTAssertEqual(exact.count, 32)
        XCTAssertFalse(exact.isTruncated)
        XCTAssertEqual(exact.printable, String(repeating: "b", count: 32))
        let long = ConsoleWord(bytes(String(repeating: "b", count: 33)))
        XCTAssertEqual(long.count, 32)
        XCTAssertTrue(long.isTruncated)
        XCTAssertNotEqual(exact, long)
        XCTAssertEqual(long.printable, String(repeating: "b", count: 32) + "...")
        XCTAssertEqual(ConsoleWord(bytes("abc")), "abc")
        XCTAssertNotEqual(ConsoleWord(bytes("abc")), "abd")
        XCTAssertNotEqual(ConsoleWord(bytes("abc")), "ab")
        XCTAssertEqual(ConsoleWord([]).quoted, "''")
        XCTAssertEqual(ConsoleWord([0x09, 0x0A, 0x5C, 0x27]).quoted, "'\\x09\\x0a\\\\''")
        XCTAssertEqual(ConsoleWord(bytes("xyz"))[2], 0x7A)
    }

    private func assertPrintableLine(_ message: String, _ why: String, line: UInt = #line) {
        XCTAssertTrue(message.hasPrefix("error: "), why, line: line)
        assertPrintable(message, why, line: line)
    }

    private func assertPrintable(_ text: String, _ why: String, line: UInt = #line) {
        XCTAssertTrue(text.utf8.allSatisfy { $0 >= 0x20 && $0 <= 0x7E }, "\(why): \(text)", line: line)
    }
}
