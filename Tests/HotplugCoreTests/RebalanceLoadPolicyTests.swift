// The load policy on a descriptor table: measured rates placed through
// `AffinitySetting`, read back from the simulated register file; hand-worked
// cases, then random tables and hotplug sequences (seeded).
import XCTest
@testable import HotplugCore

final class RebalanceLoadPolicyTests: XCTestCase {
    /// One epoch of `handled` counts, then the epoch's re-placement.
    private func epoch(_ policy: inout LoadPolicy, _ handled: [UInt32], online: CPUMask,
                       table: DescriptorTable, distributor: inout SimulatedDistributor) -> RebalanceOutcome {
        for (position, count) in handled.enumerated() {
            policy.rates.record(count, at: position)
        }
        return policy.endEpoch(online: online, store: table, router: &distributor)
    }

    /// The rate per CPU, from the registers.
    private func registerRates(_ table: DescriptorTable, _ distributor: SimulatedDistributor, _ rates: [UInt64]) -> [Int: UInt64] {
        var totals: [Int: UInt64] = [:]
        for index in 0 ..< table.count {
            if let cpu = distributor.target(of: table[index].id) {
                totals[cpu.index, default: 0] += rates[index]
            }
        }
        return totals
    }

    /// Everything on CPU 0, rates 8 4 4 2 2 1 1 1 on four CPUs (total 23,
    /// largest 8): budget 3 per epoch; once settled the busiest CPU holds 8,
    /// the bound, and stationary epochs move nothing.
    func testEpochsSpreadByRateWithinBudgetThenStop() {
        var distributor = SimulatedDistributor()
        let table = routedTable(count: 8, targets: [0], distributor: &distributor)
        var policy = LoadPolicy(count: 8, smoothingShift: 0, settings: LoadPlacementSettings(moveBudget: 3))
        let handled: [UInt32] = [8, 4, 4, 2, 2, 1, 1, 1]
        let online = cpus(0, 1, 2, 3)
        var moved: [Int] = []
        for _ in 0 ..< 6 {
            let outcome = epoch(&policy, handled, online: online, table: table, distributor: &distributor)
            XCTAssertLessThanOrEqual(outcome.descriptorsMoved, 3)
            XCTAssertEqual(outcome.routeWrites, outcome.descriptorsMoved)
            XCTAssertEqual(outcome.descriptorsExamined, 8 + outcome.descriptorsMoved)
            moved.append(outcome.descriptorsMoved)
        }
        XCTAssertEqual(moved.suffix(3), [0, 0, 0])
        let totals = registerRates(table, distributor, handled.map(UInt64.init))
        XCTAssertEqual(totals.values.max(), 8)
    }

    /// Smoothed rates (newest epoch weighted 1/2) of a stationary Zipf-like
    /// storm rise toward their counts together, so their ratios barely
    /// change: moves happen in the first epochs only, none from the fourth
    /// on, although the smoothed rates settle only later; and the busiest
    /// CPU then meets the goal on the true counts.
    func testSmoothedStationaryStormStopsMovingAfterThreeEpochs() {
        var generator = SplitMix64(seed: 7)
        for round in 0 ..< 20 {
            let online = CPUMask.all(upTo: 2 + round % 7)
            let count = 8 * online.count + generator.below(40)
            let handled = zipfRates(count: count, scale: 100_000, generator: &generator).map { UInt32($0) }
            var distributor = SimulatedDistributor()
            let table = routedTable(count: count, targets: [0], distributor: &distributor)
            var policy = LoadPolicy(count: count, smoothingShift: 1)
            for epochNumber in 1 ... 12 {
                let outcome = epoch(&policy, handled, online: online, table: table, distributor: &distributor)
                if epochNumber > 3 {
                    XCTAssertEqual(outcome.descriptorsMoved, 0, "round \(round), epoch \(epochNumber)")
                }
            }
            let rates = handled.map(UInt64.init)
            let busiest = registerRates(table, distributor, rates).values.max() ?? 0
            XCTAssertTrue(LoadBalanceGoal.isMet(busiest: busiest, largest: rates.max()!, total: rates.reduce(0, +), onlineCPUs: online.count),
                          "round \(round): busiest \(busiest)")
        }
    }

    /// An epoch in which nothing was handled measures nothing: the rates
    /// stay (no smoothing would otherwise wipe them), nothing moves, and an
    /// offline right after it evacuates by the rates measured before.
    func testEmptyEpochKeepsTheRates() {
        var distributor = SimulatedDistributor()
        let table = routedTable(count: 4, targets: [0, 1], distributor: &distributor)
        var policy = LoadPolicy(count: 4)
        XCTAssertEqual(LoadPolicy.defaultSmoothingShift, 0)
        _ = epoch(&policy, [50, 10, 40, 10], online: cpus(0, 1, 2), table: table, distributor: &distributor)
        let epochs = policy.rates.epochs
        let placed = (0 ..< 4).map { distributor.target(of: table[$0].id) }
        let empty = policy.endEpoch(online: cpus(0, 1, 2), store: table, router: &distributor)
        XCTAssertEqual(empty.descriptorsMoved, 0)
        XCTAssertEqual(policy.rates.epochs, epochs, "an empty epoch is not folded in")
        XCTAssertEqual((0 ..< 4).map { policy.rates.rate(at: $0) }, [50, 10, 40, 10])
        XCTAssertEqual((0 ..< 4).map { distributor.target(of: table[$0].id) }, placed)
    }

