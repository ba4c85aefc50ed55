import XCTest
@testable import HotplugCore

/// The LPI placement on offline (water-filling) and the two ways to move
/// the dying CPU's LPIs with ITS commands: a MOVI each, or MAPC + MOVALL
/// to one survivor and a MOVI for each LPI the placement puts elsewhere.
/// Worked cases first, then the formulas against a one-LPI-at-a-time
/// simulation of the balanced policy's choice on seeded random counts.
final class LPIPlacementTests: XCTestCase {
    func testFourCPUsWith2048LPIsEach() {
        // CPU 3 dies with 2,048; survivors 2,048 each. Water level: 2,048 +
        // 682 (3 × 682 = 2,046), 2 extras: survivors receive 683, 683, 682.
        let fill = LPIWaterFill(survivors: [2048, 2048, 2048], adding: 2048)
        XCTAssertEqual(fill.level, 2730)
        XCTAssertEqual(fill.extras, 2)
        let cost = LPIOfflineCost(dyingCount: 2048, survivors: [2048, 2048, 2048])
        XCTAssertEqual(cost.perLPI, 2048)
        XCTAssertEqual(cost.keptByRemapTarget, 683)
        XCTAssertEqual(cost.remapTarget, 0)
        // 2 (MAPC + MOVALL) + 2,048 − 683 MOVIs.
        XCTAssertEqual(cost.remapAndRebalance, 1367)
        XCTAssertEqual(cost.minimumMoveCommands, 1367)
        XCTAssertTrue(cost.remapIsCheaper)
        XCTAssertEqual(cost.destinations, 3)
        var shares: [Int] = []
        cost.forEachShare(of: [2048, 2048, 2048]) { _, lpis in shares.append(lpis) }
        XCTAssertEqual(shares, [683, 683, 682])
    }

    func testOneSurvivorTakesEverythingInTwoCommands() {
        let cost = LPIOfflineCost(dyingCount: 4096, survivors: [4096])
        XCTAssertEqual(cost.perLPI, 4096)
        XCTAssertEqual(cost.remapAndRebalance, 2)
        XCTAssertEqual(cost.destinations, 1)
    }

    func testFewLPIsAreCheaperOneByOne() {
        // Two LPIs over three CPUs at 5: one each to two of them; the remap
        // target keeps 1, so bulk costs 2 + 2 − 1 = 3 > 2.
        let cost = LPIOfflineCost(dyingCount: 2, survivors: [5, 5, 5])
        XCTAssertEqual(cost.keptByRemapTarget, 1)
        XCTAssertEqual(cost.remapAndRebalance, 3)
        XCTAssertEqual(cost.minimumMoveCommands, 2)
        XCTAssertFalse(cost.remapIsCheaper)
        XCTAssertEqual(cost.destinations, 2)
        // Break-even: the target must keep 3. Three LPIs on [0, 0, 0] keep 1
        // each: 2 + 3 − 1 = 4 > 3; nine keep 3: 2 + 9 − 3 = 8 < 9.
        XCTAssertFalse(LPIOfflineCost(dyingCount: 3, survivors: [0, 0, 0]).remapIsCheaper)
        XCTAssertEqual(LPIOfflineCost(dyingCount: 6, survivors: [0, 0, 0]).remapAndRebalance, 6, "keeps 2: a tie")
        XCTAssertTrue(LPIOfflineCost(dyingCount: 9, survivors: [0, 0, 0]).remapIsCheaper)
    }

    func testUnevenSurvivors() {
        // [3, 1, 2] + 4: level 3 (fills 0 + 2 + 1 = 3), one extra; the
        // least loaded (position 1) is the remap target and keeps 2 + 1.
        let fill = LPIWaterFill(survivors: [3, 1, 2], adding: 4)
        XCTAssertEqual(fill.level, 3)
        XCTAssertEqual(fill.extras, 1)
        let cost = LPIOfflineCost(dyingCount: 4, survivors: [3, 1, 2])
        XCTAssertEqual(cost.remapTarget, 1)
        XCTAssertEqual(cost.keptByRemapTarget, 3)
        XCTAssertEqual(cost.remapAndRebalance, 3)
        XCTAssertEqual(cost.destinations, 2)
        var shares: [Int] = []
        cost.forEachShare(of: [3, 1, 2]) { _, lpis in shares.append(lpis) }
        XCTAssertEqual(shares, [0, 3, 1], "the extra to the target: no third redistributor")
        // A survivor far above the level receives nothing.
        let skewed = LPIOfflineCost(dyingCount: 3, survivors: [0, 10])
        XCTAssertEqual(skewed.keptByRemapTarget, 3)
        XCTAssertEqual(skewed.remapAndRebalance, 2)
        XCTAssertEqual(skewed.destinations, 1)
    }

