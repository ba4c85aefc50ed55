// The balanced policy: hand-worked cases, then its invariants after every
// event of random sequences, read back from the simulated register file.
import XCTest
@testable import HotplugCore

final class RebalanceBalancedPolicyTests: XCTestCase {
    /// Down moves only the dying CPU's descriptors, each to the least loaded
    /// CPU (lowest number on a tie), and keeps their requested masks.
    func testDownMovesOnlyTheDyingCPUsDescriptors() {
        // Targets 0,1,2,1,2,2: counts 1, 2, 3. CPU 2 dies: its three go to
        // 0 (1 -> 2), then 0 and 1 tie at 2 -> 0, then 1.
        var distributor = SimulatedDistributor()
        let table = routedTable(count: 6, targets: [0, 1, 2, 1, 2, 2], distributor: &distributor)
        var policy = BalancedPolicy()
        let outcome = policy.rebalance(from: LogicalCPU(2), up: false, online: cpus(0, 1), store: table, router: &distributor)
        XCTAssertEqual(outcome.routeWrites, 3)
        XCTAssertEqual(outcome.descriptorsMoved, 3)
        XCTAssertEqual(distributor.writes.map(\.id.rawValue), [34, 36, 37])
        XCTAssertEqual(distributor.writes.map(\.cpu.index), [0, 0, 1])
        for index in 0 ..< 6 {
            XCTAssertEqual(table[index].requestedAffinity, CPUMask.all(upTo: CPUMask.capacity))
        }
        XCTAssertEqual(policy.load[LogicalCPU(0)], 3)
        XCTAssertEqual(policy.load[LogicalCPU(1)], 3)
    }

    /// A CPU going down with nothing routed to it: no write at all.
    func testDownWithNothingOnTheDyingCPUWritesNothing() {
        var distributor = SimulatedDistributor()
        let table = routedTable(count: 4, targets: [0, 1], distributor: &distributor)
        var policy = BalancedPolicy()
        let outcome = policy.rebalance(from: LogicalCPU(2), up: false, online: cpus(0, 1), store: table, router: &distributor)
        XCTAssertEqual(outcome.routeWrites, 0)
        XCTAssertTrue(distributor.writes.isEmpty)
    }

    /// Down with a mask whose only CPU dies: routed outside it to the least
    /// loaded online CPU, marked broken; restored to the mask when its CPU
    /// returns.
    func testBrokenAffinityIsMarkedThenRestored() {
        var distributor = SimulatedDistributor()
        let table = routedTable(count: 3, targets: [0, 2, 1], distributor: &distributor)
        table.withDescriptor(at: 1) { $0.requestedAffinity = cpus(2) }
        var policy = BalancedPolicy()
        var online = cpus(0, 1)
        let down = policy.rebalance(from: LogicalCPU(2), up: false, online: online, store: table, router: &distributor)
        XCTAssertEqual(down.brokenAffinities, 1)
        XCTAssertTrue(table[1].affinityBroken)
        XCTAssertEqual(table[1].requestedAffinity, cpus(2))
        XCTAssertEqual(distributor.target(of: InterruptID(33)), LogicalCPU(0))   // 0 and 1 tie: lowest

        online.insert(LogicalCPU(2))
        let up = policy.rebalance(from: LogicalCPU(2), up: true, online: online, store: table, router: &distributor)
        XCTAssertEqual(up.restoredAffinities, 1)
        XCTAssertEqual(up.routeWrites, 1)
        XCTAssertFalse(table[1].affinityBroken)
        XCTAssertEqual(distributor.target(of: InterruptID(33)), LogicalCPU(2))
    }

