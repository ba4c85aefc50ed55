// The seed policy against the patch: hand-worked cases, then the reference
// model on random event sequences, comparing every descriptor's requested
// mask and the routing read back from the simulated register file after
// every event, and the number of router writes.
import XCTest
@testable import HotplugCore

final class RebalanceSeedPolicyTests: XCTestCase {
    /// Four descriptors with handlers on a 4-CPU machine, all on CPU 0 with
    /// all-CPU masks. Bringing CPU 3 up re-spreads all four from the cursor
    /// (0): 1, 2, 3, 0. Taking CPU 2 down then moves only the one whose mask
    /// is now {2}, to the CPU after the cursor (0): CPU 1.
    func testRoundRobinFromCursorThenMoveOffDyingCPU() {
        let table = DescriptorTable(layout: smallLayout(spis: 4))
        var distributor = SimulatedDistributor()
        for index in 0 ..< 4 {
            table.withDescriptor(at: index) { descriptor in
                descriptor.hasHandler = true
                descriptor.effectiveTarget = LogicalCPU(0)
            }
        }
        presetRegisters(from: table, into: &distributor)
        var policy = SeedPolicy()

        var online = cpus(0, 1, 2, 3)
        let up = policy.rebalance(from: LogicalCPU(3), up: true, online: online, store: table, router: &distributor)
        XCTAssertEqual(up.routeWrites, 4)
        XCTAssertEqual((32 ... 35).map { distributor.target(of: InterruptID($0))?.index }, [1, 2, 3, 0])
        XCTAssertEqual((0 ..< 4).map { table[$0].requestedAffinity }, [cpus(1), cpus(2), cpus(3), cpus(0)])
        XCTAssertEqual(policy.cpuNext, 0)

        online.remove(LogicalCPU(2))
        let down = policy.rebalance(from: LogicalCPU(2), up: false, online: online, store: table, router: &distributor)
        XCTAssertEqual(down.routeWrites, 1)
        XCTAssertEqual((32 ... 35).map { distributor.target(of: InterruptID($0))?.index }, [1, 1, 3, 0])
        XCTAssertEqual(table[1].requestedAffinity, cpus(1))
        XCTAssertEqual(policy.cpuNext, 1)
    }

    /// Skipped as the patch skips them: no handler, guest-bound, move
    /// pending; and on down, a mask without the dying CPU. Nothing written
    /// for any of them, nor is the cursor advanced.
    func testSkipsWhatThePatchSkips() {
        let table = DescriptorTable(layout: smallLayout(spis: 4))
        var distributor = SimulatedDistributor()
        table.withDescriptor(at: 0) { $0.effectiveTarget = LogicalCPU(1) }            // no handler
        table.withDescriptor(at: 1) { descriptor in                                   // guest-bound
            descriptor.hasHandler = true
            descriptor.status = [.guestBound, .enabled]
            descriptor.effectiveTarget = LogicalCPU(1)
        }
        table.withDescriptor(at: 2) { descriptor in                                   // move pending
            descriptor.hasHandler = true
            descriptor.status = [.movePending, .inProgress]
            descriptor.effectiveTarget = LogicalCPU(1)
            descriptor.deferredTarget = LogicalCPU(0)
        }
        table.withDescriptor(at: 3) { descriptor in                                   // mask {0}
            descriptor.hasHandler = true
            descriptor.requestedAffinity = cpus(0)
            descriptor.effectiveTarget = LogicalCPU(0)
        }
        presetRegisters(from: table, into: &distributor)
        var policy = SeedPolicy()
        let outcome = policy.rebalance(from: LogicalCPU(1), up: false, online: cpus(0, 2), store: table, router: &distributor)
        XCTAssertEqual(outcome.routeWrites, 0)
        XCTAssertTrue(distributor.writes.isEmpty)
        XCTAssertEqual(policy.cpuNext, 0)
    }

    /// The patch writes the router even when the target does not change:
    /// with one online CPU, an up event rewrites every eligible descriptor.
    func testWritesEvenWhenTargetUnchanged() {
        let table = DescriptorTable(layout: smallLayout(spis: 3))
        var distributor = SimulatedDistributor()
        for index in 0 ..< 3 {
            table.withDescriptor(at: index) { descriptor in
                descriptor.hasHandler = true
                descriptor.effectiveTarget = LogicalCPU(5)
            }
        }
        presetRegisters(from: table, into: &distributor)
        var policy = SeedPolicy()
        let outcome = policy.rebalance(from: LogicalCPU(5), up: true, online: cpus(5), store: table, router: &distributor)
        XCTAssertEqual(outcome.routeWrites, 3)
        XCTAssertEqual(distributor.writes.map(\.cpu.index), [5, 5, 5])
    }

    /// An in-progress descriptor gets a pending move instead of a write, as
    /// set-affinity does; the cursor still advances.
    func testInProgressIsDeferred() {
        let table = DescriptorTable(layout: smallLayout(spis: 2))
        var distributor = SimulatedDistributor()
        for index in 0 ..< 2 {
            table.withDescriptor(at: index) { descriptor in
                descriptor.hasHandler = true
                descriptor.effectiveTarget = LogicalCPU(0)
            }
        }
        table.withDescriptor(at: 0) { $0.status.insert(.inProgress) }
        presetRegisters(from: table, into: &distributor)
        var policy = SeedPolicy()
        let outcome = policy.rebalance(from: LogicalCPU(1), up: true, online: cpus(0, 1), store: table, router: &distributor)
        XCTAssertEqual(outcome.routeWrites, 1)
        XCTAssertEqual(outcome.deferredMoves, 1)
        XCTAssertEqual(distributor.target(of: InterruptID(32)), LogicalCPU(0))
        XCTAssertEqual(table[0].deferredTarget, LogicalCPU(1))
        XCTAssertTrue(table[0].status.contains(.movePending))
        XCTAssertEqual(distributor.target(of: InterruptID(33)), LogicalCPU(0))   // cursor: 1, then 0
    }

