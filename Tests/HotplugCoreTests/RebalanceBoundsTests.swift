// The lower bounds the balanced policy must meet, checked against their
// plain statements and against a brute-force search for the fewest moves.
import XCTest
@testable import HotplugCore

final class RebalanceBoundsTests: XCTestCase {
    /// The bound as the specification words it: sort descending, the `r`
    /// largest aim at `q + 1`, the rest at `q`, sum what is above the aim.
    private func sortedStatement(_ counts: [Int]) -> Int {
        guard !counts.isEmpty else { return 0 }
        let total = counts.reduce(0, +)
        let q = total / counts.count
        let r = total % counts.count
        return counts.sorted(by: >).enumerated().reduce(0) { sum, element in
            sum + max(0, element.element - (element.offset < r ? q + 1 : q))
        }
    }

    /// The fewest single-descriptor moves, from any CPU to any other, after
    /// which the counts differ by at most one: breadth-first search over
    /// count vectors (sorted, since CPUs are interchangeable).
    private func bruteForce(_ counts: [Int]) -> Int {
        func balanced(_ state: [Int]) -> Bool { state.max()! - state.min()! <= 1 }
        var frontier = [counts.sorted()]
        var seen: Set<[Int]> = [counts.sorted()]
        var moves = 0
        while true {
            if frontier.contains(where: balanced) { return moves }
            var next: [[Int]] = []
            for state in frontier {
                for from in state.indices where state[from] > 0 {
                    for to in state.indices where to != from {
                        var moved = state
                        moved[from] -= 1
                        moved[to] += 1
                        moved.sort()
                        if seen.insert(moved).inserted { next.append(moved) }
                    }
                }
            }
            frontier = next
            moves += 1
        }
    }

    /// Table of cases worked by hand, one comment each.
    func testOnlineBoundHandCases() {
        let cases: [(counts: [Int], moves: Int, why: String)] = [
            ([], 0, "no CPU online: nothing to do"),
            ([7], 0, "one CPU: trivially balanced"),
            ([3, 3, 3], 0, "already even"),
            ([4, 3, 3], 0, "within one"),
            ([6, 0], 3, "new CPU after one holding six: three move"),
            ([5, 0], 2, "odd total: 3 and 2, two move"),
            ([2, 2, 2, 0], 1, "6 over 4 is 1 r 2: one of the twos gives one"),
            ([5, 3, 0], 2, "8 over 3 is 2 r 2: the five gives two; the three keeps its three"),
            ([9, 0, 0, 0], 6, "9 over 4 is 2 r 1: the nine keeps three"),
            ([1, 1, 1, 1, 0], 0, "4 over 5: within one already"),
        ]
        for testCase in cases {
            XCTAssertEqual(RebalanceBounds.minimumMovesForOnline(counts: testCase.counts), testCase.moves, testCase.why)
        }
    }

    /// Every count vector of up to four CPUs with counts up to six: the
    /// closed form equals the sorted statement and the brute-force minimum.
    func testOnlineBoundEqualsBruteForceOnSmallCases() {
        var checked = 0
        for cpus in 1 ... 4 {
            var counts = [Int](repeating: 0, count: cpus)
            while true {
                let expected = bruteForce(counts)
                XCTAssertEqual(sortedStatement(counts), expected, "\(counts)")
                XCTAssertEqual(RebalanceBounds.minimumMovesForOnline(counts: counts), expected, "\(counts)")
                checked += 1
                // Next vector, odometer style.
                var position = 0
                while position < cpus && counts[position] == 6 {
                    counts[position] = 0
                    position += 1
                }
                if position == cpus { break }
                counts[position] += 1
            }
        }
        XCTAssertEqual(checked, 7 + 49 + 343 + 2401)
    }

    /// Large random vectors: the closed form equals the sorted statement,
    /// and the `CPULoad` form equals the collection form.
    func testOnlineBoundMatchesSortedStatementOnRandomLoads() {
        var rng = RebalanceRandom(seed: 42)
        for _ in 0 ..< 500 {
            let online = randomSubset(of: CPUMask.all(upTo: 1 + rng.below(CPUMask.capacity)), &rng)
            var load = CPULoad()
            for cpu in online {
                for _ in 0 ..< rng.below(12) { load.add(cpu) }
            }
            let counts = online.map { load[$0] }
            XCTAssertEqual(RebalanceBounds.minimumMovesForOnline(counts: counts), sortedStatement(counts))
            XCTAssertEqual(RebalanceBounds.minimumMovesForOnline(load: load, online: online), sortedStatement(counts))
        }
    }

