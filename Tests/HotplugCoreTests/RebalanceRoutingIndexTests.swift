// The balanced policy's incremental bookkeeping (`RoutingIndex`): it must
// equal a full recount after any sequence of events, including routing
// changes made outside the policy, and it must make an offline visit only
// the dying CPU's descriptors.
import XCTest
@testable import HotplugCore

/// A store that forwards to a `DescriptorTable` but keeps no generation:
/// the balanced policy must recount on every event.
private struct StoreWithoutGeneration: DescriptorStore {
    let table: DescriptorTable
    var count: Int { table.count }

    func withDescriptor<Result>(at index: Int, _ body: (inout InterruptDescriptor) -> Result) -> Result {
        table.withDescriptor(at: index, body)
    }
}

/// A store whose generation never moves, whatever happens: it hides
/// routing changes from the policy, as a store with a bug would.
private struct StoreThatHidesChanges: DescriptorStore {
    let table: DescriptorTable
    var count: Int { table.count }
    var routingGeneration: UInt64? { 7 }

    func withDescriptor<Result>(at index: Int, _ body: (inout InterruptDescriptor) -> Result) -> Result {
        table.withDescriptor(at: index, body)
    }
}

final class RebalanceRoutingIndexTests: XCTestCase {
    /// What the index must hold, worked out from the descriptors alone:
    /// per CPU the movable descriptors delivered there (a pending move's
    /// CPU, else the effective target), and the movable broken ones.
    private func recount(_ table: DescriptorTable) -> (lists: [Int: Set<Int>], broken: Set<Int>) {
        var lists: [Int: Set<Int>] = [:]
        var broken: Set<Int> = []
        for index in 0 ..< table.count {
            let descriptor = table[index]
            guard descriptor.isMovable else { continue }
            let pending = descriptor.status.contains(.movePending) ? descriptor.deferredTarget : nil
            if let cpu = pending ?? descriptor.effectiveTarget {
                lists[cpu.index, default: []].insert(index)
            }
            if descriptor.affinityBroken {
                broken.insert(index)
            }
        }
        return (lists, broken)
    }

    /// Asserts that `index` holds exactly what `recount` finds in `table`.
    private func assertMatchesRecount(_ index: RoutingIndex, _ table: DescriptorTable, machineSize: Int,
                                      _ context: @autoclosure () -> String,
                                      file: StaticString = #filePath, line: UInt = #line) {
        let expected = recount(table)
        let load = index.load
        for cpu in 0 ..< machineSize {
            var listed: [Int] = []
            index.forEachDescriptor(on: LogicalCPU(cpu)) { listed.append($0) }
            XCTAssertEqual(listed.count, Set(listed).count, "\(context()): CPU \(cpu) lists a descriptor twice", file: file, line: line)
            XCTAssertEqual(Set(listed), expected.lists[cpu] ?? [], "\(context()): list of CPU \(cpu)", file: file, line: line)
            XCTAssertEqual(load[LogicalCPU(cpu)], expected.lists[cpu]?.count ?? 0, "\(context()): count of CPU \(cpu)", file: file, line: line)
            for position in listed {
                XCTAssertEqual(index.cpu(listing: position), LogicalCPU(cpu), "\(context()): #\(position)", file: file, line: line)
            }
        }
        for position in 0 ..< table.count {
            XCTAssertEqual(index.isBroken(position), expected.broken.contains(position), "\(context()): broken #\(position)", file: file, line: line)
        }
        XCTAssertEqual(index.brokenCount, expected.broken.count, "\(context()): broken count", file: file, line: line)
    }

    /// A table of `layout` with a handler on every descriptor but every
    /// `withoutHandlerEvery`-th, all-CPU masks, everything on CPU 0.
    private func table(_ layout: InterruptLayout, withoutHandlerEvery: Int = 50) -> DescriptorTable {
        let table = DescriptorTable(layout: layout)
        for index in 0 ..< table.count {
            table.withDescriptor(at: index) { descriptor in
                descriptor.hasHandler = index % withoutHandlerEvery != 7
                descriptor.effectiveTarget = LogicalCPU(0)
            }
        }
        return table
    }

