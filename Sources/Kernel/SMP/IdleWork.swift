import HotplugCore
import Synchronization

/// Work that a layer above the kernel proper (the console, the jobs run
/// from the command line) hands to other CPUs' idle loops, without the idle
/// loop knowing what it is (a `CPUFunction`).
///
/// - Posted work: one call on one CPU. The poster stores the function in the
///   CPU's slot, then `CPURequest.runPostedWork` in its mailbox (a
///   releasing store), then wakes it with an SGI; the CPU takes the request
///   with an acquiring exchange, so it sees the function the poster stored.
/// - Background work: while one is installed, every idle loop with nothing
///   posted calls it instead of waiting for an interrupt, and goes round
///   again.
///
/// Posted work starts with interrupts masked, as the request was taken (it
/// unmasks them if it needs them; the idle loop unmasks them when it
/// returns); background work starts with them unmasked. Either need not
/// return.
enum IdleWork {
    /// Per CPU: the function its next `runPostedWork` request calls. Sized
    /// at boot before any secondary CPU starts; each slot is written only by
    /// a poster before its request and read only by its CPU after taking it.
    nonisolated(unsafe) private static var posted = UnsafeMutablePointer<CPUFunction?>.allocate(capacity: 1)

    /// The installed background work (its address), or nil. The atomic is
    /// the synchronisation; `nonisolated(unsafe)` only because Swift does
    /// not count a raw pointer as `Sendable`.
    nonisolated(unsafe) private static let background = Atomic<UnsafeRawPointer?>(nil)

    /// Sizes the per-CPU slots; boot CPU, before any secondary starts.
    static func setUp(count: Int) {
        posted = UnsafeMutablePointer<CPUFunction?>.allocate(capacity: count)
        posted.initialize(repeating: nil, count: count)
    }

    /// Posts `work` to `cpu`'s idle loop and wakes it. One request at a time
    /// per CPU: the caller posts only to a CPU whose mailbox it knows empty.
    static func post(_ work: CPUFunction, to cpu: LogicalCPU) {
        posted[cpu.index] = work
        CPUs.requests.store(cpu.index, CPURequest.runPostedWork.rawValue)
        CPUInterface.sendSGI(KernelSGI.wake, to: Machine.current.affinity(of: cpu))
    }

    /// Whether `cpu` has taken the last request posted to it.
    static func isTaken(by cpu: LogicalCPU) -> Bool {
        CPUs.requests.load(cpu.index) == CPURequest.none.rawValue
    }

    /// On `cpu`, from its idle loop, after taking `runPostedWork`.
    static func runPosted(on cpu: LogicalCPU) {
        posted[cpu.index]?(cpu.index)
    }

    /// Installs `work` as the background work of every idle loop. Loops
    /// asleep in WFI pick it up when next woken.
    static func startBackground(_ work: CPUFunction) {
        background.store(unsafeBitCast(work, to: UnsafeRawPointer.self), ordering: .releasing)
    }

    /// Removes the background work. A loop that read it just before may
    /// still be running it: the work itself must tell when it is over.
    static func stopBackground() {
        background.store(nil, ordering: .releasing)
    }

    /// The installed background work, for the idle loop.
    static var backgroundWork: CPUFunction? {
        guard let address = background.load(ordering: .acquiring) else { return nil }
        return unsafeBitCast(address, to: CPUFunction.self)
    }
}
