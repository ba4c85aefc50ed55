import HotplugCore

/// The hotplug hook of the patch: `rebalance(_:)`, called on the dying CPU
/// after it left the online mask, and on the online notification of a new
/// CPU once the system is active.
///
/// The feature can be compiled out (`make HOTPLUG=0`): `Policy` is then the
/// no-op `DisabledRebalance`, and every caller stays free of conditional
/// code — the review's request. The `#if` below is the only one; both types
/// answer through `SelectablePolicy`.
enum InterruptMigration {
    #if HOTPLUG_DISABLED
    typealias Policy = DisabledRebalance
    #else
    typealias Policy = PolicySelection
    #endif

    /// What the routing lock owns.
    struct State {
        /// The policy in force.
        var policy = Policy()
        /// Whether to print a note when affinities break or are restored
        /// (off while a job that counts them in its summary runs).
        var printsNotes = true
    }

    /// Serialises routing decisions and owns the migration state: held by a
    /// rebalance for its whole pass and by a set-affinity for its load
    /// snapshot and write, so each sees the other's result and the balance
    /// bound holds even when affinity changes come from other CPUs during
    /// hotplug. Rank 2 in LockOrder.swift (descriptor locks are taken inside
    /// it, one at a time).
    static let routingLock = SpinLock(State())

    /// The policy in force; nil when migration is compiled out.
    static var policyInForce: RebalancePolicyKind? {
        routingLock.withLock { $0.policy.inForce }
    }

    /// Whether interrupt migration is compiled in (`HOTPLUG=1`).
    static var isCompiledIn: Bool {
        policyInForce != nil
    }

    /// The name of the policy in force, for reports.
    static var policyName: StaticString {
        policyInForce?.name ?? "none (HOTPLUG=0)"
    }

    /// The seed policy's round-robin cursor while it is in force.
    static var seedCursor: Int? {
        routingLock.withLock { $0.policy.seedCursor }
    }

    /// Puts a fresh policy of `kind` in force; false when migration is
    /// compiled out.
    /// A load policy starts measuring from now: the counts handled before
    /// the switch are taken and dropped. Never inlined: resetting the
    /// policies in place still builds a 17 KiB `BalancedPolicy` on the
    /// stack, which would otherwise stay in the caller's frame (the boot
    /// path's) for its whole life.
    @inline(never)
    static func select(_ kind: RebalancePolicyKind) -> Bool {
        routingLock.withLock { state in
            guard state.policy.select(kind) else { return false }
            if state.policy.measuresLoad {
                InterruptCounters.takeEpochCounts { _, _ in }
            }
            return true
        }
    }

    /// Closes a load epoch when the policy in force measures load: hands
    /// it what each interrupt handled since the last close (the per-CPU
    /// counters, summed), then lets it re-place within the masks, all under
    /// the routing lock. Only on the controlling CPU (the console, or
    /// before a hotplug event it starts), never on a dying CPU's path or in
    /// an interrupt handler. Nil when the policy in force measures no load.
    @inline(never)
    static func closeEpoch() -> RebalanceOutcome? {
        let (outcome, printsNotes) = routingLock.withLock { state -> (RebalanceOutcome?, Bool) in
            (closeEpoch(&state), state.printsNotes)
        }
        if let outcome, printsNotes { printNotes(outcome) }
        return outcome
    }

    /// `closeEpoch` from the epoch clock's tick (`LoadEpochClock`), on the
    /// interrupt path: false, nothing done, when the routing lock is held
    /// (the tick must not wait). No notes printed.
    @inline(never)
    static func closeEpochFromInterrupt() -> Bool {
        routingLock.tryWithLock { state in _ = closeEpoch(&state) } != nil
    }

    /// The close itself, the routing lock held. Under a policy that
    /// measures no load the epoch still ends (the clock counts it) but
    /// nothing is measured or placed.
    private static func closeEpoch(_ state: inout State) -> RebalanceOutcome? {
        guard state.policy.measuresLoad else {
            LoadEpochClock.epochClosed(moving: 0)
            return nil
        }
        InterruptCounters.takeEpochCounts { position, handled in
            state.policy.recordHandled(handled, at: position)
        }
        var router = GICRouter()
        let outcome = state.policy.endEpoch(online: CPUs.online, store: InterruptDescriptors.store, router: &router)
        LoadEpochClock.epochClosed(moving: outcome.descriptorsMoved)
        return outcome
    }

    /// Every rebalance: `event.cpu` went down (on the dying CPU, interrupts
    /// masked, the CPU already out of the online mask) or came up (on the
    /// controlling CPU, after the CPU announced itself and the system is
    /// active). Prints a note when affinities were broken or restored, and
    /// returns what the policy did for the SPIs. The LPIs follow under the
    /// same policy (`ITS.rebalance`, after the routing lock is released);
    /// with migration compiled out nothing moves them either.
    ///
    /// Its C name lets a debugger stop on every rebalance:
    /// `break interrupt_migration_rebalance`. The event arrives in x0 (the
    /// CPU) and w1 (0 down, 1 up).
    @_silgen_name("interrupt_migration_rebalance")
    @inline(never)
    static func rebalance(_ event: HotplugEvent) -> RebalanceOutcome {
        let (outcome, printsNotes) = routingLock.withLock { state in
            var router = GICRouter()
            let outcome = state.policy.rebalance(from: event.cpu, up: event.direction == .up,
                                                 online: CPUs.online, store: InterruptDescriptors.store,
                                                 router: &router)
            return (outcome, state.printsNotes)
        }
        if let policy = policyInForce { ITS.rebalance(event, policy: policy) }
        if printsNotes { printNotes(outcome) }
        return outcome
    }

    /// The console notes on affinities broken or restored by `outcome`.
    private static func printNotes(_ outcome: RebalanceOutcome) {
        if outcome.brokenAffinities > 0 {
            Console.line { out in
                out.write("note: ", outcome.brokenAffinities)
                out.write(" interrupt(s) routed outside their requested affinity: none of its cpus is online")
            }
        }
        if outcome.restoredAffinities > 0 {
            Console.line { out in
                out.write("note: ", outcome.restoredAffinities)
                out.write(" interrupt(s) back inside their requested affinity")
            }
        }
    }
}

/// A CPU leaving or joining, as the rebalance hears of it.
struct HotplugEvent {
    enum Direction: UInt8 {
        case down = 0
        case up = 1
    }

    let cpu: LogicalCPU
    let direction: Direction

    static func down(_ cpu: LogicalCPU) -> HotplugEvent {
        HotplugEvent(cpu: cpu, direction: .down)
    }

    static func up(_ cpu: LogicalCPU) -> HotplugEvent {
        HotplugEvent(cpu: cpu, direction: .up)
    }
}
