// Switching the rebalance policy at run time (`policy seed` at the console):
// whichever policy runs, and whatever the other one left, no interrupt of
// ours stays routed to an offline CPU. Hand-worked cases (the console
// scenario that once lost an interrupt, the reverse switch, the seed
// policy's own end-of-interrupt case), then random sequences that switch
// policy between events. Routing is read back from the simulated registers.
import XCTest
@testable import HotplugCore

final class RebalancePolicySwitchTests: XCTestCase {
    /// `count` SPIs with handlers and all-CPU masks, all routed to `cpu`.
    private func table(count: Int, on cpu: Int, distributor: inout SimulatedDistributor) -> DescriptorTable {
        let table = DescriptorTable(layout: smallLayout(spis: count))
        for index in 0 ..< count {
            table.withDescriptor(at: index) { descriptor in
                descriptor.hasHandler = true
                descriptor.effectiveTarget = LogicalCPU(cpu)
            }
        }
        presetRegisters(from: table, into: &distributor)
        return table
    }

    /// Routes every movable descriptor to CPUs that are all online, as the
    /// register file says; the first one that is not, as text.
    private func offlineRoute(_ table: DescriptorTable, _ distributor: SimulatedDistributor, online: CPUMask) -> String? {
        for index in 0 ..< table.count where table[index].isMovable {
            if let cpu = distributor.target(of: table[index].id), !online.contains(cpu) {
                return "INTID \(table[index].id.rawValue) routed to offline CPU \(cpu.index)"
            }
        }
        return nil
    }

    /// The console scenario of the defect, at -smp 3: `irq-affinity 254 0;
    /// cpu-offline 0; policy seed; cpu-offline 1`. The balanced policy
    /// routes the interrupt outside its mask {0} (to CPU 1) and marks it
    /// broken; after the switch, the seed policy must move it off CPU 1 even
    /// though its mask does not name CPU 1. It did not, and the interrupt
    /// was never delivered again.
    func testBalancedToSeedMovesAnInterruptRoutedOutsideItsMask() {
        var distributor = SimulatedDistributor()
        let table = self.table(count: 3, on: 0, distributor: &distributor)
        // Descriptors 0 and 1 on CPUs 1 and 2; descriptor 2 asks for CPU 0 only.
        table.withDescriptor(at: 0) { $0.effectiveTarget = LogicalCPU(1) }
        table.withDescriptor(at: 1) { $0.effectiveTarget = LogicalCPU(2) }
        table.withDescriptor(at: 2) { $0.requestedAffinity = cpus(0) }
        presetRegisters(from: table, into: &distributor)

        var policy = PolicySelection(.balanced)
        var online = cpus(1, 2)
        let down0 = policy.rebalance(from: LogicalCPU(0), up: false, online: online, store: table, router: &distributor)
        XCTAssertEqual(down0.brokenAffinities, 1)
        XCTAssertTrue(table[2].affinityBroken)
        XCTAssertEqual(table[2].requestedAffinity, cpus(0))
        let brokenOn = distributor.target(of: InterruptID(34))!
        XCTAssertTrue(online.contains(brokenOn))

        policy = PolicySelection(.seed)
        online.remove(brokenOn)
        let down = policy.rebalance(from: brokenOn, up: false, online: online, store: table, router: &distributor)
        XCTAssertNil(offlineRoute(table, distributor, online: online))
        XCTAssertEqual(distributor.target(of: InterruptID(34)), online.first)
        // Moved as the seed policy moves anything: set-affinity to one CPU,
        // which also ends the broken state.
        XCTAssertEqual(table[2].requestedAffinity, CPUMask(single: online.first!))
        XCTAssertFalse(table[2].affinityBroken)
        XCTAssertGreaterThanOrEqual(down.routeWrites, 1)
    }

    /// The reverse switch: what the seed policy left (one-CPU masks, an
    /// affinity broken by an end of interrupt) is recounted by the balanced
    /// policy, which then moves everything off a dying CPU and restores the
    /// broken affinity when its CPU returns.
    func testSeedToBalancedRecountsAndRestores() {
        var distributor = SimulatedDistributor()
        let table = self.table(count: 4, on: 0, distributor: &distributor)
        var policy = PolicySelection(.seed)
        var online = cpus(0, 1, 2, 3)
        // The seed policy spreads all four: 1, 2, 3, 0; #0 is in progress
        // at the time, so its move to CPU 1 is deferred.
        table.withDescriptor(at: 0) { $0.status.insert(.inProgress) }
        _ = policy.rebalance(from: LogicalCPU(3), up: true, online: online, store: table, router: &distributor)
        XCTAssertEqual(table[0].deferredTarget, LogicalCPU(1))
        // CPU 1 goes before #0's end of interrupt: the seed policy leaves the
        // pending move (the patch's gap); the end of interrupt then finds no
        // CPU of {1} online and routes it to the lowest online CPU, broken.
        online.remove(LogicalCPU(1))
        _ = policy.rebalance(from: LogicalCPU(1), up: false, online: online, store: table, router: &distributor)
        let change = table.withDescriptor(at: 0) { descriptor -> AffinityChange in
            descriptor.status.remove(.inProgress)
            return AffinitySetting.completeDeferredMove(&descriptor, online: online, router: &distributor)
        }
        XCTAssertEqual(change, .routedOutsideMask(LogicalCPU(0)))
        XCTAssertTrue(table[0].affinityBroken)

        policy = PolicySelection(.balanced)
        online.remove(LogicalCPU(0))
        let down = policy.rebalance(from: LogicalCPU(0), up: false, online: online, store: table, router: &distributor)
        XCTAssertNil(offlineRoute(table, distributor, online: online))
        XCTAssertEqual(policy.balanced.rebuilds, 1, "a fresh balanced policy recounts the table")
        XCTAssertEqual(down.routeWrites, 2, "#0 and the descriptor the seed policy put on CPU 0")
        XCTAssertTrue(table[0].affinityBroken, "still no CPU of {1} online")

        online.insert(LogicalCPU(1))
        let up = policy.rebalance(from: LogicalCPU(1), up: true, online: online, store: table, router: &distributor)
        XCTAssertEqual(up.restoredAffinities, 1)
        XCTAssertEqual(distributor.target(of: InterruptID(32)), LogicalCPU(1))
        XCTAssertFalse(table[0].affinityBroken)
    }