    /// Up prefers descriptors whose mask contains the new CPU: CPU 0 has
    /// four, two of which may not go to CPU 1. Bringing CPU 1 up moves two,
    /// and both are from those that allow CPU 1 although the others come
    /// first in INTID order.
    func testUpPrefersDescriptorsWhoseMaskHasTheNewCPU() {
        var distributor = SimulatedDistributor()
        let table = routedTable(count: 4, targets: [0], distributor: &distributor)
        table.withDescriptor(at: 0) { $0.requestedAffinity = cpus(0, 2) }
        table.withDescriptor(at: 1) { $0.requestedAffinity = cpus(0, 2) }
        var policy = BalancedPolicy()
        let outcome = policy.rebalance(from: LogicalCPU(1), up: true, online: cpus(0, 1), store: table, router: &distributor)
        XCTAssertEqual(outcome.routeWrites, 2)
        XCTAssertEqual(distributor.writes.map(\.id.rawValue), [34, 35])
        XCTAssertEqual(distributor.writes.map(\.cpu.index), [1, 1])
    }

    /// Up when already balanced: nothing written.
    func testUpWhenBalancedWritesNothing() {
        var distributor = SimulatedDistributor()
        let table = routedTable(count: 5, targets: [0, 1, 2], distributor: &distributor)
        var policy = BalancedPolicy()
        // Counts 2, 2, 1 and a new CPU 3 with 0: 5 over 4 is 1 r 1, so
        // one of the twos must give one: one write.
        let first = policy.rebalance(from: LogicalCPU(3), up: true, online: cpus(0, 1, 2, 3), store: table, router: &distributor)
        XCTAssertEqual(first.routeWrites, 1)
        let again = policy.rebalance(from: LogicalCPU(3), up: true, online: cpus(0, 1, 2, 3), store: table, router: &distributor)
        XCTAssertEqual(again.routeWrites, 0)
    }

    /// An in-progress descriptor on the dying CPU: the move is deferred (no
    /// write), and end of interrupt writes it.
    func testInProgressMoveIsDeferredToEndOfInterrupt() {
        var distributor = SimulatedDistributor()
        let table = routedTable(count: 2, targets: [1, 0], distributor: &distributor)
        table.withDescriptor(at: 0) { $0.status.insert(.inProgress) }
        var policy = BalancedPolicy()
        let outcome = policy.rebalance(from: LogicalCPU(1), up: false, online: cpus(0), store: table, router: &distributor)
        XCTAssertEqual(outcome.routeWrites, 0)
        XCTAssertEqual(outcome.deferredMoves, 1)
        XCTAssertEqual(table[0].deferredTarget, LogicalCPU(0))
        let change = table.withDescriptor(at: 0) { descriptor -> AffinityChange in
            descriptor.status.remove(.inProgress)
            return AffinitySetting.completeDeferredMove(&descriptor, online: cpus(0), router: &distributor)
        }
        XCTAssertEqual(change, .routed(LogicalCPU(0)))
        XCTAssertEqual(distributor.target(of: InterruptID(32)), LogicalCPU(0))
    }

    /// `policy`'s index says what a recount of `table` says: current, each
    /// descriptor on the same CPU's list, the same broken set.
    private func assertIndexMatchesRecount(_ policy: BalancedPolicy, _ table: DescriptorTable, machineSize: Int,
                                           file: StaticString = #filePath, line: UInt = #line) {
        var recount = RoutingIndex()
        recount.rebuild(from: table)
        XCTAssertTrue(policy.routingIndex.isCurrent(for: table), "index not current", file: file, line: line)
        for position in 0 ..< table.count {
            XCTAssertEqual(policy.routingIndex.cpu(listing: position), recount.cpu(listing: position), "list of #\(position)", file: file, line: line)
            XCTAssertEqual(policy.routingIndex.isBroken(position), recount.isBroken(position), "broken #\(position)", file: file, line: line)
        }
        for cpu in 0 ..< machineSize {
            XCTAssertEqual(policy.load[LogicalCPU(cpu)], recount.load[LogicalCPU(cpu)], "count of CPU \(cpu)", file: file, line: line)
        }
    }

