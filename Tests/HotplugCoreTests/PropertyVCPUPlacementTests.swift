// Property test of `VCPUPlacement` over random hotplug sequences
// (swift-property-based, `sequenceCases` cases, shrinking on).
//
// Each case is 2 to 16 pCPUs, some online, 1 to 40 vCPUs placed on online
// pCPUs, then up to 40 events: a pCPU going offline (never the last
// online one) with `evacuate`, one coming online with `balance`, or a
// console `vcpu-move` of one vCPU to an online pCPU (which unbalances).
// Events pick by index modulo what the state offers, so shrinking keeps
// cases valid. After every event:
// - every vCPU is on an online pCPU;
// - offline: exactly the dying pCPU's vCPUs moved, each to a pCPU that was
//   least loaded (lowest-numbered on a tie) at its turn;
// - online: the online pCPUs' counts are within one, with exactly
//   `RebalanceBounds.minimumMovesForOnline` moves (computed before);
// - an online pCPU's round robin (one per event, in turn) visits each of
//   its vCPUs once per round.
import PropertyBased
import Testing
@testable import HotplugCore

/// A case of the vCPU properties: `cpus` pCPUs, those of `onlineBits`
/// online, a starting pCPU for each vCPU (`starts[i]`: the `n % online`-th
/// online one), and events.
struct VCPUCase<Event: Sendable & CustomStringConvertible>: Sendable, CustomStringConvertible {
    var cpus: Int
    var onlineBits: UInt32
    var starts: [Int]
    var events: [Event]

    /// The pCPUs online at the start: those of `onlineBits`, pCPU 0 if none.
    var online: CPUMask {
        let online = CPUMask(bits: onlineBits, below: cpus)
        return online.isEmpty ? CPUMask(single: LogicalCPU(0)) : online
    }

    /// Where vCPU `index` starts.
    func start(_ index: Int) -> LogicalCPU {
        let online = online
        return online.nth(starts[index] % online.count)!
    }

    var description: String {
        "(cpus: \(cpus), online: \(CPUMask(bits: onlineBits, below: cpus).braced), starts: \(starts), events: \(events))"
    }
}

typealias PlacementCase = VCPUCase<PlacementEvent>

struct PlacementEvent: Sendable, CustomStringConvertible {
    var kind: Int
    var pick: Int
    var other: Int

    var description: String { ["off", "on", "move"][kind] + "#\(pick)" + (kind == 2 ? "->\(other)" : "") }
}

private let placementCases = zip(
    Gen.int(in: 2 ... 16), Gen<UInt32>.bitSet, Gen.int(in: 0 ... 15).array(of: 1 ... 40),
    zip(Gen.int(in: 0 ... 2), Gen.int(in: 0 ... 63), Gen.int(in: 0 ... 63))
        .map { PlacementEvent(kind: $0, pick: $1, other: $2) }.array(of: 0 ... 40)
).map { PlacementCase(cpus: $0, onlineBits: $1, starts: $2, events: $3) }

/// The first broken rule in `testCase`, or nil.
func checkPlacement(_ testCase: PlacementCase, offlines: inout Int, onlines: inout Int, balancingMoves: inout Int) -> String? {
    var online = testCase.online
    let machine = CPUMask.all(upTo: testCase.cpus)
    var placement = VCPUPlacement()
    for index in testCase.starts.indices {
        placement.add(VCPUID(domain: index / 4, vcpu: index % 4), on: testCase.start(index))
    }

    for (number, event) in testCase.events.enumerated() {
        let step = "event \(number) (\(event))"
        var moves: [VCPUMove] = []
        var before = placement.loads
        switch event.kind {
        case 0:
            guard online.count > 1 else { continue }
            let dying = online.nth(event.pick % online.count)!
            online.remove(dying)
            let count = placement.evacuate(dying, online: online) { moves.append($0) }
            offlines += 1
            let ran = before.count(of: dying)
            if count != moves.count || count != ran {
                return "\(step): \(count) moves off pCPU \(dying.index), which ran \(ran)"
            }
            var load = before
            for move in moves {
                if move.from != dying { return "\(step): moved \(move.vcpu) from \(move.from.index)" }
                let least = load.leastLoadedInPlace(in: online)
                if move.to != least {
                    return "\(step): \(move.vcpu) to \(move.to.index), least loaded was \(cpuText(least))"
                }
                load.add(move.to)
            }
        case 1:
            let offline = machine.subtracting(online)
            guard !offline.isEmpty else { continue }
            online.insert(offline.nth(event.pick % offline.count)!)
            let minimum = RebalanceBounds.minimumMovesForOnline(load: before, online: online)
            let count = placement.balance(online: online) { moves.append($0) }
            onlines += 1
            balancingMoves += count
            let spread = placement.loads.spread(online: online)
            if spread.max - spread.min > 1 { return "\(step): counts \(spread.min)...\(spread.max) after balancing" }
            if count != minimum || moves.count != count { return "\(step): \(count) moves, minimum \(minimum)" }
        default:
            let vcpu = placement.vcpu(at: event.pick % placement.count)
            placement.move(vcpu, to: online.nth(event.other % online.count)!)
        }
        for index in 0 ..< placement.count {
            let vcpu = placement.vcpu(at: index)
            if let cpu = placement.pCPU(of: vcpu), !online.contains(cpu) {
                return "\(step): \(vcpu) on offline pCPU \(cpu.index), online \(online.braced)"
            }
        }
        // Round robin, on one online pCPU per event (in turn; all of them
        // would triple the test's time): one round from the head visits
        // each of its vCPUs once, then wraps.
        if let cpu = online.nth(number % online.count) {
            let load = placement.load(on: cpu)
            var seen = Set<VCPUID>()
            var current: VCPUID? = nil
            for _ in 0 ..< load {
                guard let next = placement.next(on: cpu, after: current), placement.pCPU(of: next) == cpu else {
                    return "\(step): round robin on \(cpu.index) gave a vCPU not there"
                }
                seen.insert(next)
                current = next
            }
            if seen.count != load || placement.next(on: cpu, after: current) != placement.next(on: cpu, after: nil) {
                return "\(step): round robin on \(cpu.index) visited \(seen.count) of \(load)"
            }
        }
    }
    return nil
}

@Suite("vCPU placement properties")
struct PropertyVCPUPlacementTests {
    /// Random hotplug and move sequences keep every vCPU on an online pCPU,
    /// offline moves least-loaded, online balances with the fewest moves.
    @Test(.shrinking)
    func placementFollowsHotplug() async {
        var runs = 0, offlines = 0, onlines = 0, balancingMoves = 0
        await propertyCheck(count: sequenceCases, input: placementCases) { testCase in
            runs += 1
            let problem = checkPlacement(testCase, offlines: &offlines, onlines: &onlines, balancingMoves: &balancingMoves)
            #expect(problem == nil, "\(problem ?? "")")
        }
        if runs == sequenceCases {
            #expect(offlines > 2 * runs && onlines > 2 * runs && balancingMoves > runs,
                    "paths not reached: \(offlines) offlines, \(onlines) onlines, \(balancingMoves) balancing moves")
        }
    }
}
