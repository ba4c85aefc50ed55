// Property tests of placement by measured load (`RatePlacement`) on small
// cases (swift-property-based, 10,000 cases per property, shrinking on):
// 1 to 3 CPUs (some online), 1 to 6 interrupts with rates 0...40 (ties
// common), masks, a second rate vector (a load shift), a move budget.
//
// Properties:
// - LPT against the brute-force optimum, every CPU allowed: never better
//   than the optimum, within Graham's 4/3 − 1/(3m) of it, and exactly
//   optimal where that is proven: one CPU, no more interrupts than CPUs,
//   or an optimal placement with at most two (non-idle) interrupts per CPU
//   (Graham 1969, the case the 4/3 bound's proof excludes);
// - with masks: every interrupt on a CPU of its mask, or, when no CPU of
//   the mask is online, on an online CPU and marked broken (exactly then);
//   never better than the restricted optimum;
// - epochs after a load shift: load moves within the budget, masks kept,
//   the busiest CPU never higher after an epoch and lower by more than the
//   hysteresis whenever one moved, an epoch that moved nothing or left room
//   for a swap followed by an epoch without moves, no moves after three stationary
//   epochs with the default budget;
// - offline: exactly the dying CPU's movable interrupts move, each to an
//   online CPU of its mask (or broken);
// - determinism: the same case run twice gives the same moves.
//
// Rerunning a failure: see PropertyPolicyTests.swift (`.fixedSeed`).
import PropertyBased
import Testing
@testable import HotplugCore

/// One small placement case.
struct LoadCase: Sendable, CustomStringConvertible {
    var cpus: Int
    var onlineBits: UInt32
    var rates: [UInt64]
    /// Per interrupt: 0 (or none) every CPU, else the CPUs of these bits.
    var maskBits: [UInt32]
    /// Per interrupt: bit set → immovable (used where stated).
    var immovableBits: UInt32
    /// The rates after a load shift (as many as fit; the rest keep theirs).
    var shifted: [UInt64]
    var budget: Int
    var pick: Int

    /// At least one CPU online: CPU 0 if the bits name none.
    var online: CPUMask {
        let mask = CPUMask(bits: onlineBits, below: cpus)
        return mask.isEmpty ? CPUMask(single: LogicalCPU(0)) : mask
    }

    func input(masks: Bool, immovable: Bool = false) -> ArrayLoadInput {
        let all = CPUMask.all(upTo: cpus)
        let maskList = rates.indices.map { position -> CPUMask in
            guard masks, position < maskBits.count else { return all }
            let mask = CPUMask(bits: maskBits[position], below: cpus)
            return mask.isEmpty ? all : mask
        }
        let movable = rates.indices.map { !immovable || immovableBits & (1 << UInt32($0)) == 0 }
        return ArrayLoadInput(rates: rates, masks: maskList, movable: movable)
    }

    func shiftedRates() -> [UInt64] {
        rates.indices.map { $0 < shifted.count ? shifted[$0] : rates[$0] }
    }

    var description: String {
        "LoadCase(cpus: \(cpus), online: \(online.braced), rates: \(rates), masks: \(maskBits.map { CPUMask(bits: $0, below: cpus).braced }), "
            + "immovable: \(immovableBits), shifted: \(shifted), budget: \(budget), pick: \(pick))"
    }
}

private func loadCases() -> Generator<LoadCase, some Sequence & SendableMetatype> {
    let rate = Gen.int(in: 0 ... 40).map { UInt64($0) }
    return zip(Gen.int(in: 1 ... 3), Gen<UInt32>.bitSet, rate.array(of: 1 ... 6), Gen<UInt32>.bitSet.array(of: 0 ... 6),
               Gen<UInt32>.bitSet, rate.array(of: 0 ... 6), Gen.int(in: 0 ... 4), Gen.int(in: 0 ... 31))
        .map { LoadCase(cpus: $0, onlineBits: $1, rates: $2, maskBits: $3, immovableBits: $4, shifted: $5, budget: $6, pick: $7) }
}

/// Why `placement` breaks a mask rule for `input` on `online`, or nil:
/// every placed movable interrupt on an online CPU of its mask, or on an
/// online CPU marked broken when no CPU of the mask is online, broken
/// exactly then.
private func maskProblem(_ placement: inout RatePlacement, _ input: ArrayLoadInput, online: CPUMask) -> String? {
    for position in 0 ..< input.count where input.movable[position] {
        guard let cpu = placement.target(of: position) else { return "#\(position) unplaced" }
        guard online.contains(cpu) else { return "#\(position) on offline CPU \(cpu.index)" }
        let maskOnline = !input.masks[position].isDisjoint(with: online)
        if maskOnline && !input.masks[position].contains(cpu) {
            return "#\(position) on \(cpu.index) outside \(input.masks[position].braced)"
        }
        if placement.isBroken(position) == maskOnline {
            return "#\(position) broken: \(placement.isBroken(position)), mask online: \(maskOnline)"
        }
    }
    return nil
}