    /// The case the property `balancedLeavesNoDeferredMoveOnOfflineCPU`
    /// shrank to. Two CPUs, only CPU 0 online, two descriptors on it. The
    /// handler of #0 starts on CPU 0; CPU 1 comes online and the rebalance
    /// defers #0's move to CPU 1; CPU 1 goes offline before #0's end of
    /// interrupt. The down path re-aims the pending move at CPU 0 without a
    /// write (the handler still runs), keeps its index exact without a
    /// recount, and the end of interrupt writes CPU 0.
    func testPendingMoveToDyingCPUIsReaimedWithoutWrite() {
        var distributor = SimulatedDistributor()
        let table = routedTable(count: 2, targets: [0], distributor: &distributor)
        var policy = BalancedPolicy()
        table.withDescriptor(at: 0) { $0.status.insert(.inProgress) }

        let up = policy.rebalance(from: LogicalCPU(1), up: true, online: cpus(0, 1), store: table, router: &distributor)
        XCTAssertEqual(up.routeWrites, 0)
        XCTAssertEqual(up.deferredMoves, 1)
        XCTAssertTrue(table[0].status.contains(.movePending))
        XCTAssertEqual(table[0].deferredTarget, LogicalCPU(1))
        XCTAssertEqual(policy.rebuilds, 1)   // the first event recounts

        let down = policy.rebalance(from: LogicalCPU(1), up: false, online: cpus(0), store: table, router: &distributor)
        XCTAssertEqual(down, RebalanceOutcome(routeWrites: 0, descriptorsMoved: 1, deferredMoves: 1, descriptorsExamined: 1))
        XCTAssertTrue(distributor.writes.isEmpty)
        XCTAssertTrue(table[0].status.contains(.movePending))
        XCTAssertTrue(table[0].status.contains(.inProgress))
        XCTAssertEqual(table[0].deferredTarget, LogicalCPU(0))
        XCTAssertEqual(table[0].effectiveTarget, LogicalCPU(0))
        XCTAssertFalse(table[0].affinityBroken)
        XCTAssertEqual(policy.rebuilds, 1)   // its own change: no recount
        XCTAssertEqual(policy.load[LogicalCPU(0)], 2)
        XCTAssertEqual(policy.load[LogicalCPU(1)], 0)
        assertIndexMatchesRecount(policy, table, machineSize: 2)

        let change = table.withDescriptor(at: 0) { descriptor -> AffinityChange in
            descriptor.status.remove(.inProgress)
            return AffinitySetting.completeDeferredMove(&descriptor, online: cpus(0), router: &distributor)
        }
        XCTAssertEqual(change, .routed(LogicalCPU(0)))
        XCTAssertEqual(distributor.writes.count, 1)
        XCTAssertEqual(distributor.target(of: InterruptID(32)), LogicalCPU(0))
        XCTAssertNil(table[0].deferredTarget)
    }

    /// A pending move aimed at the dying CPU goes where the down path sends
    /// a descriptor routed there: the least loaded online CPU of its mask,
    /// else the least loaded online CPU with the affinity marked broken.
    /// CPUs 0, 1, 2 online; #0 in progress on CPU 0 with its move deferred
    /// to CPU 1 by set-affinity; #1 and #2 on CPU 2, #3 on CPU 0. CPU 1 goes
    /// offline: counts 1 (CPU 0) and 2 (CPU 2).
    func testPendingMoveToDyingCPUFollowsItsMask() {
        let cases: [(mask: CPUMask, target: Int, broken: Bool, atEndOfInterrupt: AffinityChange)] = [
            // Every CPU: the least loaded online one.
            (CPUMask.all(upTo: CPUMask.capacity), 0, false, .routed(LogicalCPU(0))),
            // CPUs 1 and 2: CPU 2, the mask's only online CPU, although CPU 0 has fewer.
            (cpus(1, 2), 2, false, .routed(LogicalCPU(2))),
            // CPU 1 only: none of the mask online, the least loaded online CPU, broken.
            (cpus(1), 0, true, .routedOutsideMask(LogicalCPU(0))),
        ]
        for (mask, target, broken, atEndOfInterrupt) in cases {
            let context = "mask \(mask.braced)"
            var distributor = SimulatedDistributor()
            let table = routedTable(count: 4, targets: [0, 2, 2, 0], distributor: &distributor)
            table.withDescriptor(at: 0) { $0.status.insert(.inProgress) }
            let deferred = table.withDescriptor(at: 0) { descriptor in
                AffinitySetting.setAffinity(&descriptor, to: mask, online: cpus(0, 1, 2),
                                            choose: { $0.contains(LogicalCPU(1)) ? LogicalCPU(1) : nil }, router: &distributor)
            }
            XCTAssertEqual(deferred, .deferred(LogicalCPU(1)), context)
            var policy = BalancedPolicy()

            let down = policy.rebalance(from: LogicalCPU(1), up: false, online: cpus(0, 2), store: table, router: &distributor)
            XCTAssertEqual(down.routeWrites, 0, context)
            XCTAssertEqual(down.descriptorsMoved, 1, context)
            XCTAssertEqual(down.deferredMoves, 1, context)
            XCTAssertEqual(down.brokenAffinities, broken ? 1 : 0, context)
            XCTAssertTrue(distributor.writes.isEmpty, context)
            XCTAssertEqual(table[0].deferredTarget, LogicalCPU(target), context)
            XCTAssertEqual(table[0].affinityBroken, broken, context)
            XCTAssertEqual(table[0].requestedAffinity, mask, context)
            assertIndexMatchesRecount(policy, table, machineSize: 3)

            let change = table.withDescriptor(at: 0) { descriptor -> AffinityChange in
                descriptor.status.remove(.inProgress)
                return AffinitySetting.completeDeferredMove(&descriptor, online: cpus(0, 2), router: &distributor)
            }
            XCTAssertEqual(change, atEndOfInterrupt, context)
            XCTAssertEqual(distributor.target(of: InterruptID(32)), LogicalCPU(target), context)
        }
    }

