import HotplugCore

/// Per-CPU life-cycle state and the online mask.
///
/// `CPUs.lock` owns the online mask: it is changed only by a CPU marking
/// itself online (secondary start) or offline (its own offline path), and
/// read by taking a snapshot under the lock. The per-CPU tables are sized
/// once on the boot CPU (`setUp`), before any other CPU starts, and only
/// their entries change afterwards: `states` and `requests` are single
/// atomics with one writer at a time (the CPU itself, or the controller
/// while the CPU is powered off or before it starts), so they take no lock.
/// `CPUs.lock` is rank 4 in LockOrder.swift.
enum CPUs {
    /// Owns the online mask: the CPUs that take interrupts and may be
    /// routing targets.
    static let lock = SpinLock(CPUMask())
    /// `CPUState` of each CPU. Assigned once in `setUp` (boot CPU, before
    /// any other CPU runs), then only its atomic entries change.
    nonisolated(unsafe) static var states = AtomicTable(count: 0)
    /// `CPURequest` posted to each CPU's idle loop. Assigned once in
    /// `setUp`, as `states`.
    nonisolated(unsafe) static var requests = AtomicTable(count: 0)
    /// Idle-loop passes of each CPU: the watchdog's measure of progress.
    /// Assigned once in `setUp`, as `states`.
    nonisolated(unsafe) static var heartbeats = AtomicTable(count: 0)
    /// The PC each CPU was interrupted at, most recently. Allocated once in
    /// `setUp`; each entry is written only by its own CPU on IRQ entry (a
    /// single aligned 64-bit store) and read racily by the watchdog, for
    /// whom a stale value is still a true one.
    nonisolated(unsafe) static var sampledPC = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)

    /// Sizes the tables for the machine; boot CPU, before any secondary.
    static func setUp(count: Int) {
        states = AtomicTable(count: count)
        requests = AtomicTable(count: count)
        heartbeats = AtomicTable(count: count)
        sampledPC = UnsafeMutablePointer<UInt64>.allocate(capacity: count)
        sampledPC.initialize(repeating: 0, count: count)
    }

    /// The calling CPU's logical number (kept in `TPIDR_EL1`).
    @inline(__always)
    static var current: LogicalCPU {
        LogicalCPU(Int(arch_read_tpidr()))
    }

    /// A snapshot of the online mask.
    static var online: CPUMask {
        lock.withLock { $0 }
    }

    static func state(of cpu: LogicalCPU) -> CPUState {
        CPUState(rawValue: states.load(cpu.index)) ?? .offline
    }

    static func setState(_ state: CPUState, of cpu: LogicalCPU) {
        states.store(cpu.index, state.rawValue)
    }

    /// The calling CPU joins the online mask.
    static func markOnline(_ cpu: LogicalCPU) {
        lock.withLock { $0.insert(cpu) }
        setState(.online, of: cpu)
    }

    /// The calling CPU leaves the online mask (on its own offline path).
    static func markOffline(_ cpu: LogicalCPU) {
        lock.withLock { $0.remove(cpu) }
        setState(.dying, of: cpu)
    }
}

/// Where a CPU is in its life cycle.
enum CPUState: UInt32 {
    /// Powered off (or never started).
    case offline = 0
    /// CPU_ON issued; the CPU has not announced itself yet.
    case starting = 1
    /// Taking interrupts.
    case online = 2
    /// Left the online mask; on its way to CPU_OFF.
    case dying = 3

    var name: StaticString {
        switch self {
        case .offline: return "offline"
        case .starting: return "starting"
        case .online: return "online"
        case .dying: return "dying"
        }
    }
}

/// Work another CPU asks an online CPU's idle loop to do. Posted in
/// `CPUs.requests`, then an SGI wakes the CPU.
enum CPURequest: UInt32 {
    case none = 0
    /// Take yourself offline (the dying-CPU path of `Hotplug`).
    case goOffline = 1
    /// Call the function posted in your `IdleWork` slot.
    case runPostedWork = 2
    /// Abandon a start that did not announce itself: call CPU_OFF.
    case abortStart = 3
}
