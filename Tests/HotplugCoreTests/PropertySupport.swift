// Shared pieces of the property tests (Property*.swift): the number of
// random cases each property runs, a simulated GICD_IROUTER register file,
// and small helpers to describe masks in failure messages. Nothing here is
// part of the image.
import PropertyBased
import Testing
@testable import HotplugCore

/// Random cases per property of `CPUMask`, the cpulist parser, the
/// rebalance policies and the console parser: the reliability issue asks for
/// at least 10,000 each.
let propertyCases = 10_000

/// Random cases per property of the hypervisor's and the load policy's
/// models (guest interrupts, the list-register queue, vCPU placement,
/// stage-2 tables, load placement). Each case is itself a sequence of up to
/// tens of events on a machine of its own, so 2,000 cases reach every path
/// thousands of times (each property asserts its coverage) at a fifth of the
/// host time of 10,000.
let sequenceCases = 2_000

/// A simulated distributor for the property tests: one `GICD_IROUTER`
/// register per INTID holding the CPU it names, and every write in order.
/// The policy properties read routing from here, never from the table.
struct PropertyRegisterFile: InterruptRouter {
    /// INTID -> the CPU its register names. Absent: never written nor preset.
    private(set) var registers: [UInt32: LogicalCPU] = [:]
    /// Every `route` call, in order.
    private(set) var writes: [(id: InterruptID, cpu: LogicalCPU)] = []

    mutating func route(_ id: InterruptID, to cpu: LogicalCPU) {
        registers[id.rawValue] = cpu
        writes.append((id, cpu))
    }

    /// What the register of `id` says.
    func target(of id: InterruptID) -> LogicalCPU? {
        registers[id.rawValue]
    }

    /// Sets a register as boot code left it, without counting a write.
    mutating func preset(_ id: InterruptID, to cpu: LogicalCPU?) {
        registers[id.rawValue] = cpu
    }
}

extension CPUMask {
    /// The mask as braces around its cpu list, e.g. `{0-2,5}`, for messages.
    var braced: String { "{" + cpuList + "}" }

    /// The CPUs whose bits are set in `bits`, CPU `n` for bit `n`, below `count`.
    init(bits: UInt32, below count: Int) {
        self.init()
        for cpu in 0 ..< Swift.min(count, 32) where bits & (1 << UInt32(cpu)) != 0 {
            insert(LogicalCPU(cpu))
        }
    }
}

/// The CPU's number, or `-` for none, for messages.
func cpuText(_ cpu: LogicalCPU?) -> String {
    cpu.map { String($0.index) } ?? "-"
}

/// A simulated machine that a property drives through a random sequence of
/// events, checking its invariants after each (the guest-interrupt and the
/// list-register queue properties).
protocol EventDrivenMachine {
    associatedtype Event
    /// The first invariant found broken, if any.
    var problem: String? { get }
    /// After `drain()`: what was fired and never acknowledged, if anything.
    var unacknowledged: String? { get }
    mutating func step(_ event: Event)
    mutating func checkInvariants(_ when: String)
    /// Lets everything in flight reach the guest.
    mutating func drain()
}

extension EventDrivenMachine {
    /// Runs `events`, checking the invariants after each, then drains and
    /// checks again: the first problem, or nil.
    mutating func run(_ events: [Event]) -> String? {
        for (number, event) in events.enumerated() {
            step(event)
            checkInvariants("event \(number) (\(event))")
            if let problem { return problem }
        }
        drain()
        checkInvariants("drained")
        return problem ?? unacknowledged
    }
}