    /// Masks that make the global balance impossible: six descriptors
    /// limited to CPUs 0 and 1, all on CPU 0, and six limited to CPU 2.
    /// Counts 6, 0, 6 can at best become 3, 3, 6: the balancing passes stop
    /// at 4, 2, 6 (the global share is 4), and the gap-narrowing pass makes
    /// it 3, 3, 6. Three writes, none for CPU 2's descriptors.
    func testMasksThatForbidBalanceStillNarrowGaps() {
        var distributor = SimulatedDistributor()
        let table = routedTable(count: 12, targets: [0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2], distributor: &distributor)
        for index in 0 ..< 12 {
            table.withDescriptor(at: index) { $0.requestedAffinity = index < 6 ? cpus(0, 1) : cpus(2) }
        }
        var policy = BalancedPolicy()
        let outcome = policy.rebalance(from: LogicalCPU(1), up: true, online: cpus(0, 1, 2), store: table, router: &distributor)
        XCTAssertEqual(outcome.routeWrites, 3)
        XCTAssertEqual(registerLoad(table, distributor), [0: 3, 1: 3, 2: 6])
        XCTAssertFalse(distributor.writes.contains { $0.id.rawValue >= 38 })
    }

    /// A down event visits the dying CPU's descriptors only: a fresh policy
    /// counts the table once (50 visits, its first event), then looks at the
    /// dying CPU's single descriptor.
    func testMovingPassStopsAfterTheLastMove() {
        var distributor = SimulatedDistributor()
        let table = routedTable(count: 50, targets: [0], distributor: &distributor)
        table.withDescriptor(at: 0) { $0.effectiveTarget = LogicalCPU(1) }
        var policy = BalancedPolicy()
        let outcome = policy.rebalance(from: LogicalCPU(1), up: false, online: cpus(0), store: table, router: &distributor)
        XCTAssertEqual(outcome.routeWrites, 1)
        XCTAssertEqual(outcome.descriptorsExamined, 50 + 1)
    }

    // MARK: Random sequences