    // MARK: Random sequences against a full recount

    /// Random machines, tables, masks and event sequences, mixing hotplug
    /// events with changes the policy does not make: handlers starting and
    /// ending (deferred moves written at end of interrupt), set-affinity
    /// from "the console", handlers claimed and released, interrupts given
    /// to or taken from a guest, and whole descriptors replaced. After
    /// every rebalance the index equals a recount of the table; the policy
    /// recounted the table exactly when something outside it had changed a
    /// routing state since the previous rebalance; and no movable
    /// descriptor without a pending move is left on an offline CPU.
    func testBookkeepingMatchesRecountAfterRandomEvents() {
        var rebalances = 0
        var externalChanges = 0
        var incrementalEvents = 0
        for seed in UInt64(1) ... 200 {
            var rng = RebalanceRandom(seed: seed &* 6_700_417)
            let machineSize = [2, 3, 4, 8, 20, 70][rng.below(6)]
            let machine = CPUMask.all(upTo: machineSize)
            var online = randomSubset(of: machine, &rng)
            let table = DescriptorTable(layout: smallLayout(spis: 1 + rng.below(80), extended: rng.chance(25) ? rng.below(40) : 0))
            var distributor = SimulatedDistributor()
            for index in 0 ..< table.count {
                table.withDescriptor(at: index) { descriptor in
                    descriptor.hasHandler = rng.chance(85)
                    if rng.chance(5) { descriptor.status.insert(.guestBound) }
                    if rng.chance(30) { descriptor.requestedAffinity = randomSubset(of: machine, &rng) }
                    descriptor.effectiveTarget = rng.member(of: online)
                }
            }
            presetRegisters(from: table, into: &distributor)
            var policy = BalancedPolicy()
            var changedOutside = true   // the first rebalance always recounts

            for step in 0 ..< 1 + rng.below(60) {
                let context = "seed \(seed), step \(step)"
                let before = (0 ..< table.count).map { RoutingState(table[$0]) }
                var rebalanced = true
                switch rng.below(10) {
                case 0, 1, 2:
                    guard online.count > 1 else { continue }
                    let cpu = rng.member(of: online)
                    online.remove(cpu)
                    let rebuildsBefore = policy.rebuilds
                    _ = policy.rebalance(from: cpu, up: false, online: online, store: table, router: &distributor)
                    XCTAssertEqual(policy.rebuilds - rebuildsBefore, changedOutside ? 1 : 0, "\(context): offline \(cpu.index)")
                    for index in 0 ..< table.count {
                        let descriptor = table[index]
                        guard descriptor.isMovable, !descriptor.status.contains(.movePending) else { continue }
                        XCTAssertNotEqual(descriptor.effectiveTarget, cpu, "\(context): #\(index) left on dying CPU \(cpu.index)")
                    }
                case 3, 4, 5:
                    guard let cpu = machine.subtracting(online).first else { continue }
                    online.insert(cpu)
                    let rebuildsBefore = policy.rebuilds
                    _ = policy.rebalance(from: cpu, up: true, online: online, store: table, router: &distributor)
                    XCTAssertEqual(policy.rebuilds - rebuildsBefore, changedOutside ? 1 : 0, "\(context): online \(cpu.index)")
                case 6:
                    rebalanced = false
                    let index = rng.below(table.count)
                    table.withDescriptor(at: index) { $0.status.insert(.inProgress) }
                case 7:
                    rebalanced = false
                    let index = rng.below(table.count)
                    table.withDescriptor(at: index) { descriptor in
                        descriptor.status.remove(.inProgress)
                        _ = AffinitySetting.completeDeferredMove(&descriptor, online: online, router: &distributor)
                    }
                case 8:
                    rebalanced = false
                    let index = rng.below(table.count)
                    let mask = randomSubset(of: machine, &rng)
                    table.withDescriptor(at: index) { descriptor in
                        guard !descriptor.status.contains(.guestBound) else { return }
                        _ = AffinitySetting.setAffinity(&descriptor, to: mask, online: online, router: &distributor)
                    }
                default:
                    rebalanced = false
                    let index = rng.below(table.count)
                    switch rng.below(3) {
                    case 0: table.withDescriptor(at: index) { $0.hasHandler.toggle() }
                    case 1: table.withDescriptor(at: index) { descriptor in
                        if descriptor.status.contains(.guestBound) {
                            descriptor.status.remove(.guestBound)
                        } else {
                            descriptor.status.insert(.guestBound)
                        }
                    }
                    default:
                        var replacement = table[index]
                        replacement.effectiveTarget = rng.member(of: online)
                        replacement.affinityBroken = false
                        table[index] = replacement
                    }
                }
                if rebalanced {
                    if !changedOutside { incrementalEvents += 1 }
                    changedOutside = false
                    rebalances += 1
                    XCTAssertEqual(policy.routingIndex.generation, table.routingGeneration, context)
                    assertMatchesRecount(policy.routingIndex, table, machineSize: machineSize, context)
                } else if before != (0 ..< table.count).map({ RoutingState(table[$0]) }) {
                    changedOutside = true
                    externalChanges += 1
                }
            }
        }
        // The sequences exercised both kinds of event.
        XCTAssertGreaterThan(rebalances, 1500)
        XCTAssertGreaterThan(externalChanges, 500)
        XCTAssertGreaterThan(incrementalEvents, 300)
    }

