import HotplugCore

/// The kernel's interrupt descriptors: one `InterruptDescriptor` per SPI and
/// extended SPI the GIC reports (`GICD_TYPER`), each behind its own spin
/// lock — rank 3 in LockOrder.swift: taken one at a time, never two
/// together, never held while a handler runs.
///
/// This is the `DescriptorStore` the pure rebalance policies walk; the
/// lock is taken around each visit, with interrupts masked on this CPU.
/// Every visit that changes a descriptor's `RoutingState` (set-affinity,
/// the deferred move at end of interrupt, claiming at boot, a rebalance)
/// advances `routingGeneration`, which is how the balanced policy learns
/// that its per-CPU lists need a recount; no caller has to report it.
struct LockedDescriptorStore: DescriptorStore {
    let layout: InterruptLayout
    private let storage: UnsafeMutablePointer<InterruptDescriptor>
    /// One lock word per descriptor.
    private let locks: AtomicTable

    init(layout: InterruptLayout) {
        self.layout = layout
        storage = UnsafeMutablePointer<InterruptDescriptor>.allocate(capacity: max(layout.sharedCount, 1))
        for index in 0 ..< layout.sharedCount {
            (storage + index).initialize(to: InterruptDescriptor(id: layout.interrupt(at: index)))
        }
        locks = AtomicTable(count: layout.sharedCount)
    }

    var count: Int { layout.sharedCount }

    @discardableResult
    func withDescriptor<Result>(at index: Int, _ body: (inout InterruptDescriptor) -> Result) -> Result {
        locks.withLock(index) {
            let (result, changed) = RoutingState.apply(body, to: &storage[index])
            if changed {
                InterruptDescriptors.routingChanges.add()
            }
            return result
        }
    }

    var routingGeneration: UInt64? { UInt64(InterruptDescriptors.routingChanges.count) }

    /// The descriptor of `id`, under its lock; nil if the GIC has no such
    /// shared interrupt.
    @discardableResult
    func withDescriptor<Result>(for id: InterruptID, _ body: (inout InterruptDescriptor) -> Result) -> Result? {
        guard let index = layout.index(of: id) else { return nil }
        return withDescriptor(at: index, body)
    }

    /// A copy of descriptor `index`, taken under its lock.
    func snapshot(at index: Int) -> InterruptDescriptor {
        withDescriptor(at: index) { $0 }
    }
}

/// The kernel's one descriptor table, set up at boot on the boot CPU.
enum InterruptDescriptors {
    /// Assigned once on the boot CPU, before any other CPU runs; read-only
    /// afterwards (each descriptor behind its own lock).
    nonisolated(unsafe) static var store: LockedDescriptorStore!
    /// Every change to a descriptor's `RoutingState` since boot: the
    /// store's `routingGeneration`. There is one store, so one counter.
    static let routingChanges = EventCounter()
}

/// The `InterruptRouter` of the image: one `GICD_IROUTER` write per call,
/// to the MPIDR of the logical CPU, counted in `GICRouter.writes` (the
/// figure the reports of the command-line jobs give, cross-checked
/// against QEMU's own trace of distributor writes).
struct GICRouter: InterruptRouter {
    /// Every route write the kernel has made since boot.
    static let writes = EventCounter()

    mutating func route(_ id: InterruptID, to cpu: LogicalCPU) {
        let machine = Machine.current!
        machine.distributor.route(id, to: machine.affinity(of: cpu))
        GICRouter.writes.add()
    }

    static var totalWrites: Int { writes.count }
}
