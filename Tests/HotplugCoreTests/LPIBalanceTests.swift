import XCTest
@testable import HotplugCore

/// The bulk move's cost with several collections on the dying CPU, and the
/// online balance target (`LPIBalanceTarget`) against a brute-force search
/// over every assignment of the q + 1 places on seeded random counts.
final class LPIBalanceTests: XCTestCase {
    func testEachCollectionOnTheDyingCPUCostsOneMAPC() {
        // 2,048 LPIs in 3 collections over survivors 2,048 each: the target
        // keeps 683, so 3 MAPC + MOVALL + 1,365 MOVI = 1,369 < 2,048.
        let cost = LPIOfflineCost(dyingCount: 2048, collections: 3, survivors: [2048, 2048, 2048])
        XCTAssertEqual(cost.collections, 3)
        XCTAssertEqual(cost.remapAndRebalance, 3 + 1 + 2048 - 683)
        XCTAssertEqual(cost.minimumMoveCommands, 1369)
        // Few LPIs in many collections: per-LPI MOVI is fewer.
        let scattered = LPIOfflineCost(dyingCount: 6, collections: 4, survivors: [0, 0])
        XCTAssertFalse(scattered.remapIsCheaper)
        XCTAssertEqual(scattered.minimumMoveCommands, 6)
        XCTAssertEqual(LPIOfflineCost(dyingCount: 0, collections: 0, survivors: [1]).minimumMoveCommands, 0)
    }

    func testNewCPUTakesTheLevelFromTheFullest() {
        // 8,192 over 3 CPUs (2,731, 2,731, 2,730) and a new one with 0:
        // q = 2,048, no remainder: the new CPU receives 2,048.
        let target = LPIBalanceTarget(counts: [2731, 2731, 2730, 0])
        XCTAssertEqual(target.level, 2048)
        XCTAssertEqual(target.caps, [2048, 2048, 2048, 2048])
        XCTAssertEqual(target.moves, 2048)
        XCTAssertEqual(target.destinations, 1)
        // 10 over 4: q = 2, r = 2; the two fullest keep 3.
        let small = LPIBalanceTarget(counts: [4, 3, 3, 0])
        XCTAssertEqual(small.caps, [3, 3, 2, 2])
        XCTAssertEqual(small.moves, 2)
        // Already within one: nothing moves.
        XCTAssertEqual(LPIBalanceTarget(counts: [5, 4, 5]).moves, 0)
    }

    func testMovesAreTheFewestOverEveryAssignment() {
        var random = SplitMix64(seed: 14)
        for _ in 0 ..< 300 {
            let cpus = Int(random.next() % 6) + 1
            let counts = (0 ..< cpus).map { _ in Int(random.next() % 9) }
            let target = LPIBalanceTarget(counts: counts)
            let total = counts.reduce(0, +)
            let q = total / cpus
            let r = total % cpus
            // Every subset of r CPUs at q + 1.
            var best = Int.max
            for subset in 0 ..< (1 << cpus) where subset.nonzeroBitCount == r {
                var moves = 0
                for position in 0 ..< cpus {
                    let cap = q + (subset & (1 << position) != 0 ? 1 : 0)
                    moves += max(0, counts[position] - cap)
                }
                best = min(best, moves)
            }
            let context = "counts \(counts)"
            XCTAssertEqual(target.moves, best, context)
            XCTAssertEqual(target.caps.reduce(0, +), total, context)
            XCTAssertLessThanOrEqual(target.caps.max()! - target.caps.min()!, 1, context)
        }
    }
}