    /// The default policy (no smoothing) follows a load shift in one close:
    /// placed by the new counts at the first close after the shift, so the
    /// second epoch after it already meets the goal, and from the close
    /// after the third epoch on nothing moves.
    func testDefaultPolicyFollowsALoadShiftInOneClose() {
        var generator = SplitMix64(seed: 0x5EED)
        for round in 0 ..< 30 {
            let online = CPUMask.all(upTo: [2, 4, 8][round % 3])
            let count = 8 * online.count + generator.below(32)
            var distributor = SimulatedDistributor()
            let table = routedTable(count: count, targets: [0], distributor: &distributor)
            var policy = LoadPolicy(count: count)
            for handled in [zipfRates(count: count, scale: 10_000, generator: &generator),
                            zipfRates(count: count, scale: 10_000, generator: &generator)] {
                for number in 1 ... 6 {
                    let outcome = epoch(&policy, handled.map { UInt32($0) }, online: online, table: table,
                                        distributor: &distributor)
                    XCTAssertLessThanOrEqual(outcome.descriptorsMoved, LoadPlacementSettings().moveBudget)
                    if number >= 3 {
                        XCTAssertEqual(outcome.descriptorsMoved, 0, "round \(round): moves at the close of epoch \(number)")
                    }
                    // The next epoch runs on the placement this close made.
                    let busiest = registerRates(table, distributor, handled).values.max() ?? 0
                    XCTAssertTrue(LoadBalanceGoal.isMet(busiest: busiest, largest: handled.max()!,
                                                        total: handled.reduce(0, +), onlineCPUs: online.count),
                                  "round \(round): epoch \(number + 1) after the shift, busiest \(busiest)")
                }
            }
        }
    }

    /// Down moves only the dying CPU's descriptors, heaviest first, each to
    /// the CPU of least rate.
    func testDownMovesOnlyTheDyingCPUsDescriptorsByRate() {
        var distributor = SimulatedDistributor()
        // CPU 0: #0 (5); CPU 1: #1 (1); CPU 2: #2 (4), #3 (3), #4 (1).
        let table = routedTable(count: 5, targets: [0, 1, 2, 2, 2], distributor: &distributor)
        var policy = LoadPolicy(count: 5, smoothingShift: 0)
        for (position, count) in [5, 1, 4, 3, 1].enumerated() {
            policy.rates.record(UInt32(count), at: position)
        }
        policy.rates.closeEpoch()
        let outcome = policy.rebalance(from: LogicalCPU(2), up: false, online: cpus(0, 1), store: table, router: &distributor)
        // #2 (4) -> CPU 1 (1 -> 5); #3 (3): 5 and 5, the tie to CPU 0 (-> 8);
        // #4 (1) -> CPU 1 (-> 6).
        XCTAssertEqual(distributor.writes.map(\.id.rawValue), [34, 35, 36])
        XCTAssertEqual(distributor.writes.map(\.cpu.index), [1, 0, 1])
        XCTAssertEqual(outcome, RebalanceOutcome(routeWrites: 3, descriptorsMoved: 3, descriptorsExamined: 8))
    }

    /// A move deferred to the dying CPU (handler running elsewhere) is
    /// re-aimed, without a write, as the balanced policy does.
    func testPendingMoveToDyingCPUIsReaimedWithoutWrite() {
        var distributor = SimulatedDistributor()
        let table = routedTable(count: 2, targets: [0], distributor: &distributor)
        table.withDescriptor(at: 0) { descriptor in
            descriptor.status.insert([.inProgress, .movePending])
            descriptor.deferredTarget = LogicalCPU(1)
        }
        var policy = LoadPolicy(count: 2)
        let down = policy.rebalance(from: LogicalCPU(1), up: false, online: cpus(0), store: table, router: &distributor)
        XCTAssertEqual(down, RebalanceOutcome(routeWrites: 0, descriptorsMoved: 1, deferredMoves: 1, descriptorsExamined: 3))
        XCTAssertTrue(distributor.writes.isEmpty)
        XCTAssertEqual(table[0].deferredTarget, LogicalCPU(0))
        XCTAssertTrue(table[0].status.contains(.movePending))
    }