    /// Default all-CPU masks, descriptors with and without handlers and some
    /// guest-bound, random machines and starting sets. After settling and
    /// after every online/offline event: no movable descriptor routed to an
    /// offline CPU; counts within one; route writes equal to the minimum of
    /// `RebalanceBounds` for that event; guest-bound and handler-less
    /// descriptors never written. Read from the register file.
    func testDefaultMasksStayBalancedWithMinimumWrites() {
        var events = 0
        var totalWrites = 0
        for seed in UInt64(1) ... 300 {
            var rng = RebalanceRandom(seed: seed &* 7919)
            let machineSize = [2, 3, 4, 6, 8, 20, 70][rng.below(7)]
            let machine = CPUMask.all(upTo: machineSize)
            var online = randomSubset(of: machine, &rng)
            let layout = smallLayout(spis: 1 + rng.below(60), extended: rng.chance(25) ? rng.below(30) : 0)
            let table = DescriptorTable(layout: layout)
            var distributor = SimulatedDistributor()
            let boot = online.first!
            for index in 0 ..< table.count {
                table.withDescriptor(at: index) { descriptor in
                    descriptor.hasHandler = rng.chance(85)
                    if rng.chance(10) { descriptor.status.insert(.guestBound) }
                    // Boot routes ours to the boot CPU; a guest's anywhere.
                    descriptor.effectiveTarget = descriptor.isMovable ? boot : rng.member(of: machine)
                }
            }
            presetRegisters(from: table, into: &distributor)
            let untouchable = (0 ..< table.count).filter { !table[$0].isMovable }.map { (table[$0].id, distributor.target(of: table[$0].id)) }
            var policy = BalancedPolicy()

            // Settle: the boot CPU's load is spread as by an online event.
            var step = -1
            var pending: RebalanceEvent? = nil
            repeat {
                let writesBefore = distributor.writes.count
                let expected: Int
                let outcome: RebalanceOutcome
                switch pending {
                case nil:
                    var load = CPULoad()
                    load.recount(table)
                    expected = RebalanceBounds.minimumMovesForOnline(load: load, online: online)
                    outcome = policy.rebalance(from: boot, up: true, online: online, store: table, router: &distributor)
                case .offline(let cpu):
                    expected = RebalanceBounds.minimumMovesForOffline(from: cpu, store: table)
                    online.remove(cpu)
                    outcome = policy.rebalance(from: cpu, up: false, online: online, store: table, router: &distributor)
                case .online(let cpu):
                    online.insert(cpu)
                    var load = CPULoad()
                    load.recount(table)
                    expected = RebalanceBounds.minimumMovesForOnline(load: load, online: online)
                    outcome = policy.rebalance(from: cpu, up: true, online: online, store: table, router: &distributor)
                default:
                    fatalError("no interrupt events here")
                }
                let context = "seed \(seed), step \(step) (\(pending.map(\.description) ?? "settle"))"
                let made = distributor.writes.count - writesBefore
                XCTAssertEqual(made, outcome.routeWrites, context)
                XCTAssertEqual(made, expected, context)
                XCTAssertEqual(outcome.brokenAffinities, 0, context)

                let counts = registerLoad(table, distributor)
                for (cpu, _) in counts {
                    XCTAssertTrue(online.contains(LogicalCPU(cpu)), "\(context): movable descriptor on offline CPU \(cpu)")
                }
                let onlineCounts = online.map { counts[$0.index] ?? 0 }
                XCTAssertLessThanOrEqual(onlineCounts.max()! - onlineCounts.min()!, 1, "\(context): counts \(onlineCounts)")
                for (id, target) in untouchable {
                    XCTAssertEqual(distributor.target(of: id), target, context)
                }
                totalWrites += made
                events += 1

                step += 1
                pending = randomEvent(online: online, machine: machine, descriptors: 0, interruptEvents: false, &rng)
            } while step < 1 + rng.below(50)
            let untouchedIDs = Set(untouchable.map(\.0.rawValue))
            XCTAssertFalse(distributor.writes.contains { untouchedIDs.contains($0.id.rawValue) }, "seed \(seed)")
        }
        XCTAssertGreaterThan(events, 1000)
        XCTAssertGreaterThan(totalWrites, 1000)
    }