/// LPT from scratch against the brute-force optimum (restricted to the
/// masks when `masks`); without masks also Graham's 4/3 − 1/(3m) bound and
/// optimality in the proven cases.
private func checkLPT(_ testCase: LoadCase, masks: Bool) -> String? {
    var input = testCase.input(masks: masks)
    let online = testCase.online
    var placement = RatePlacement()
    placement.placeAll(&input, online: online)
    let greedy = placement.makespan(&input, online: online)
    let optimum = bruteForceOptimum(input, online: online)!
    if greedy < optimum { return "LPT \(greedy) below the optimum \(optimum)" }
    if !masks {
        let m = UInt64(online.count)
        if 3 * m * greedy > (4 * m - 1) * optimum { return "LPT \(greedy) beyond 4/3 − 1/(3m) of \(optimum)" }
        let twoPerCPU = bruteForceOptimum(input, online: online, atMostTwoPerCPU: true)
        let proven = online.count == 1 || input.count <= online.count || twoPerCPU == optimum
        if proven && greedy != optimum { return "LPT \(greedy), optimum \(optimum) (provably optimal case)" }
    }
    return maskProblem(&placement, input, online: online)
}

/// Runs `check` over `sequenceCases` generated cases.
private func loadProperty(_ check: @escaping (LoadCase) -> String?) async {
    await propertyCheck(count: sequenceCases, input: loadCases()) { testCase in
        let problem = check(testCase)
        #expect(problem == nil, "\(problem ?? "")")
    }
}

@Suite("Load placement properties")
struct PropertyLoadPlacementTests {
    /// Every CPU allowed: the optimum, Graham's bound, the proven cases.
    @Test(.shrinking)
    func lptAgainstBruteForce() async {
        await loadProperty { checkLPT($0, masks: false) }
    }

    /// Masks: kept or broken exactly when they must be, never below the
    /// restricted optimum.
    @Test(.shrinking)
    func lptKeepsMasks() async {
        await loadProperty { checkLPT($0, masks: true) }
    }

    @Test(.shrinking)
    func epochsRespectBudgetHysteresisAndSettle() async {
        await loadProperty { testCase in
            var input = testCase.input(masks: true, immovable: true)
            let online = testCase.online
            var placement = RatePlacement()
            placement.placeAll(&input, online: online)
            input.rates = testCase.shiftedRates()
            let settings = LoadPlacementSettings(moveBudget: testCase.budget)
            var idleNext = false
            for epoch in 1 ... 8 {
                let before = placement.makespan(&input, online: online)
                let moves = placement.epochMoves(&input, online: online, settings: settings)
                let after = placement.makespan(&input, online: online)
                if moves.count > testCase.budget { return "epoch \(epoch): \(moves.count) moves, budget \(testCase.budget)" }
                if idleNext && !moves.isEmpty { return "epoch \(epoch): moves after an epoch that found no step" }
                if after > before { return "epoch \(epoch): busiest rose from \(before) to \(after)" }
                if !moves.isEmpty && after * 100 >= before * (100 - settings.hysteresisPercent) {
                    return "epoch \(epoch): moved for \(before) -> \(after), within the hysteresis"
                }
                if moves.contains(where: { !input.movable[$0.position] }) { return "epoch \(epoch): an immovable interrupt moved" }
                if let problem = maskProblem(&placement, input, online: online) { return "epoch \(epoch): \(problem)" }
                // Nothing moved (or a plan undone), or planning stopped
                // with room for a swap: no step exists, now or later.
                idleNext = moves.isEmpty || moves.count + 2 <= testCase.budget
            }
            // Default budget: nothing moves from the fourth stationary epoch on.
            var fresh = RatePlacement()
            input.rates = testCase.rates
            fresh.placeAll(&input, online: online)
            input.rates = testCase.shiftedRates()
            for epoch in 1 ... 6 {
                let moves = fresh.epochMoves(&input, online: online)
                if epoch > 3 && !moves.isEmpty { return "default budget: moves in stationary epoch \(epoch)" }
            }
            return nil
        }
    }

    @Test(.shrinking)
    func offlineMovesOnlyTheDyingCPUsInterrupts() async {
        await loadProperty { testCase in
            var input = testCase.input(masks: true, immovable: true)
            var online = testCase.online
            guard online.count >= 2 else { return nil }
            var placement = RatePlacement()
            placement.placeAll(&input, online: online)
            let dying = online.nth(testCase.pick % online.count)!
            let before = placement.targets(count: input.count)
            online.remove(dying)
            var moved: [Int] = []
            placement.evacuate(dying, &input, online: online) { moved.append($0.position) }
            let expected = before.indices.filter { before[$0] == dying.index && input.movable[$0] }
                .sorted { (input.rates[$0], -$0) > (input.rates[$1], -$1) }
            if moved != expected {
                return "moved \(moved), the dying CPU's in LPT order: \(expected)"
            }
            let after = placement.targets(count: input.count)
            for position in before.indices where !moved.contains(position) && after[position] != before[position] {
                return "#\(position) moved from \(before[position]) to \(after[position]) without being on CPU \(dying.index)"
            }
            return maskProblem(&placement, input, online: online)
        }
    }

    @Test(.shrinking)
    func sameInputsSameMoves() async {
        await loadProperty { testCase in
            func run() -> [LoadMove] {
                var input = testCase.input(masks: true, immovable: true)
                var online = testCase.online
                var placement = RatePlacement()
                var log: [LoadMove] = []
                placement.placeAll(&input, online: online) { log.append($0) }
                input.rates = testCase.shiftedRates()
                log += placement.epochMoves(&input, online: online, settings: LoadPlacementSettings(moveBudget: testCase.budget))
                if online.count >= 2, let dying = online.nth(testCase.pick % online.count) {
                    online.remove(dying)
                    placement.evacuate(dying, &input, online: online) { log.append($0) }
                }
                return log
            }
            let first = run()
            let second = run()
            return first == second ? nil : "first run \(first), second \(second)"
        }
    }
}