    // MARK: Cost

    /// Offline of one CPU after an even spread, then online of the same
    /// CPU: the offline visits exactly the dying CPU's descriptors (each
    /// moved, one write each), and the online exactly the descriptors it
    /// moves, as many as the lower bound — however large the table. Tables from QEMU's 224 SPIs to the
    /// architectural maximum, 988 SPIs + 1024 eSPIs.
    func testCostFollowsWhatMovesNotTheTable() {
        let layouts: [(InterruptLayout, String)] = [
            (InterruptLayout(DistributorType(rawValue: 7)), "QEMU: ITLinesNumber 7, 224 SPIs"),
            (smallLayout(spis: 988), "988 SPIs"),
            (smallLayout(spis: 988, extended: 1024), "988 SPIs + 1024 eSPIs"),
        ]
        for (layout, name) in layouts {
            for cpuCount in [2, 8, 32, 128, 512] {
                let context = "\(name), \(cpuCount) CPUs"
                let table = self.table(layout)
                var router = SimulatedDistributor()
                var policy = BalancedPolicy()
                let all = CPUMask.all(upTo: cpuCount)
                _ = policy.rebalance(from: LogicalCPU(0), up: true, online: all, store: table, router: &router)
                let dying = LogicalCPU(cpuCount / 2)
                let onDying = policy.load[dying]
                var online = all
                online.remove(dying)

                let down = policy.rebalance(from: dying, up: false, online: online, store: table, router: &router)
                XCTAssertEqual(down.descriptorsExamined, onDying, context)
                XCTAssertEqual(down.routeWrites, onDying, context)
                XCTAssertEqual(policy.load[dying], 0, context)

                let minimum = RebalanceBounds.minimumMovesForOnline(load: policy.load, online: all)
                let up = policy.rebalance(from: dying, up: true, online: all, store: table, router: &router)
                XCTAssertEqual(up.descriptorsExamined, up.routeWrites, context)
                XCTAssertEqual(up.routeWrites, minimum, context)
                XCTAssertEqual(policy.rebuilds, 1, "\(context): only the first event recounts")
                let spread = policy.load.spread(online: all)
                XCTAssertLessThanOrEqual(spread.max - spread.min, 1, context)
            }
        }
    }

    /// The table grows ninefold, the dying CPU's share with it, and the
    /// visits per moved descriptor stay at one.
    func testOfflineVisitsPerMovedDescriptorStayFlat() {
        var ratios: [Double] = []
        for spis in [224, 988] {
            for extended in spis == 988 ? [0, 1024] : [0] {
                let table = self.table(smallLayout(spis: spis, extended: extended))
                var router = SimulatedDistributor()
                var policy = BalancedPolicy()
                let all = CPUMask.all(upTo: 8)
                _ = policy.rebalance(from: LogicalCPU(0), up: true, online: all, store: table, router: &router)
                var online = all
                online.remove(LogicalCPU(5))
                let down = policy.rebalance(from: LogicalCPU(5), up: false, online: online, store: table, router: &router)
                XCTAssertGreaterThan(down.descriptorsMoved, 0)
                ratios.append(Double(down.descriptorsExamined) / Double(down.descriptorsMoved))
            }
        }
        XCTAssertEqual(ratios, [1, 1, 1])
    }

