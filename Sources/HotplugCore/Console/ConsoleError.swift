/// Why a console line was refused. Each case keeps a copy of the offending
/// word (`ConsoleWord`, inline, no allocation) so that `message` can name it.
///
/// These are the errors of reading a line; what the kernel refuses when it
/// runs a command (offlining the last online CPU, a PSCI failure) it reports
/// itself, in the same one-line `error: ` form.
public enum ConsoleError: Error, Equatable, Sendable {
    /// The first word is not a command.
    case unknownCommand(ConsoleWord)
    /// The line ended before a required argument.
    case missingArgument(ConsoleVerb, ConsoleArgument)
    /// A word after the last argument the command takes.
    case unexpectedArgument(ConsoleVerb, ConsoleWord)
    /// A word that should be a number is not one: numbers are decimal or
    /// `0x` hexadecimal, without a sign.
    case malformedNumber(ConsoleArgument, ConsoleWord)
    /// A well-formed number outside what the argument allows (including one
    /// too large for 64 bits).
    case numberOutOfRange(ConsoleArgument, ConsoleWord, ClosedRange<UInt64>)
    /// A CPU number not below the machine's CPU count.
    case noSuchCPU(ConsoleWord, cpuCount: Int)
    /// A number that is not the INTID of an SPI (32–1019) or extended SPI
    /// (4096–5119), the only interrupts with a routing register
    /// (IHI 0069 §2.2).
    case notSharedInterrupt(ConsoleWord)
    /// A cpu list that does not parse or names a CPU the machine lacks.
    case badCPUList(ConsoleWord, CPUListError)
    /// A word that should name a vCPU, `DOMAIN.VCPU` in decimal (each
    /// `ConsoleParser.virtualCPUNumbers`), does not.
    case malformedVCPU(ConsoleWord)
    /// `policy` with a name no `RebalancePolicyKind` has.
    case unknownPolicy(ConsoleWord)
    /// A line longer than `LineEditor.capacity`; the word holds its start.
    case lineTooLong(ConsoleWord)

    /// One line of printable ASCII, without a newline, starting `error: ` and
    /// quoting the offending input, e.g.
    /// `error: unknown command 'cpu-offlin' (try 'help')`.
    public var message: String {
        switch self {
        case .unknownCommand(let word):
            return "error: unknown command " + word.quoted + " (try 'help')"
        case .missingArgument(let verb, let argument):
            return "error: '" + ConsoleText.string(verb.word) + "' is missing the "
                + ConsoleText.string(argument.name) + " (usage: " + ConsoleText.string(verb.usage) + ")"
        case .unexpectedArgument(let verb, let word):
            return "error: unexpected argument " + word.quoted + " to '" + ConsoleText.string(verb.word)
                + "' (usage: " + ConsoleText.string(verb.usage) + ")"
        case .malformedNumber(let argument, let word):
            return "error: " + word.quoted + " is not a number (the " + ConsoleText.string(argument.name)
                + " is decimal or 0x hex)"
        case .numberOutOfRange(let argument, let word, let range):
            return "error: " + ConsoleText.string(argument.name) + " " + word.printable
                + " is out of range (" + String(range.lowerBound) + "-" + String(range.upperBound) + ")"
        case .noSuchCPU(let word, let cpuCount):
            return "error: cpu " + word.printable + " does not exist (" + ConsoleError.cpuRange(cpuCount) + ")"
        case .notSharedInterrupt(let word):
            return "error: INTID " + word.printable
                + " is not an SPI, extended SPI or LPI (SPIs are 32-1019, extended SPIs 4096-5119, LPIs from 8192)"
        case .badCPUList(let word, let reason):
            return "error: bad cpu list " + word.quoted + ": " + reason.message
        case .malformedVCPU(let word):
            return "error: " + word.quoted + " is not a vcpu (DOMAIN.VCPU in decimal, e.g. 0.1)"
        case .unknownPolicy(let word):
            return "error: unknown policy " + word.quoted + " (policies are "
                + ConsoleText.string(RebalancePolicyKind.names) + ")"
        case .lineTooLong(let start):
            return "error: line " + start.quoted + " is longer than " + String(LineEditor.capacity)
                + " bytes, ignored"
        }
    }

    private static func cpuRange(_ cpuCount: Int) -> String {
        if cpuCount <= 0 {
            return "there are no cpus"
        }
        if cpuCount == 1 {
            return "the only cpu is 0"
        }
        return "cpus are 0-" + String(cpuCount - 1)
    }
}
