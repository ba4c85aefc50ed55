import HotplugCore

/// How many times each CPU has handled each INTID, like the columns of
/// Linux's /proc/interrupts. One row per CPU, one column per slot of the
/// descriptor store's `InterruptLayout`; allocated once at boot, nothing
/// allocated on the interrupt path. Each CPU increments only its own row;
/// other CPUs read.
enum InterruptCounters {
    /// Assigned once in `setUp` (boot CPU, before any other CPU runs), then
    /// only its atomic entries change.
    nonisolated(unsafe) static var handled = AtomicTable(count: 0)
    /// Times each INTID was made pending by the kernel (`GICD_ISPENDR`
    /// writes of `fire`): the other side of "fired = handled". Assigned once
    /// in `setUp`, as `handled`.
    nonisolated(unsafe) static var fired = AtomicTable(count: 0)
    /// Per shared interrupt (store index): every CPU's handled count
    /// summed, as of the last close of a load epoch (`takeEpochCounts`).
    /// Assigned once in `setUp`; written only under the routing lock.
    nonisolated(unsafe) static var handledAtEpochClose = AtomicTable(count: 0)

    /// The numbering of both tables: the descriptor store's.
    static var layout: InterruptLayout {
        InterruptDescriptors.store.layout
    }

    static func setUp(cpuCount: Int) {
        handled = AtomicTable(count: cpuCount * layout.slotCount)
        fired = AtomicTable(count: layout.slotCount)
        handledAtEpochClose = AtomicTable(count: layout.sharedCount)
    }

    @inline(__always)
    static func recordHandled(_ id: InterruptID, on cpu: LogicalCPU) {
        guard let slot = layout.slot(of: id) else { return }
        handled.increment(cpu.index * layout.slotCount + slot)
    }

    static func handledCount(_ id: InterruptID, on cpu: LogicalCPU) -> Int {
        guard let slot = layout.slot(of: id) else { return 0 }
        return Int(handled.load(cpu.index * layout.slotCount + slot))
    }

    /// Every interrupt `cpu` has handled.
    static func handledCount(on cpu: LogicalCPU) -> Int {
        let row = cpu.index * layout.slotCount
        var total = 0
        for slot in 0 ..< layout.slotCount {
            total += Int(handled.load(row + slot))
        }
        return total
    }

    /// Handled on every CPU together.
    static func handledCount(_ id: InterruptID) -> Int {
        var total = 0
        for index in 0 ..< Machine.current.cpuCount {
            total += handledCount(id, on: LogicalCPU(index))
        }
        return total
    }

    /// Waits (bounded) until `id` has been handled more than `before` times
    /// in all, then a little longer so that a duplicate delivery would show,
    /// and returns how many times it was handled since `before`.
    static func settle(_ id: InterruptID, after before: Int) -> Int {
        _ = Deadline.wait(milliseconds: 500, for: .otherCPUs) { handledCount(id) > before }
        _ = Deadline.wait(milliseconds: 2, for: .otherCPUs) { false }
        return handledCount(id) - before
    }

    /// Hands `body` what each shared interrupt (by store index) handled,
    /// on every CPU together, since the last call, and remembers the new
    /// sums. For the controlling CPU closing a load epoch under the routing
    /// lock, never the interrupt path: it reads every CPU's row. Counters
    /// wrap at 2^32; the difference is taken modulo 2^32, exact while an
    /// epoch handles fewer than 2^32 of one interrupt. Before `setUp` (a
    /// policy chosen on the command line) nothing has been handled: a no-op.
    static func takeEpochCounts(_ body: (_ position: Int, _ handled: UInt32) -> Void) {
        let positions = handledAtEpochClose.count
        guard positions > 0 else { return }
        let cpuCount = handled.count / layout.slotCount
        for position in 0 ..< positions {
            let slot = InterruptLayout.privateCount + position
            var sum: UInt32 = 0
            for cpu in 0 ..< cpuCount {
                sum &+= handled.load(cpu * layout.slotCount + slot)
            }
            let handledSince = sum &- handledAtEpochClose.load(position)
            handledAtEpochClose.store(position, sum)
            if handledSince != 0 { body(position, handledSince) }
        }
    }

    static func recordFired(_ id: InterruptID) {
        guard let slot = layout.slot(of: id) else { return }
        fired.increment(slot)
    }

    static func firedCount(_ id: InterruptID) -> Int {
        guard let slot = layout.slot(of: id) else { return 0 }
        return Int(fired.load(slot))
    }
}