    // MARK: Changes outside the policy

    /// A routing change made outside the policy costs one recount at the
    /// next event and none after; a visit that changes no routing state
    /// (a handler starting and ending without a pending move) costs none.
    func testOutsideChangeCostsOneRecount() {
        let table = self.table(smallLayout(spis: 100))
        var router = SimulatedDistributor()
        var policy = BalancedPolicy()
        var online = CPUMask.all(upTo: 4)
        _ = policy.rebalance(from: LogicalCPU(0), up: true, online: online, store: table, router: &router)
        XCTAssertEqual(policy.rebuilds, 1)

        // Handler start and end, no move: not a routing change.
        table.withDescriptor(at: 3) { $0.status.insert(.inProgress) }
        table.withDescriptor(at: 3) { descriptor in
            descriptor.status.remove(.inProgress)
            _ = AffinitySetting.completeDeferredMove(&descriptor, online: online, router: &router)
        }
        online.remove(LogicalCPU(3))
        let quiet = policy.rebalance(from: LogicalCPU(3), up: false, online: online, store: table, router: &router)
        XCTAssertEqual(policy.rebuilds, 1)
        XCTAssertEqual(quiet.descriptorsExamined, quiet.routeWrites)

        // Set-affinity from outside moves descriptor 10 onto CPU 2.
        table.withDescriptor(at: 10) { descriptor in
            _ = AffinitySetting.setAffinity(&descriptor, to: cpus(2), online: online, router: &router)
        }
        online.remove(LogicalCPU(2))
        let onCPU2 = recount(table).lists[2]!.count
        let noticed = policy.rebalance(from: LogicalCPU(2), up: false, online: online, store: table, router: &router)
        XCTAssertEqual(policy.rebuilds, 2)
        XCTAssertEqual(noticed.descriptorsExamined, table.count + onCPU2)
        XCTAssertEqual(table[10].effectiveTarget.map { online.contains($0) }, true)
        XCTAssertTrue(table[10].affinityBroken)   // its mask's only CPU went down

        online.insert(LogicalCPU(2))
        let restored = policy.rebalance(from: LogicalCPU(2), up: true, online: online, store: table, router: &router)
        XCTAssertEqual(policy.rebuilds, 2)
        XCTAssertEqual(restored.restoredAffinities, 1)
        XCTAssertEqual(table[10].effectiveTarget, LogicalCPU(2))
        assertMatchesRecount(policy.routingIndex, table, machineSize: 4, "after restore")

        // The explicit call recounts too.
        policy.noteExternalRoutingChange()
        online.remove(LogicalCPU(1))
        _ = policy.rebalance(from: LogicalCPU(1), up: false, online: online, store: table, router: &router)
        XCTAssertEqual(policy.rebuilds, 3)
    }