    /// The running imbalance the balanced policy keeps move by move equals
    /// the imbalance computed afresh, for random vectors and random moves
    /// (including moves onto a CPU exactly at the quotient).
    func testImbalanceKeptMoveByMoveEqualsRecomputed() {
        var rng = RebalanceRandom(seed: 7)
        for _ in 0 ..< 2000 {
            var counts = (0 ..< 1 + rng.below(6)).map { _ in rng.below(8) }
            var imbalance = LoadImbalance(counts: counts)
            for _ in 0 ..< 10 where counts.count > 1 {
                let from = rng.below(counts.count)
                let to = (from + 1 + rng.below(counts.count - 1)) % counts.count
                guard counts[from] > 0 else { continue }
                let predicted = imbalance.movesNeeded(afterMovingFrom: counts[from], to: counts[to])
                imbalance.noteMove(from: counts[from], to: counts[to])
                counts[from] -= 1
                counts[to] += 1
                XCTAssertEqual(imbalance.movesNeeded, sortedStatement(counts), "\(counts)")
                XCTAssertEqual(predicted, imbalance.movesNeeded, "\(counts)")
            }
        }
        // The case a new CPU rarely produces: all at or above q, one far above.
        var imbalance = LoadImbalance(counts: [4, 2, 2, 2])
        XCTAssertEqual(imbalance.movesNeeded, 1)
        imbalance.noteMove(from: 4, to: 2)
        XCTAssertEqual(imbalance.movesNeeded, 0, "[3, 3, 2, 2] is balanced")
    }

    /// Offline: movable, not move-pending, effective target the dying CPU.
    func testOfflineBoundCountsOnlyWhatMustMove() {
        let table = DescriptorTable(layout: smallLayout(spis: 6))
        let setups: [(InterruptDescriptor) -> InterruptDescriptor] = [
            { var d = $0; d.hasHandler = true; d.effectiveTarget = LogicalCPU(2); return d },   // counts
            { var d = $0; d.hasHandler = true; d.effectiveTarget = LogicalCPU(2); d.status = [.inProgress]; return d },  // counts: must move, deferred
            { var d = $0; d.hasHandler = true; d.effectiveTarget = LogicalCPU(1); return d },   // elsewhere
            { var d = $0; d.effectiveTarget = LogicalCPU(2); return d },                        // no handler
            { var d = $0; d.hasHandler = true; d.status = [.guestBound]; d.effectiveTarget = LogicalCPU(2); return d },   // guest's
            { var d = $0; d.hasHandler = true; d.status = [.movePending]; d.effectiveTarget = LogicalCPU(2); return d },  // skipped as the patch does
        ]
        for (index, setup) in setups.enumerated() {
            table[index] = setup(table[index])
        }
        XCTAssertEqual(RebalanceBounds.minimumMovesForOffline(from: LogicalCPU(2), store: table), 2)
        XCTAssertEqual(RebalanceBounds.minimumMovesForOffline(from: LogicalCPU(1), store: table), 1)
        XCTAssertEqual(RebalanceBounds.minimumMovesForOffline(from: LogicalCPU(0), store: table), 0)
    }

    /// `CPULoad` counting: movable descriptors at their effective target;
    /// spread over the online CPUs; least loaded with ties to the lowest.
    func testCPULoadCountsSpreadAndLeastLoaded() {
        let table = DescriptorTable(layout: smallLayout(spis: 6))
        let targets: [(Int?, Bool, InterruptStatus)] = [
            (0, true, []), (0, true, [.movePending]), (3, true, []),
            (3, false, []),            // no handler: not counted
            (3, true, [.guestBound]),  // a guest's: not counted
            (nil, true, []),           // never routed: not counted
        ]
        for (index, (target, handler, status)) in targets.enumerated() {
            table.withDescriptor(at: index) { descriptor in
                descriptor.effectiveTarget = target.map(LogicalCPU.init)
                descriptor.hasHandler = handler
                descriptor.status = status
            }
        }
        var load = CPULoad()
        load.recount(table)
        XCTAssertEqual(load[LogicalCPU(0)], 2)
        XCTAssertEqual(load[LogicalCPU(3)], 1)
        XCTAssertEqual(load[LogicalCPU(600)], 0)
        XCTAssertEqual(load.total(in: CPUMask.all(upTo: 4)), 3)
        XCTAssertTrue(load.spread(online: cpus(0, 3)) == (1, 2))
        XCTAssertTrue(load.spread(online: cpus(0, 1, 3)) == (0, 2))
        XCTAssertTrue(load.spread(online: CPUMask()) == (0, 0))
        XCTAssertEqual(load.leastLoaded(in: cpus(0, 3)), LogicalCPU(3))
        XCTAssertEqual(load.leastLoaded(in: cpus(1, 2, 3)), LogicalCPU(1))   // 1 and 2 tie at 0
        XCTAssertNil(load.leastLoaded(in: CPUMask()))
        load.remove(LogicalCPU(5))                                             // never below zero
        XCTAssertEqual(load[LogicalCPU(5)], 0)
    }
}