    func testNothingToMove() {
        let cost = LPIOfflineCost(dyingCount: 0, survivors: [7, 7])
        XCTAssertEqual(cost.perLPI, 0)
        XCTAssertEqual(cost.remapAndRebalance, 0)
        XCTAssertEqual(cost.minimumMoveCommands, 0)
        XCTAssertNil(cost.remapTarget)
        XCTAssertEqual(cost.destinations, 0)
    }

    func testOnlineLowerBoundForLPIsIsTheSPIOne() {
        // 8,192 LPIs on three CPUs, a fourth comes online: q = 2,048, so
        // 683 + 683 + 682 MOVIs (RebalanceBounds, shared with the SPIs).
        XCTAssertEqual(RebalanceBounds.minimumMovesForOnline(counts: [2731, 2731, 2730, 0]), 2048)
    }

    func testFormulasAgainstOneAtATimePlacement() {
        var random = SplitMix64(seed: 0x1F1)
        for _ in 0 ..< 3_000 {
            let cpus = 1 + random.below(8)
            let survivors = (0 ..< cpus).map { _ in random.below(40) }
            let dying = random.below(120)
            // The balanced policy's choice, one LPI at a time: the least
            // loaded survivor, lowest position on a tie.
            var counts = survivors
            var received = [Int](repeating: 0, count: cpus)
            for _ in 0 ..< dying {
                let target = counts.indices.min { counts[$0] < counts[$1] }!
                counts[target] += 1
                received[target] += 1
            }
            let fill = LPIWaterFill(survivors: survivors, adding: dying)
            let cost = LPIOfflineCost(dyingCount: dying, survivors: survivors)
            let context = "survivors \(survivors) + \(dying)"
            // Every survivor receives its base share or one more, and the
            // extras add up.
            var extras = 0
            for index in 0 ..< cpus {
                let base = fill.base(for: survivors[index])
                XCTAssertTrue(received[index] == base || received[index] == base + 1, context)
                extras += received[index] - base
            }
            XCTAssertEqual(extras, fill.extras, context)
            // What the remap target keeps is the most any survivor can keep.
            let mostKept = (0 ..< cpus).map { index in
                fill.base(for: survivors[index])
                    + (fill.extras > 0 && survivors[index] <= fill.level ? 1 : 0)
            }.max()!
            XCTAssertGreaterThanOrEqual(cost.keptByRemapTarget, received.max()!, context)
            if dying > 0 {
                XCTAssertEqual(cost.keptByRemapTarget, mostKept, context)
                XCTAssertEqual(cost.remapAndRebalance, 2 + dying - mostKept, context)
            }
            XCTAssertEqual(cost.minimumMoveCommands, min(dying, cost.remapAndRebalance), context)
            // Destinations: at least the CPUs below the level, at most every
            // CPU the simulation gave something.
            XCTAssertLessThanOrEqual(cost.destinations, received.filter { $0 > 0 }.count, context)
            // The placement survivor by survivor: the same final counts as
            // the one-at-a-time choice (up to which CPUs take the extras),
            // the remap target keeping the most, `destinations` receivers.
            var shares = [Int](repeating: 0, count: cpus)
            cost.forEachShare(of: survivors) { position, lpis in shares[position] = lpis }
            XCTAssertEqual(shares.reduce(0, +), dying, context)
            XCTAssertEqual(zip(survivors, shares).map { $0 + $1 }.sorted(), counts.sorted(), context)
            XCTAssertEqual(shares.filter { $0 > 0 }.count, cost.destinations, context)
            if let target = cost.remapTarget {
                XCTAssertEqual(shares[target], cost.keptByRemapTarget, context)
                XCTAssertEqual(shares.max(), cost.keptByRemapTarget, context)
            }
            // Spread: survivors that were within one stay within one.
            if survivors.max()! - survivors.min()! <= 1 {
                XCTAssertLessThanOrEqual(counts.max()! - counts.min()!, 1, context)
            }
        }
    }
}
