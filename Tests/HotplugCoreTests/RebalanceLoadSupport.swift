// Shared pieces of the load placement tests (RebalanceLoad*Tests.swift,
// PropertyLoadPlacementTests.swift): an input over plain arrays, a brute
// force optimum for small cases, and the skewed (Zipf-like) rates.
@testable import HotplugCore

/// A placement input held in arrays (tests only; the kernel's reads its
/// descriptors and `InterruptRates`).
struct ArrayLoadInput: LoadPlacementInput, LoadRateSource {
    var rates: [UInt64]
    var masks: [CPUMask]
    var movable: [Bool]

    init(rates: [UInt64], masks: [CPUMask]? = nil, movable: [Bool]? = nil, cpus: Int = CPUMask.capacity) {
        self.rates = rates
        self.masks = masks ?? Array(repeating: CPUMask.all(upTo: cpus), count: rates.count)
        self.movable = movable ?? Array(repeating: true, count: rates.count)
    }

    var count: Int { rates.count }
    func rate(at position: Int) -> UInt64 { rates[position] }
    func allowedCPUs(at position: Int) -> CPUMask { masks[position] }
    func isMovable(at position: Int) -> Bool { movable[position] }
}

extension RatePlacement {
    // Inputs that carry their rates (a copy lends them: arrays, cheap).

    mutating func recount(_ input: inout ArrayLoadInput) {
        var source = input
        recount(&source, count: input.count)
    }

    @discardableResult
    mutating func placeAll(_ input: inout ArrayLoadInput, online: CPUMask, onMove: (LoadMove) -> Void = { _ in }) -> Int {
        var source = input
        return placeAll(&input, rates: &source, online: online, onMove: onMove)
    }

    @discardableResult
    mutating func evacuate(_ dying: LogicalCPU, _ input: inout ArrayLoadInput, online: CPUMask,
                           onMove: (LoadMove) -> Void = { _ in }) -> Int {
        var source = input
        return evacuate(dying, &input, rates: &source, online: online, onMove: onMove)
    }

    @discardableResult
    mutating func rebalanceEpoch(_ input: inout ArrayLoadInput, online: CPUMask,
                                 settings: LoadPlacementSettings = LoadPlacementSettings(),
                                 onMove: (LoadMove) -> Void = { _ in }) -> Int {
        var source = input
        return rebalanceEpoch(&input, rates: &source, online: online, settings: settings, onMove: onMove)
    }

    /// The placement as an array of CPU indices (−1: none), for comparing.
    mutating func targets(count: Int) -> [Int] {
        (0 ..< count).map { target(of: $0)?.index ?? -1 }
    }

    /// The busiest online CPU's total after a recount with `input`.
    mutating func makespan(_ input: inout ArrayLoadInput, online: CPUMask) -> UInt64 {
        recount(&input)
        guard let cpu = busiest(among: online) else { return 0 }
        return total(on: cpu)
    }

    /// Runs `rebalanceEpoch`, returning its moves in order.
    mutating func epochMoves(_ input: inout ArrayLoadInput, online: CPUMask,
                             settings: LoadPlacementSettings = LoadPlacementSettings()) -> [LoadMove] {
        var moves: [LoadMove] = []
        let count = rebalanceEpoch(&input, online: online, settings: settings) { moves.append($0) }
        precondition(count == moves.count)
        return moves
    }
}

/// The CPUs an interrupt may go to: its mask's online CPUs, or every online
/// CPU when none of them is (where the policies route a broken affinity).
func permittedCPUs(_ mask: CPUMask, online: CPUMask) -> CPUMask {
    let inMask = mask.intersection(online)
    return inMask.isEmpty ? online : inMask
}

/// The least busiest-CPU rate over every placement of `input`'s interrupts
/// on their permitted CPUs (exhaustive; small cases only). With
/// `atMostTwoPerCPU`, only over placements putting at most two interrupts
/// with a non-zero rate on each CPU (nil if there is none).
func bruteForceOptimum(_ input: ArrayLoadInput, online: CPUMask, atMostTwoPerCPU: Bool = false) -> UInt64? {
    let choices = input.masks.map { Array(permittedCPUs($0, online: online)) }
    var loads = [UInt64](repeating: 0, count: CPUMask.capacity)
    var jobs = [Int](repeating: 0, count: CPUMask.capacity)
    var best: UInt64? = nil
    func assign(_ position: Int, peak: UInt64) {
        if let best, peak >= best { return }
        if position == input.count {
            best = peak
            return
        }
        let rate = input.rates[position]
        for cpu in choices[position] {
            if atMostTwoPerCPU && rate > 0 && jobs[cpu.index] == 2 { continue }
            loads[cpu.index] += rate
            jobs[cpu.index] += rate > 0 ? 1 : 0
            assign(position + 1, peak: max(peak, loads[cpu.index]))
            loads[cpu.index] -= rate
            jobs[cpu.index] -= rate > 0 ? 1 : 0
        }
    }
    assign(0, peak: 0)
    return best
}

/// Zipf-like rates (exponent 1): `count` interrupts whose rates are
/// `scale / rank`, the ranks shuffled by `generator`.
func zipfRates(count: Int, scale: UInt64 = 1_000_000, generator: inout SplitMix64) -> [UInt64] {
    var ranks = Array(1 ... count)
    for index in stride(from: count - 1, to: 0, by: -1) {
        ranks.swapAt(index, generator.below(index + 1))
    }
    return ranks.map { scale / UInt64($0) }
}

/// Whether the goal holds for `input` placed by `placement` on `online`.
func meetsGoal(_ placement: inout RatePlacement, _ input: inout ArrayLoadInput, online: CPUMask) -> Bool {
    let busiest = placement.makespan(&input, online: online)
    return LoadBalanceGoal.isMet(busiest: busiest, largest: input.rates.max() ?? 0,
                                 total: input.rates.reduce(0, +), onlineCPUs: online.count)
}

/// A table of `count` SPIs with handlers and all-CPU masks, routed as
/// `targets` says (cycled), with the registers of `distributor` preset to
/// match. Shared by the balanced and load policy tests.
func routedTable(count: Int, targets: [Int], distributor: inout SimulatedDistributor) -> DescriptorTable {
    let table = DescriptorTable(layout: smallLayout(spis: count))
    for index in 0 ..< count {
        table.withDescriptor(at: index) { descriptor in
            descriptor.hasHandler = true
            descriptor.effectiveTarget = LogicalCPU(targets[index % targets.count])
        }
    }
    presetRegisters(from: table, into: &distributor)
    return table
}
