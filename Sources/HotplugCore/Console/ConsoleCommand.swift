/// One operator command, as parsed from a console line or a script
/// (`ConsoleParser`). Every value it holds has already been range-checked
/// against the machine, except what only the hardware can answer (whether
/// the GIC implements an INTID, whether a CPU is online).
public enum ConsoleCommand: Equatable, Sendable {
    /// `cpu-offline N`: take a CPU offline (PSCI CPU_OFF), moving its
    /// interrupts first.
    case cpuOffline(LogicalCPU)
    /// `cpu-online N`: bring a CPU online (PSCI CPU_ON).
    case cpuOnline(LogicalCPU)
    /// `cpus`: each CPU's state, MPIDR, exception level, interrupts handled.
    case cpus
    /// `irqs`: the `/proc/interrupts`-style table.
    case irqs
    /// `irq-affinity INTID`: show a shared interrupt's affinity.
    case showAffinity(InterruptID)
    /// `irq-affinity INTID CPULIST`: set it; the mask is never empty.
    case setAffinity(InterruptID, CPUMask)
    /// `fire INTID [COUNT]`: set a shared interrupt pending `count` times,
    /// `ConsoleParser.fireCounts`.
    case fire(InterruptID, count: Int)
    /// `vcpus`: where each guest vCPU runs, its interrupts and the guest's
    /// counts (the hypervisor image).
    case vcpus
    /// `vcpu-move DOMAIN.VCPU CPU`: move a vCPU to another pCPU, its
    /// guest-bound interrupts with it. Whether the vCPU exists is the
    /// hypervisor's to answer.
    case vcpuMove(VCPUID, LogicalCPU)
    /// `policy seed|balanced|load`: choose the rebalance policy.
    case policy(RebalancePolicyKind)
    /// `stress SEED EVENTS`: random hotplug and affinity changes under an
    /// interrupt storm, `events` in `ConsoleParser.stressEvents`.
    case stress(seed: UInt64, events: Int)
    /// `check`: verify the routing invariants now and print the result.
    case check
    /// `epoch`: close a load-measurement epoch now (the load policy's
    /// rates take this epoch's handled counts, then it re-places).
    case epoch
    /// `help`: print `ConsoleHelp.text`.
    case help
    /// `exit [STATUS]`: leave the image with a semihosting exit status,
    /// `ConsoleParser.exitStatuses`.
    case exit(status: Int32)

    /// The verb that introduces this command.
    public var verb: ConsoleVerb {
        switch self {
        case .cpuOffline: return .cpuOffline
        case .cpuOnline: return .cpuOnline
        case .cpus: return .cpus
        case .irqs: return .irqs
        case .showAffinity, .setAffinity: return .irqAffinity
        case .fire: return .fire
        case .vcpus: return .vcpus
        case .vcpuMove: return .vcpuMove
        case .policy: return .policy
        case .stress: return .stress
        case .check: return .check
        case .epoch: return .epoch
        case .help: return .help
        case .exit: return .exit
        }
    }

    /// The command written back as a console line, in decimal with single
    /// spaces and every optional argument spelt out, e.g.
    /// `irq-affinity 33 0-2,5` or `fire 33 1`. Parsing it gives this command
    /// again (for the CPU count it was parsed with).
    public var text: String {
        var line = ConsoleText.string(verb.word)
        switch self {
        case .cpuOffline(let cpu), .cpuOnline(let cpu):
            line += " " + String(cpu.index)
        case .cpus, .irqs, .check, .epoch, .help, .vcpus:
            break
        case .vcpuMove(let vcpu, let cpu):
            line += " " + String(vcpu.domain) + "." + String(vcpu.vcpu) + " " + String(cpu.index)
        case .showAffinity(let intid):
            line += " " + String(intid.rawValue)
        case .setAffinity(let intid, let mask):
            line += " " + String(intid.rawValue) + " " + mask.cpuList
        case .fire(let intid, let count):
            line += " " + String(intid.rawValue) + " " + String(count)
        case .policy(let policy):
            line += " " + ConsoleText.string(policy.name)
        case .stress(let seed, let events):
            line += " " + String(seed) + " " + String(events)
        case .exit(let status):
            line += " " + String(status)
        }
        return line
    }
}