    /// The seed policy alone reaches the same state: an end of interrupt
    /// whose recorded CPU went offline routes the interrupt outside its
    /// one-CPU mask. When that CPU goes down in turn the interrupt must move;
    /// the patch's test of the mask alone would leave it there.
    func testSeedMovesWhatAnEndOfInterruptRoutedOutsideItsMask() {
        var distributor = SimulatedDistributor()
        let table = self.table(count: 1, on: 2, distributor: &distributor)
        table.withDescriptor(at: 0) { descriptor in
            descriptor.requestedAffinity = cpus(3)
            descriptor.affinityBroken = true
        }
        var policy = SeedPolicy()
        let outcome = policy.rebalance(from: LogicalCPU(2), up: false, online: cpus(0, 1), store: table, router: &distributor)
        XCTAssertEqual(outcome.routeWrites, 1)
        XCTAssertEqual(distributor.target(of: InterruptID(32)), LogicalCPU(1), "the cursor's next online CPU after 0")
        XCTAssertEqual(table[0].requestedAffinity, cpus(1))
        XCTAssertFalse(table[0].affinityBroken)

        var model = PatchReferenceModel(interrupts: [
            .init(hasHandler: true, affinity: cpus(3), target: LogicalCPU(2)),
        ])
        model.rebalanceIRQs(from: LogicalCPU(2), up: false, online: cpus(0, 1))
        XCTAssertEqual(model.interrupts[0].target, LogicalCPU(1), "the reference model states the same rule")
    }

    /// Random tables and sequences of offline, online, handler start, end of
    /// interrupt and policy switch, on 2 to 20 CPUs with random masks: after
    /// every event no movable descriptor without a pending move is routed
    /// to an offline CPU, whichever policy is in force.
    func testNoInterruptLeftOnAnOfflineCPUAcrossSwitches() {
        var switches = 0
        var events = 0
        var brokenAtSwitch = 0
        for seed in UInt64(1) ... 300 {
            var rng = RebalanceRandom(seed: seed)
            let machine = CPUMask.all(upTo: [2, 3, 4, 5, 8, 20][rng.below(6)])
            var online = machine
            let table = DescriptorTable(layout: smallLayout(spis: 1 + rng.below(24)))
            var distributor = SimulatedDistributor()
            for index in 0 ..< table.count {
                table.withDescriptor(at: index) { descriptor in
                    descriptor.hasHandler = rng.chance(85)
                    if rng.chance(10) { descriptor.status.insert(.guestBound) }
                    if rng.chance(50) { descriptor.requestedAffinity = randomSubset(of: machine, &rng) }
                    descriptor.effectiveTarget = descriptor.requestedAffinity.intersection(online).first
                }
            }
            presetRegisters(from: table, into: &distributor)
            var policy = PolicySelection(rng.chance(50) ? .balanced : .seed)

            for step in 0 ..< 1 + rng.below(40) {
                let context = "seed \(seed), step \(step)"
                if rng.chance(20) {
                    for index in 0 ..< table.count where table[index].isMovable && table[index].affinityBroken {
                        brokenAtSwitch += 1
                    }
                    policy = PolicySelection(policy.kind == .seed ? .balanced : .seed)
                    switches += 1
                    continue
                }
                switch randomEvent(online: online, machine: machine, descriptors: table.count, interruptEvents: true, &rng) {
                case .offline(let cpu):
                    // A CPU leaves with no handler running on it.
                    for index in 0 ..< table.count where table[index].status.contains(.inProgress)
                        && table[index].effectiveTarget == cpu {
                        table.withDescriptor(at: index) { descriptor in
                            descriptor.status.remove(.inProgress)
                            _ = AffinitySetting.completeDeferredMove(&descriptor, online: online, router: &distributor)
                        }
                    }
                    online.remove(cpu)
                    _ = policy.rebalance(from: cpu, up: false, online: online, store: table, router: &distributor)
                case .online(let cpu):
                    online.insert(cpu)
                    _ = policy.rebalance(from: cpu, up: true, online: online, store: table, router: &distributor)
                case .handlerStarts(let index):
                    table.withDescriptor(at: index) { $0.status.insert(.inProgress) }
                case .endOfInterrupt(let index):
                    table.withDescriptor(at: index) { descriptor in
                        descriptor.status.remove(.inProgress)
                        _ = AffinitySetting.completeDeferredMove(&descriptor, online: online, router: &distributor)
                    }
                }
                events += 1
                for index in 0 ..< table.count where table[index].isMovable && !table[index].status.contains(.movePending) {
                    if let cpu = distributor.target(of: table[index].id) {
                        XCTAssertTrue(online.contains(cpu), "\(context): INTID \(table[index].id.rawValue) on offline CPU \(cpu.index)")
                    }
                }
            }
        }
        // The sequences really switched policy with broken affinities about.
        XCTAssertGreaterThan(switches, 300)
        XCTAssertGreaterThan(brokenAtSwitch, 50)
        XCTAssertGreaterThan(events, 2000)
    }
}