    /// A store without a generation: a recount on every event, and the
    /// same number of writes and the same per-CPU counts as with the
    /// table's own generation (which descriptors move may differ: a recount
    /// lists them in INTID order, moves put them at the head of a list).
    func testStoreWithoutGenerationRecountsEveryEventAndRoutesTheSame() {
        let counted = self.table(smallLayout(spis: 120, extended: 30))
        let uncounted = self.table(smallLayout(spis: 120, extended: 30))
        var countedRouter = SimulatedDistributor()
        var uncountedRouter = SimulatedDistributor()
        var countedPolicy = BalancedPolicy()
        var uncountedPolicy = BalancedPolicy()
        let store = StoreWithoutGeneration(table: uncounted)
        var online = CPUMask.all(upTo: 6)
        var rng = RebalanceRandom(seed: 42)
        _ = countedPolicy.rebalance(from: LogicalCPU(0), up: true, online: online, store: counted, router: &countedRouter)
        _ = uncountedPolicy.rebalance(from: LogicalCPU(0), up: true, online: online, store: store, router: &uncountedRouter)
        for step in 0 ..< 40 {
            let event = randomEvent(online: online, machine: CPUMask.all(upTo: 6), descriptors: 0, interruptEvents: false, &rng)
            let up: Bool
            let cpu: LogicalCPU
            switch event {
            case .offline(let dying): online.remove(dying); up = false; cpu = dying
            case .online(let new): online.insert(new); up = true; cpu = new
            default: continue
            }
            let a = countedPolicy.rebalance(from: cpu, up: up, online: online, store: counted, router: &countedRouter)
            let b = uncountedPolicy.rebalance(from: cpu, up: up, online: online, store: store, router: &uncountedRouter)
            XCTAssertEqual(a.routeWrites, b.routeWrites, "step \(step)")
            XCTAssertEqual(a.descriptorsExamined, a.routeWrites, "step \(step)")
            XCTAssertEqual(b.descriptorsExamined, store.count + b.routeWrites, "step \(step)")
            XCTAssertEqual(registerLoad(counted, countedRouter), registerLoad(uncounted, uncountedRouter), "step \(step)")
        }
        XCTAssertEqual(countedPolicy.rebuilds, 1)
        XCTAssertEqual(uncountedPolicy.rebuilds, 41)
    }

    /// A store that hides changes: one descriptor is moved from CPU 2 to
    /// CPU 1 and another from CPU 1 to CPU 2 behind the policy's back.
    /// Taking CPU 2 down, the policy finds the first on CPU 2's list
    /// although it is elsewhere, recounts, and runs the event again, which
    /// moves the second too: nothing is left on the dying CPU.
    func testListsFoundOutOfDateCauseARecountAndASecondRun() {
        let table = self.table(smallLayout(spis: 9))
        let store = StoreThatHidesChanges(table: table)
        var router = SimulatedDistributor()
        var policy = BalancedPolicy()
        var online = CPUMask.all(upTo: 3)
        _ = policy.rebalance(from: LogicalCPU(0), up: true, online: online, store: store, router: &router)
        let leftCPU2 = (0 ..< table.count).first { table[$0].effectiveTarget == LogicalCPU(2) }!
        let joinedCPU2 = (0 ..< table.count).first { table[$0].effectiveTarget == LogicalCPU(1) }!
        table.withDescriptor(at: leftCPU2) { $0.effectiveTarget = LogicalCPU(1) }
        table.withDescriptor(at: joinedCPU2) { $0.effectiveTarget = LogicalCPU(2) }
        let mustMove = RebalanceBounds.minimumMovesForOffline(from: LogicalCPU(2), store: table)

        online.remove(LogicalCPU(2))
        let outcome = policy.rebalance(from: LogicalCPU(2), up: false, online: online, store: store, router: &router)
        XCTAssertEqual(policy.rebuilds, 2)
        for index in 0 ..< table.count {
            XCTAssertNotEqual(table[index].effectiveTarget, LogicalCPU(2), "#\(index)")
        }
        XCTAssertEqual(outcome.routeWrites, mustMove)
        assertMatchesRecount(policy.routingIndex, table, machineSize: 3, "after the second run")
    }

    // MARK: The index itself

