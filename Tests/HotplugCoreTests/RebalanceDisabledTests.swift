// The HOTPLUG=0 stand-in and the boot-time policy switch.
import XCTest
@testable import HotplugCore

final class RebalanceDisabledTests: XCTestCase {
    /// Whatever the event, the stand-in writes nothing and changes no
    /// descriptor, even one routed to the CPU going down.
    func testDisabledRebalanceWritesNothingAndChangesNothing() {
        let table = DescriptorTable(layout: smallLayout(spis: 8, extended: 4))
        for index in 0 ..< table.count {
            table.withDescriptor(at: index) { descriptor in
                descriptor.hasHandler = true
                descriptor.effectiveTarget = LogicalCPU(1)
            }
        }
        var distributor = SimulatedDistributor()
        presetRegisters(from: table, into: &distributor)
        let before = (0 ..< table.count).map { table[$0] }
        var policy = DisabledRebalance()
        for (cpu, up) in [(1, false), (1, true), (0, false)] {
            let outcome = policy.rebalance(from: LogicalCPU(cpu), up: up, online: cpus(0, 2), store: table, router: &distributor)
            XCTAssertEqual(outcome, .none)
        }
        XCTAssertTrue(distributor.writes.isEmpty)
        for index in 0 ..< table.count {
            XCTAssertEqual(table[index].effectiveTarget, before[index].effectiveTarget)
            XCTAssertEqual(table[index].requestedAffinity, before[index].requestedAffinity)
            XCTAssertEqual(table[index].status, before[index].status)
        }
    }

    /// `PolicySelection` dispatches to the chosen policy and keeps its state
    /// (the seed cursor) across calls.
    func testPolicySelectionDispatchesAndKeepsState() {
        let table = DescriptorTable(layout: smallLayout(spis: 3))
        for index in 0 ..< 3 {
            table.withDescriptor(at: index) { descriptor in
                descriptor.hasHandler = true
                descriptor.effectiveTarget = LogicalCPU(0)
            }
        }
        var distributor = SimulatedDistributor()
        var selection = PolicySelection(.seed)
        _ = selection.rebalance(from: LogicalCPU(1), up: true, online: cpus(0, 1), store: table, router: &distributor)
        XCTAssertEqual(selection.kind, .seed)
        XCTAssertEqual(selection.seed.cpuNext, 1)      // 1, 0, 1
        XCTAssertEqual(distributor.writes.map(\.cpu.index), [1, 0, 1])

        // The seed made the masks single CPUs; the balanced policy starts
        // from a fresh table: three on CPU 0, every mask all CPUs.
        let fresh = DescriptorTable(layout: smallLayout(spis: 3))
        for index in 0 ..< 3 {
            fresh.withDescriptor(at: index) { descriptor in
                descriptor.hasHandler = true
                descriptor.effectiveTarget = LogicalCPU(0)
            }
        }
        var freshDistributor = SimulatedDistributor()
        var balanced = PolicySelection()
        XCTAssertEqual(balanced.kind, .balanced, "the default")
        let outcome = balanced.rebalance(from: LogicalCPU(2), up: true, online: cpus(0, 1, 2), store: fresh, router: &freshDistributor)
        // Counts 3, 0, 0 -> 1, 1, 1: two moves, to CPU 1 then CPU 2.
        XCTAssertEqual(outcome.routeWrites, 2)
        XCTAssertEqual(freshDistributor.writes.map(\.cpu.index), [1, 2])
        XCTAssertEqual(balanced.balanced.load[LogicalCPU(2)], 1)
        XCTAssertEqual(balanced.seed.cpuNext, 0, "the seed policy did not run")
    }
}