    /// The empty online mask: nothing happens (`if ( cpumask_empty(...) ) return;`).
    func testEmptyOnlineMaskDoesNothing() {
        let table = DescriptorTable(layout: smallLayout(spis: 2))
        table.withDescriptor(at: 0) { $0.hasHandler = true }
        var distributor = SimulatedDistributor()
        var policy = SeedPolicy()
        XCTAssertEqual(policy.rebalance(from: LogicalCPU(0), up: false, online: CPUMask(), store: table, router: &distributor), .none)
        XCTAssertTrue(distributor.writes.isEmpty)
    }

    // MARK: Against the reference model

    /// Several hundred random tables and sequences of up to 50 events
    /// (offline, online, handler start, end of interrupt), with descriptors
    /// lacking handlers, guest-bound, move pending, in progress and with
    /// custom masks. After every event the seed policy's routing (read from
    /// the register file), requested masks, pending moves, cursor and write
    /// count equal the model's.
    func testMatchesReferenceModelOnRandomSequences() {
        var sequences = 0
        var events = 0
        var writes = 0
        for seed in UInt64(1) ... 400 {
            var rng = RebalanceRandom(seed: seed)
            let machineSize = [2, 3, 4, 5, 8, 20, 70][rng.below(7)]
            let machine = CPUMask.all(upTo: machineSize)
            var online = randomSubset(of: machine, &rng)
            let layout = smallLayout(spis: 1 + rng.below(40), extended: rng.chance(30) ? rng.below(20) : 0)
            let table = DescriptorTable(layout: layout)
            var distributor = SimulatedDistributor()
            for index in 0 ..< table.count {
                table.withDescriptor(at: index) { descriptor in
                    descriptor.hasHandler = rng.chance(80)
                    if rng.chance(10) { descriptor.status.insert(.guestBound) }
                    if rng.chance(10) { descriptor.status.insert(.inProgress) }
                    if rng.chance(5) {
                        descriptor.status.insert(.movePending)
                        descriptor.deferredTarget = rng.member(of: machine)
                    }
                    if rng.chance(50) {
                        descriptor.requestedAffinity = randomSubset(of: machine, &rng)
                    }
                    descriptor.effectiveTarget = rng.chance(90) ? rng.member(of: online) : nil
                }
            }
            presetRegisters(from: table, into: &distributor)
            var model = PatchReferenceModel(snapshotOf: table)
            var policy = SeedPolicy()
            var seedWrites = 0

            let length = 1 + rng.below(50)
            for step in 0 ..< length {
                let event = randomEvent(online: online, machine: machine, descriptors: table.count,
                                        interruptEvents: true, &rng)
                switch event {
                case .offline(let cpu):
                    online.remove(cpu)
                    seedWrites += policy.rebalance(from: cpu, up: false, online: online, store: table, router: &distributor).routeWrites
                    model.rebalanceIRQs(from: cpu, up: false, online: online)
                case .online(let cpu):
                    online.insert(cpu)
                    seedWrites += policy.rebalance(from: cpu, up: true, online: online, store: table, router: &distributor).routeWrites
                    model.rebalanceIRQs(from: cpu, up: true, online: online)
                case .handlerStarts(let index):
                    table.withDescriptor(at: index) { $0.status.insert(.inProgress) }
                    model.handlerStarts(index)
                case .endOfInterrupt(let index):
                    let change = table.withDescriptor(at: index) { descriptor -> AffinityChange in
                        descriptor.status.remove(.inProgress)
                        return AffinitySetting.completeDeferredMove(&descriptor, online: online, router: &distributor)
                    }
                    if change.wroteRouter { seedWrites += 1 }
                    model.endOfInterrupt(index, online: online)
                }
                let context = "seed \(seed), step \(step) (\(event))"
                XCTAssertEqual(distributor.writes.count, seedWrites, context)
                XCTAssertEqual(seedWrites, model.routeWrites, context)
                XCTAssertEqual(policy.cpuNext, model.cpuNext, context)
                for index in 0 ..< table.count {
                    let descriptor = table[index]
                    let predicted = model.interrupts[index]
                    XCTAssertEqual(distributor.target(of: descriptor.id), predicted.target, "\(context), INTID \(descriptor.id.rawValue)")
                    XCTAssertEqual(descriptor.requestedAffinity, predicted.affinity, "\(context), INTID \(descriptor.id.rawValue)")
                    XCTAssertEqual(descriptor.status.contains(.movePending), predicted.movePending, "\(context), INTID \(descriptor.id.rawValue)")
                    XCTAssertEqual(descriptor.deferredTarget, predicted.deferredTarget, "\(context), INTID \(descriptor.id.rawValue)")
                    XCTAssertEqual(descriptor.effectiveTarget, distributor.target(of: descriptor.id), "\(context), table vs register")
                }
                events += 1
            }
            sequences += 1
            writes += seedWrites
        }
        XCTAssertEqual(sequences, 400)
        // The sequences really exercised moves, not only skips.
        XCTAssertGreaterThan(writes, events)
    }
}
