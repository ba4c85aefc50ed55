import XCTest
@testable import HotplugCore

/// `VCPUPlacement`'s decisions on small worked machines: where a dying
/// pCPU's vCPUs go, how an online pCPU is filled, and the round-robin order.
final class VirtualizationPlacementTests: XCTestCase {
    private func v(_ domain: Int, _ vcpu: Int) -> VCPUID { VCPUID(domain: domain, vcpu: vcpu) }
    private func cpu(_ index: Int) -> LogicalCPU { LogicalCPU(index) }

    private func placement(_ vcpus: [(VCPUID, Int)]) -> VCPUPlacement {
        var placement = VCPUPlacement()
        for (vcpu, cpu) in vcpus { placement.add(vcpu, on: LogicalCPU(cpu)) }
        return placement
    }

    func testOfflineMovesEachVCPUToTheLeastLoadedLowestNumberedPCPU() {
        var placement = placement([(v(0, 0), 0), (v(0, 1), 1), (v(1, 0), 2), (v(1, 1), 2), (v(2, 0), 3)])
        var moves: [VCPUMove] = []
        let count = placement.evacuate(cpu(2), online: CPUMask([cpu(0), cpu(1), cpu(3)])) { moves.append($0) }
        // Loads 1, 1, 1 on 0, 1, 3: 1.0 goes to 0 (tie, lowest); then 2, 1, 1: 1.1 goes to 1.
        XCTAssertEqual(moves, [VCPUMove(vcpu: v(1, 0), from: cpu(2), to: cpu(0)), VCPUMove(vcpu: v(1, 1), from: cpu(2), to: cpu(1))])
        XCTAssertEqual(count, 2)
        XCTAssertEqual(placement.load(on: cpu(2)), 0)
        XCTAssertEqual(placement.pCPU(of: v(1, 1)), cpu(1))
    }

    func testOfflineOfAnIdlePCPUMovesNothing() {
        var placement = placement([(v(0, 0), 0)])
        XCTAssertEqual(placement.evacuate(cpu(1), online: CPUMask(single: cpu(0))) { _ in XCTFail("no move") }, 0)
    }

    func testOnlineTakesTheFewestMovesToBalance() {
        // 2, 2 on pCPUs 0 and 1; pCPU 2 comes online: one move (from 0, the
        // lowest of the most loaded, its queue's tail 0.1) gives 1, 2, 1.
        var placement = placement([(v(0, 0), 0), (v(0, 1), 0), (v(1, 0), 1), (v(1, 1), 1)])
        let online = CPUMask([cpu(0), cpu(1), cpu(2)])
        XCTAssertEqual(RebalanceBounds.minimumMovesForOnline(load: placement.loads, online: online), 1)
        var moves: [VCPUMove] = []
        placement.balance(online: online) { moves.append($0) }
        XCTAssertEqual(moves, [VCPUMove(vcpu: v(0, 1), from: cpu(0), to: cpu(2))])
        XCTAssertEqual(placement.loads.spread(online: online).max - placement.loads.spread(online: online).min, 1)
    }

    func testOnlineAfterEverythingPiledOnOnePCPU() {
        // Six vCPUs on pCPU 0 (the others went offline); 1 and 2 return: two
        // moves each, from the tail of 0's queue, the lowest free pCPU first.
        var placement = placement((0 ..< 6).map { (v(0, $0), 0) })
        let online = CPUMask([cpu(0), cpu(1), cpu(2)])
        var moves: [VCPUMove] = []
        XCTAssertEqual(placement.balance(online: online) { moves.append($0) }, 4)
        XCTAssertEqual(moves.map(\.vcpu), [v(0, 5), v(0, 4), v(0, 3), v(0, 2)])
        XCTAssertEqual(moves.map(\.to.index), [1, 2, 1, 2])
        XCTAssertEqual([0, 1, 2].map { placement.load(on: cpu($0)) }, [2, 2, 2])
    }

    func testBalancedMachineIsLeftAlone() {
        var placement = placement([(v(0, 0), 0), (v(0, 1), 1), (v(0, 2), 0)])
        XCTAssertEqual(placement.balance(online: CPUMask([cpu(0), cpu(1)])) { _ in XCTFail("no move") }, 0)
    }

    func testRoundRobinInArrivalOrder() {
        var placement = placement([(v(0, 0), 1), (v(1, 0), 1), (v(2, 0), 1), (v(3, 0), 2)])
        XCTAssertEqual(placement.next(on: cpu(1), after: nil), v(0, 0))
        XCTAssertEqual(placement.next(on: cpu(1), after: v(0, 0)), v(1, 0))
        XCTAssertEqual(placement.next(on: cpu(1), after: v(1, 0)), v(2, 0))
        XCTAssertEqual(placement.next(on: cpu(1), after: v(2, 0)), v(0, 0), "wraps round")
        XCTAssertEqual(placement.next(on: cpu(2), after: v(3, 0)), v(3, 0), "alone: runs again")
        XCTAssertNil(placement.next(on: cpu(0), after: nil), "no vCPU: the pCPU idles")
        // 1.0 leaves and comes back: it joins the end of the queue.
        XCTAssertEqual(placement.move(v(1, 0), to: cpu(2)), VCPUMove(vcpu: v(1, 0), from: cpu(1), to: cpu(2)))
        XCTAssertEqual(placement.next(on: cpu(1), after: v(0, 0)), v(2, 0))
        XCTAssertEqual(placement.next(on: cpu(1), after: v(1, 0)), v(0, 0), "a vCPU that moved away: the head runs")
        placement.move(v(1, 0), to: cpu(1))
        XCTAssertEqual(placement.next(on: cpu(1), after: v(2, 0)), v(1, 0))
        XCTAssertNil(placement.move(v(1, 0), to: cpu(1)), "already there")
    }
}