    /// Random tables (handlers or not, guest-bound, masks, handlers in
    /// progress) and hotplug and epoch sequences: no movable descriptor
    /// routed, nor a pending move aimed, at an offline CPU; masks kept, or
    /// broken exactly when no CPU of the mask is online; an offline moves
    /// only descriptors the dying CPU held; descriptors not ours never
    /// written; the same sequence twice gives the same writes.
    func testRandomSequences() {
        for seed in UInt64(1) ... 150 {
            let first = runRandomSequence(seed: seed)
            XCTAssertEqual(first, runRandomSequence(seed: seed), "seed \(seed): not deterministic")
        }
    }

    private func runRandomSequence(seed: UInt64) -> [UInt32] {
        var rng = SplitMix64(seed: seed)
        let machineSize = 2 + rng.below(7)
        let machine = CPUMask.all(upTo: machineSize)
        let count = 1 + rng.below(24)
        let table = DescriptorTable(layout: smallLayout(spis: count))
        var online = machine
        for index in 0 ..< count {
            table.withDescriptor(at: index) { descriptor in
                descriptor.hasHandler = rng.below(8) != 0
                if rng.below(8) == 0 { descriptor.status.insert(.guestBound) }
                if rng.below(3) == 0 {
                    var mask = CPUMask()
                    for cpu in machine where rng.below(3) == 0 { mask.insert(cpu) }
                    if !mask.isEmpty { descriptor.requestedAffinity = mask }
                }
                let inMask = descriptor.requestedAffinity.intersection(machine)
                descriptor.effectiveTarget = inMask.nth(rng.below(inMask.count))
            }
        }
        var distributor = SimulatedDistributor()
        presetRegisters(from: table, into: &distributor)
        var policy = LoadPolicy(count: count, smoothingShift: 1, settings: LoadPlacementSettings(moveBudget: 1 + rng.below(4)))
        for step in 0 ..< 30 {
            let before = (0 ..< count).map { distributor.target(of: table[$0].id) }
            let writesBefore = distributor.writes.count
            let choice = rng.below(4)
            var dying: LogicalCPU? = nil
            if choice == 0 && online.count > 1 {
                let cpu = online.nth(rng.below(online.count))!
                // A CPU leaves with no handler active on it.
                for index in 0 ..< count where table[index].effectiveTarget == cpu {
                    table.withDescriptor(at: index) { _ = $0.status.remove(.inProgress) }
                }
                online.remove(cpu)
                dying = cpu
                _ = policy.rebalance(from: cpu, up: false, online: online, store: table, router: &distributor)
            } else if choice == 1, let cpu = machine.subtracting(online).first {
                online.insert(cpu)
                _ = policy.rebalance(from: cpu, up: true, online: online, store: table, router: &distributor)
            } else if choice == 2 {
                // A handler starts or ends (its deferred move then written).
                let index = rng.below(count)
                table.withDescriptor(at: index) { descriptor in
                    if descriptor.status.contains(.inProgress) {
                        descriptor.status.remove(.inProgress)
                        _ = AffinitySetting.completeDeferredMove(&descriptor, online: online, router: &distributor)
                    } else if descriptor.isMovable {
                        descriptor.status.insert(.inProgress)
                    }
                }
            } else {
                for index in 0 ..< count {
                    // Zipf-like: index k handles about 1000 / (k + 1).
                    policy.rates.record(UInt32(1000 / (1 + (index + step) % count)), at: index)
                }
                _ = policy.endEpoch(online: online, store: table, router: &distributor)
            }
            let context = "seed \(seed), step \(step)"
            for write in distributor.writes[writesBefore...] {
                let index = (0 ..< count).first { table[$0].id == write.id }!
                XCTAssertTrue(table[index].isMovable, "\(context): #\(index) not ours, written")
                if let dying, choice == 0 {
                    XCTAssertEqual(before[index], dying, "\(context): #\(index) moved off \(cpuText(before[index])) on the offline of \(dying.index)")
                }
            }
            for index in 0 ..< count where table[index].isMovable {
                let descriptor = table[index]
                guard let cpu = distributor.target(of: descriptor.id) ?? descriptor.effectiveTarget else { continue }
                let pending = descriptor.status.contains(.movePending) ? descriptor.deferredTarget : nil
                XCTAssertTrue(online.contains(pending ?? cpu), "\(context): #\(index) on offline CPU \((pending ?? cpu).index)")
                let maskOnline = !descriptor.requestedAffinity.isDisjoint(with: online)
                if pending == nil && maskOnline {
                    XCTAssertTrue(descriptor.requestedAffinity.contains(cpu) && !descriptor.affinityBroken,
                                  "\(context): #\(index) on \(cpu.index), mask \(descriptor.requestedAffinity.braced) online, broken: \(descriptor.affinityBroken)")
                }
                if !maskOnline {
                    XCTAssertTrue(descriptor.affinityBroken || pending != nil, "\(context): #\(index) outside its mask, not broken")
                }
            }
        }
        return distributor.writes.map { $0.id.rawValue << 16 | UInt32($0.cpu.index) }
    }
}