    /// A recount lists each CPU's descriptors in INTID order, skips those
    /// that are not movable or routed nowhere, and counts a pending move on
    /// its new CPU.
    func testRebuildListsInINTIDOrder() {
        let table = DescriptorTable(layout: smallLayout(spis: 8))
        let targets: [Int?] = [1, 0, 1, nil, 1, 0, 1, 1]
        for index in 0 ..< 8 {
            table.withDescriptor(at: index) { descriptor in
                descriptor.hasHandler = index != 6                    // #6: no handler
                descriptor.effectiveTarget = targets[index].map(LogicalCPU.init)
            }
        }
        table.withDescriptor(at: 7) { descriptor in                 // #7: moving to CPU 0
            descriptor.status.insert(.movePending)
            descriptor.deferredTarget = LogicalCPU(0)
        }
        table.withDescriptor(at: 2) { $0.affinityBroken = true }
        var index = RoutingIndex()
        XCTAssertFalse(index.isCurrent(for: table))
        index.rebuild(from: table)
        XCTAssertTrue(index.isCurrent(for: table))
        var onCPU0: [Int] = []
        var onCPU1: [Int] = []
        index.forEachDescriptor(on: LogicalCPU(0)) { onCPU0.append($0) }
        index.forEachDescriptor(on: LogicalCPU(1)) { onCPU1.append($0) }
        XCTAssertEqual(onCPU0, [1, 5, 7])
        XCTAssertEqual(onCPU1, [0, 2, 4])
        XCTAssertEqual(index.load[LogicalCPU(0)], 3)
        XCTAssertEqual(index.load[LogicalCPU(1)], 3)
        XCTAssertNil(index.cpu(listing: 3))
        XCTAssertNil(index.cpu(listing: 6))
        XCTAssertEqual(index.brokenCount, 1)
        XCTAssertTrue(index.isBroken(2))

        table.withDescriptor(at: 4) { $0.effectiveTarget = LogicalCPU(0) }
        XCTAssertFalse(index.isCurrent(for: table))
        index.relocate(4, to: LogicalCPU(0))
        onCPU1 = []
        index.forEachDescriptor(on: LogicalCPU(1)) { onCPU1.append($0) }
        XCTAssertEqual(onCPU1, [0, 2])
        XCTAssertEqual(index.load[LogicalCPU(0)], 4)
    }

    /// The heap of online CPUs answers what a walk of them answers (least
    /// count, lowest number on a tie) after every move, moves between
    /// online CPUs and from offline ones alike; a mask that leaves out an
    /// online CPU is walked instead.
    func testHeapAgreesWithAWalkOfTheCPUs() {
        var rng = RebalanceRandom(seed: 99)
        for _ in 0 ..< 40 {
            let machineSize = [2, 3, 8, 33, 512][rng.below(5)]
            let machine = CPUMask.all(upTo: machineSize)
            let online = randomSubset(of: machine, &rng)
            let table = DescriptorTable(layout: smallLayout(spis: 200, extended: rng.below(300)))
            for position in 0 ..< table.count {
                table.withDescriptor(at: position) { descriptor in
                    descriptor.hasHandler = true
                    descriptor.effectiveTarget = rng.member(of: machine)
                }
            }
            var index = RoutingIndex()
            index.rebuild(from: table)
            index.trackLeastLoaded(among: online)
            for _ in 0 ..< 300 {
                XCTAssertEqual(index.leastLoaded(of: machine, online: online), index.load.leastLoaded(in: online))
                let narrow = randomSubset(of: machine, &rng)
                XCTAssertEqual(index.leastLoaded(of: narrow, online: online), index.load.leastLoaded(in: narrow.intersection(online)))
                index.relocate(rng.below(table.count), to: rng.member(of: online))
            }
            index.stopTrackingLeastLoaded()
        }
    }

    /// Generations: distinct tables never show the same one; a visit that
    /// changes no routing state leaves it alone; one that does advances it
    /// by one.
    func testTableGenerations() {
        let first = DescriptorTable(layout: smallLayout(spis: 4))
        let second = DescriptorTable(layout: smallLayout(spis: 4))
        XCTAssertNotEqual(first.routingGeneration, second.routingGeneration)
        let start = first.routingGeneration!
        first.withDescriptor(at: 0) { $0.status.insert(.enabled) }         // not routing
        first.withDescriptor(at: 0) { $0.requestedAffinity = cpus(1) }     // not routing: the index does not keep masks
        XCTAssertEqual(first.routingGeneration, start)
        first.withDescriptor(at: 0) { $0.effectiveTarget = LogicalCPU(1) } // no handler: not movable, no change
        XCTAssertEqual(first.routingGeneration, start)
        first.withDescriptor(at: 0) { $0.hasHandler = true }               // now movable
        XCTAssertEqual(first.routingGeneration, start + 1)
        first[0] = { var d = first[0]; d.effectiveTarget = LogicalCPU(2); return d }()
        XCTAssertEqual(first.routingGeneration, start + 2)
        XCTAssertNil(StoreWithoutGeneration(table: first).routingGeneration)
    }
}
