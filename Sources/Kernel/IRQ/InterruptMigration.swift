/// The hotplug hooks of the patch: `rebalance(from:up:)` on the dying CPU
/// after it left the online mask, and on the online notification of a new
/// CPU once the system is active.
///
/// The feature can be compiled out (`make HOTPLUG=0`): `Policy` is then the
/// no-op `DisabledRebalance`, and every caller stays free of conditional
/// code — the review's request. This `#if` is the only one.
enum InterruptMigration {
    #if HOTPLUG_DISABLED
    typealias Policy = DisabledRebalance
    static let isCompiledIn = false
    #else
    typealias Policy = PolicySelection
    static let isCompiledIn = true
    #endif

    /// Serialises routing decisions: held by a rebalance for its whole pass
    /// and by a set-affinity for its load snapshot and write, so each sees
    /// the other's result and the balance bound holds even when affinity
    /// changes come from other CPUs during hotplug. Rank 2 in LockOrder
    /// (descriptor locks are taken inside it, one at a time).
    static let routingLock = SpinLock()

    /// The policy in force; guarded by `routingLock`.
    nonisolated(unsafe) static var policy = Policy()
    /// Whether to print a note when affinities break or are restored (off
    /// while a job that counts them in its summary runs).
    nonisolated(unsafe) static var printsNotes = true
    /// What the last rebalance did.
    nonisolated(unsafe) static var lastOutcome = RebalanceOutcome()

    /// The name of the policy in force, for the console.
    static var policyName: StaticString {
        #if HOTPLUG_DISABLED
        return "none (HOTPLUG=0)"
        #else
        switch policy.kind {
        case .seed: return "seed"
        case .balanced: return "balanced"
        }
        #endif
    }

    /// Whether the balanced policy is in force (false when compiled out).
    static var isBalanced: Bool {
        #if HOTPLUG_DISABLED
        return false
        #else
        return policy.kind == .balanced
        #endif
    }

    /// Whether the seed policy (the patch's) is in force.
    static var isSeed: Bool {
        #if HOTPLUG_DISABLED
        return false
        #else
        return policy.kind == .seed
        #endif
    }

    /// The seed policy's round-robin cursor (the patch's `cpu_next`), so a
    /// reference model can start from the same state; 0 when compiled out.
    static var seedCursor: Int {
        #if HOTPLUG_DISABLED
        return 0
        #else
        return policy.seed.cpuNext
        #endif
    }

    /// Selects the policy by name (`seed`, `balanced`); false for any other
    /// name, or when migration is compiled out.
    static func select(_ name: UnsafeRawBufferPointer) -> Bool {
        #if HOTPLUG_DISABLED
        return false
        #else
        let kind: PolicySelection.Kind
        if BootArguments.bytes(name, equal: "seed") {
            kind = .seed
        } else if BootArguments.bytes(name, equal: "balanced") {
            kind = .balanced
        } else {
            return false
        }
        routingLock.withLock { policy = PolicySelection(kind) }
        return true
        #endif
    }

    /// Tells the policy that a route changed outside it (set-affinity), so
    /// that any bookkeeping it keeps between events is brought up to date.
    /// Belt and braces: the descriptor store's routing generation already
    /// reports every change made through it, and the balanced policy
    /// recounts the table at its next event either way.
    static func noteRoutingChangedOutsidePolicy() {
        routingLock.withLock { policy.noteExternalRoutingChange() }
    }

    /// On the dying CPU, interrupts masked, `cpu` already out of the
    /// online mask.
    static func cpuWentDown(_ cpu: LogicalCPU) {
        rebalance(from: cpu, up: false)
    }

    /// On the controlling CPU, after `cpu` announced itself (system active).
    static func cpuCameUp(_ cpu: LogicalCPU) {
        rebalance(from: cpu, up: true)
    }

    private static func rebalance(from cpu: LogicalCPU, up: Bool) {
        interruptMigrationRebalance(UInt32(cpu.index), up ? 1 : 0)
    }

    /// The body of every rebalance; see `interrupt_migration_rebalance`.
    fileprivate static func rebalanceNow(from cpu: LogicalCPU, up: Bool) {
        routingLock.withLock {
            var router = GICRouter()
            lastOutcome = policy.rebalance(from: cpu, up: up, online: CPUs.online,
                                           store: InterruptDescriptors.store, router: &router)
        }
        if printsNotes && lastOutcome.brokenAffinities > 0 {
            Console.line { out in
                out.write("note: ", lastOutcome.brokenAffinities)
                out.write(" interrupt(s) routed outside their requested affinity: none of its cpus is online")
            }
        }
        if printsNotes && lastOutcome.restoredAffinities > 0 {
            Console.line { out in
                out.write("note: ", lastOutcome.restoredAffinities)
                out.write(" interrupt(s) back inside their requested affinity")
            }
        }
    }
}

/// Every rebalance passes through this C-named function, so a debugger can
/// stop on it by name: `break interrupt_migration_rebalance` (arguments: the
/// CPU, and 1 for up / 0 for down).
@_silgen_name("interrupt_migration_rebalance")
@inline(never)
func interruptMigrationRebalance(_ cpu: UInt32, _ up: UInt32) {
    InterruptMigration.rebalanceNow(from: LogicalCPU(Int(cpu)), up: up != 0)
}