    /// Random masks, in-progress handlers and pending moves. After every
    /// event, for every movable descriptor without a pending move: it is
    /// routed (register file) to an online CPU; inside its mask whenever the
    /// mask has an online CPU, and then not marked broken; outside it and
    /// marked broken only when no CPU of the mask is online. Descriptors
    /// without handlers and guest-bound ones are never written.
    func testRandomMasksHonouredBrokenOnlyWhenEmptyAndRestored() {
        var broken = 0
        var restored = 0
        for seed in UInt64(1) ... 300 {
            var rng = RebalanceRandom(seed: seed &* 104_729)
            let machineSize = [2, 3, 4, 6, 8, 20, 70][rng.below(7)]
            let machine = CPUMask.all(upTo: machineSize)
            var online = randomSubset(of: machine, &rng)
            let table = DescriptorTable(layout: smallLayout(spis: 1 + rng.below(50), extended: rng.chance(25) ? rng.below(20) : 0))
            var distributor = SimulatedDistributor()
            for index in 0 ..< table.count {
                table.withDescriptor(at: index) { descriptor in
                    descriptor.hasHandler = rng.chance(85)
                    if rng.chance(10) { descriptor.status.insert(.guestBound) }
                    switch rng.below(3) {
                    case 0: break                                                   // all CPUs
                    case 1: descriptor.requestedAffinity = CPUMask(single: rng.member(of: machine))
                    default: descriptor.requestedAffinity = randomSubset(of: machine, &rng)
                    }
                    // Start consistent: inside the mask if it can be, else broken.
                    let inMask = descriptor.requestedAffinity.intersection(online)
                    if inMask.isEmpty {
                        descriptor.effectiveTarget = rng.member(of: online)
                        descriptor.affinityBroken = descriptor.isMovable
                    } else {
                        descriptor.effectiveTarget = rng.member(of: inMask)
                    }
                }
            }
            presetRegisters(from: table, into: &distributor)
            let untouchable = (0 ..< table.count).filter { !table[$0].isMovable }.map { (table[$0].id, distributor.target(of: table[$0].id)) }
            var policy = BalancedPolicy()

            for step in 0 ..< 1 + rng.below(50) {
                let event = randomEvent(online: online, machine: machine, descriptors: table.count, interruptEvents: true, &rng)
                switch event {
                case .offline(let cpu):
                    online.remove(cpu)
                    let outcome = policy.rebalance(from: cpu, up: false, online: online, store: table, router: &distributor)
                    broken += outcome.brokenAffinities
                case .online(let cpu):
                    online.insert(cpu)
                    let outcome = policy.rebalance(from: cpu, up: true, online: online, store: table, router: &distributor)
                    restored += outcome.restoredAffinities
                case .handlerStarts(let index):
                    table.withDescriptor(at: index) { $0.status.insert(.inProgress) }
                case .endOfInterrupt(let index):
                    _ = table.withDescriptor(at: index) { descriptor -> AffinityChange in
                        descriptor.status.remove(.inProgress)
                        return AffinitySetting.completeDeferredMove(&descriptor, online: online, router: &distributor)
                    }
                }
                let context = "seed \(seed), step \(step) (\(event))"
                for index in 0 ..< table.count {
                    let descriptor = table[index]
                    guard descriptor.isMovable, !descriptor.status.contains(.movePending) else { continue }
                    guard let target = distributor.target(of: descriptor.id) else {
                        XCTFail("\(context): INTID \(descriptor.id.rawValue) not routed"); continue
                    }
                    XCTAssertEqual(descriptor.effectiveTarget, target, context)
                    XCTAssertTrue(online.contains(target), "\(context): INTID \(descriptor.id.rawValue) on offline CPU \(target.index)")
                    if descriptor.requestedAffinity.isDisjoint(with: online) {
                        XCTAssertTrue(descriptor.affinityBroken, "\(context): INTID \(descriptor.id.rawValue) not marked broken")
                    } else {
                        XCTAssertTrue(descriptor.requestedAffinity.contains(target), "\(context): INTID \(descriptor.id.rawValue) outside its mask")
                        XCTAssertFalse(descriptor.affinityBroken, "\(context): INTID \(descriptor.id.rawValue) still marked broken")
                    }
                }
                for (id, target) in untouchable {
                    XCTAssertEqual(distributor.target(of: id), target, context)
                }
            }
        }
        // The sequences really broke and restored affinities.
        XCTAssertGreaterThan(broken, 50)
        XCTAssertGreaterThan(restored, 50)
    }
}
