/// The first word of a console line: which command it is.
///
/// The hotplug verbs are spelt as in Xen's `xen-hptool` (`cpu-offline`,
/// `cpu-online`); `irq-affinity` takes the Linux cpu list syntax that
/// `/proc/irq/N/smp_affinity_list` uses.
public enum ConsoleVerb: Equatable, Sendable, CaseIterable {
    case cpuOffline
    case cpuOnline
    case cpus
    case irqs
    case irqAffinity
    case fire
    case vcpus
    case vcpuMove
    case policy
    case stress
    case check
    case epoch
    case help
    case exit

    /// The word typed at the prompt.
    public var word: StaticString {
        switch self {
        case .cpuOffline: return "cpu-offline"
        case .cpuOnline: return "cpu-online"
        case .cpus: return "cpus"
        case .irqs: return "irqs"
        case .irqAffinity: return "irq-affinity"
        case .fire: return "fire"
        case .vcpus: return "vcpus"
        case .vcpuMove: return "vcpu-move"
        case .policy: return "policy"
        case .stress: return "stress"
        case .check: return "check"
        case .epoch: return "epoch"
        case .help: return "help"
        case .exit: return "exit"
        }
    }

    /// The command's syntax, as `help` shows it and errors quote it.
    public var usage: StaticString {
        switch self {
        case .cpuOffline: return "cpu-offline N"
        case .cpuOnline: return "cpu-online N"
        case .cpus: return "cpus"
        case .irqs: return "irqs"
        case .irqAffinity: return "irq-affinity INTID [CPULIST]"
        case .fire: return "fire INTID [COUNT]"
        case .vcpus: return "vcpus"
        case .vcpuMove: return "vcpu-move DOMAIN.VCPU CPU"
        case .policy: return "policy seed|balanced|load"
        case .stress: return "stress SEED EVENTS"
        case .check: return "check"
        case .epoch: return "epoch"
        case .help: return "help"
        case .exit: return "exit [STATUS]"
        }
    }

    /// The verb whose word is `bytes`, compared byte for byte (case matters).
    public init?<Bytes: Collection>(word bytes: Bytes) where Bytes.Element == UInt8 {
        guard let verb = ConsoleText.matchingCase(bytes, word: { (verb: ConsoleVerb) in verb.word }) else { return nil }
        self = verb
    }
}

/// What an argument of a console command stands for; errors name it.
public enum ConsoleArgument: Equatable, Sendable {
    /// A logical CPU number (`cpu-offline N`).
    case cpu
    /// An interrupt ID (`irq-affinity INTID`, `fire INTID`).
    case intid
    /// A Linux cpu list (`irq-affinity INTID 0-2,5`).
    case cpuList
    /// How many times to fire (`fire INTID COUNT`).
    case count
    /// A rebalance policy name (`policy balanced`).
    case policy
    /// The stress test's random seed.
    case seed
    /// The stress test's number of events.
    case events
    /// The image's exit status (`exit 2`).
    case status
    /// A guest's vCPU, `DOMAIN.VCPU` (`vcpu-move 0.1 3`).
    case vcpu

    /// A short noun for messages ("the cpu number", "event count 0 ...").
    public var name: StaticString {
        switch self {
        case .cpu: return "cpu number"
        case .intid: return "INTID"
        case .cpuList: return "cpu list"
        case .count: return "count"
        case .policy: return "policy name"
        case .seed: return "seed"
        case .events: return "event count"
        case .status: return "exit status"
        case .vcpu: return "vcpu (DOMAIN.VCPU)"
        }
    }
}
