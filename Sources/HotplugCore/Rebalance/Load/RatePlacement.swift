/// Where the load placement reads each interrupt's measured rate, by
/// position (`InterruptRates` in the kernel). Apart from the rest of the
/// input so that the policy can lend its rates in place (`inout`) rather
/// than copy 24 KiB onto a 64 KiB CPU stack.
///
/// `mutating` only to read fixed storage in place (see `CPULoad`); it must
/// not change anything.
public protocol LoadRateSource {
    /// The rate of the interrupt at `position` (handled per epoch).
    mutating func rate(at position: Int) -> UInt64
}

extension InterruptRates: LoadRateSource {}

/// What the load placement reads about each interrupt apart from its
/// rate, by position (`0 ..< count`, INTID order, as in the descriptor
/// store).
///
/// The readers are `mutating` only so that fixed storage behind them can be
/// read in place (see `CPULoad`); they must not change anything.
public protocol LoadPlacementInput {
    /// Interrupts, positions `0 ..< count` (at most `RatePlacement.capacity`).
    var count: Int { get }
    /// Its requested mask.
    mutating func allowedCPUs(at position: Int) -> CPUMask
    /// Whether the placement may move it (a handler of ours, not
    /// guest-bound, no move pending). Others stay where they are and their
    /// rate still counts on their CPU.
    mutating func isMovable(at position: Int) -> Bool
}

/// One interrupt moved by the placement.
public struct LoadMove: Equatable, Sendable {
    /// Its position (store index).
    public var position: Int
    /// Where it was; nil if it was not placed.
    public var from: LogicalCPU?
    /// Where it goes.
    public var to: LogicalCPU
    /// True when `to` is outside its requested mask (no CPU of the mask is
    /// online): its affinity is broken, as the balanced policy marks it.
    public var broken: Bool
}

/// Tunables of the placement by load.
public struct LoadPlacementSettings: Equatable, Sendable {
    /// Moves at most per epoch (load moves only: placing an unplaced
    /// interrupt, evacuating a dying CPU and restoring broken affinities
    /// are not limited).
    public var moveBudget: Int
    /// Hysteresis: an epoch's load moves are made only if together they
    /// lower the busiest CPU's rate by more than this many percent. Judged
    /// move by move instead, 3% left skewed storms up to 13% above the
    /// goal's bound (many small moves, each gaining less); judged per
    /// epoch, the storms of `RebalanceLoadTests` meet the goal.
    public var hysteresisPercent: UInt64

    public init(moveBudget: Int = 32, hysteresisPercent: UInt64 = 3) {
        self.moveBudget = Swift.max(0, moveBudget)
        self.hysteresisPercent = Swift.min(hysteresisPercent, 99)
    }
}

/// Placement of interrupts on CPUs by measured rate, within requested
/// masks, deterministic: the same inputs give the same placement and the
/// same moves in the same order.
///
/// - `placeAll` (from scratch): longest processing time first (LPT, Graham
///   1969): movable interrupts by descending rate, ties by position (INTID),
///   each to the least loaded online CPU of its mask, ties to the lowest
///   CPU. With every CPU allowed the busiest CPU is within 4/3 − 1/(3m) of
///   the optimum on m CPUs.
/// - `evacuate` (a CPU going offline): only what the dying CPU held moves,
///   in the same order, to the least loaded online CPU of its mask.
/// - `rebalanceEpoch` (each epoch, and on a CPU coming online): places
///   what is unplaced or on an offline CPU, restores broken affinities,
///   then plans load steps off the busiest CPU within the move budget: the
///   single move that most lowers the higher of the two CPUs involved, or,
///   when no single move helps, the best swap with the least loaded CPU
///   (two moves). The plan is made only if it lowers the busiest CPU's rate
///   by more than the hysteresis, and undone otherwise (a dead band: many
///   small moves that each gain little still count together, while noise
///   of a few percent moves nothing). Every step strictly lowers the sum of
///   squared CPU rates, so planning ends; with rates unchanged an epoch that
///   moves nothing, or stops with room for two more moves (a swap), found
///   no step, and so do the epochs after it. Hence no moves after three
///   stationary epochs whenever three budgets cover the plan.
///
/// Everywhere, an interrupt with no online CPU in its mask goes to the
/// least loaded online CPU and is marked broken.
///
/// Cost: each load step scans the positions (O(n)); a swap, tried only
/// when no single move helps, also pairs the busiest CPU's interrupts with
/// the least loaded CPU's (O(n · n/m) with even spread).
///
/// Fixed storage (about 28 KiB); nothing allocates. Each operation first
/// recounts the per-CPU totals from the current rates, in one pass.
public struct RatePlacement: Sendable {
    /// Interrupts at most.
    public static let capacity = InterruptRates.capacity

    /// Per position: the CPU index it is placed on, −1 for none.
    private var targets: InlineArray<2048, Int16>
    /// Per position: its affinity is broken (placed outside its mask).
    private var broken: InlineArray<2048, Bool>
    /// Per CPU: the sum of the rates placed on it, as of the last recount.
    private var totals: InlineArray<512, UInt64>
    /// Scratch: the rates read at the last recount.
    private var rates: InlineArray<2048, UInt64>
    /// Scratch: positions to place, in placement order.
    private var order: InlineArray<2048, UInt16>
    /// Scratch: the load moves planned this epoch, and where each came from.
    private var journalPositions: InlineArray<64, UInt16>
    private var journalFrom: InlineArray<64, Int16>

    /// Nothing placed.
    public init() {
        targets = InlineArray(repeating: -1)
        broken = InlineArray(repeating: false)
        totals = InlineArray(repeating: 0)
        rates = InlineArray(repeating: 0)
        order = InlineArray(repeating: 0)
        journalPositions = InlineArray(repeating: 0)
        journalFrom = InlineArray(repeating: 0)
    }

    // MARK: State

    /// Where the interrupt at `position` is placed; nil if nowhere.
    public mutating func target(of position: Int) -> LogicalCPU? {
        guard position >= 0 && position < RatePlacement.capacity, targets[position] >= 0 else { return nil }
        return LogicalCPU(Int(targets[position]))
    }

    /// Whether the interrupt at `position` is placed outside its mask.
    public mutating func isBroken(_ position: Int) -> Bool {
        guard position >= 0 && position < RatePlacement.capacity else { return false }
        return broken[position]
    }

    /// Records where the interrupt at `position` is (e.g. read from its
    /// descriptor), without counting a move.
    public mutating func setTarget(of position: Int, to cpu: LogicalCPU?, broken isBroken: Bool = false) {
        guard position >= 0 && position < RatePlacement.capacity else { return }
        targets[position] = Int16(cpu?.index ?? -1)
        broken[position] = isBroken
    }

    /// The sum of the rates placed on `cpu` at the last operation.
    public mutating func total(on cpu: LogicalCPU) -> UInt64 {
        guard cpu.index >= 0 && cpu.index < CPUMask.capacity else { return 0 }
        return totals[cpu.index]
    }

    /// The online CPU with the highest total, the lowest on a tie; nil when
    /// none is online.
    public mutating func busiest(among online: CPUMask) -> LogicalCPU? {
        var best: LogicalCPU? = nil
        var bestTotal: UInt64 = 0
        for cpu in online where best == nil || totals[cpu.index] > bestTotal {
            best = cpu
            bestTotal = totals[cpu.index]
        }
        return best
    }

    /// Reads the rates of positions `0 ..< count` and sums them per CPU as
    /// placed now.
    public mutating func recount<Rates: LoadRateSource>(_ source: inout Rates, count: Int) {
        for index in 0 ..< CPUMask.capacity {
            totals[index] = 0
        }
        for position in 0 ..< Swift.min(count, RatePlacement.capacity) {
            let rate = source.rate(at: position)
            rates[position] = rate
            if targets[position] >= 0 {
                totals[Int(targets[position])] += rate
            }
        }
    }

    // MARK: Operations

    /// Places every movable interrupt afresh (LPT); immovable ones stay and
    /// count where they are. Calls `onMove` for each interrupt whose CPU
    /// changes; returns how many.
    @discardableResult
    public mutating func placeAll<Input: LoadPlacementInput, Rates: LoadRateSource>(
        _ input: inout Input,
        rates source: inout Rates,
        online: CPUMask,
        onMove: (LoadMove) -> Void = { _ in }
    ) -> Int {
        recount(&source, count: input.count)
        let queued = enqueue(&input) { input, position, _, _ in input.isMovable(at: position) }
        return placeQueued(queued, input: &input, online: online, onMove: onMove)
    }

    /// Moves every movable interrupt placed on `dying` (no longer in
    /// `online`) to the least loaded online CPU of its mask, in LPT order.
    /// Nothing else moves. Returns the number of moves.
    @discardableResult
    public mutating func evacuate<Input: LoadPlacementInput, Rates: LoadRateSource>(
        _ dying: LogicalCPU,
        _ input: inout Input,
        rates source: inout Rates,
        online: CPUMask,
        onMove: (LoadMove) -> Void = { _ in }
    ) -> Int {
        guard !online.isEmpty, dying.index >= 0 && dying.index < CPUMask.capacity else { return 0 }
        recount(&source, count: input.count)
        let queued = enqueue(&input) { input, position, target, _ in
            target == dying.index && input.isMovable(at: position)
        }
        return placeQueued(queued, input: &input, online: online, onMove: onMove)
    }

    /// One epoch's re-placement (also run when a CPU comes online). First,
    /// without budget: movable interrupts unplaced or on an offline CPU are
    /// placed, in LPT order; broken ones whose mask has an online CPU again
    /// go to its least loaded one. Then load steps (`bestStep`), at most
    /// `min(settings.moveBudget, maximumBudget)` moves, kept only if the
    /// busiest online CPU's rate ends below `(100 − hysteresis)%` of what it
    /// was. Calls `onMove` for each move made, in order (the load moves after
    /// the placements), and returns their number.
    @discardableResult
    public mutating func rebalanceEpoch<Input: LoadPlacementInput, Rates: LoadRateSource>(
        _ input: inout Input,
        rates source: inout Rates,
        online: CPUMask,
        settings: LoadPlacementSettings = LoadPlacementSettings(),
        onMove: (LoadMove) -> Void = { _ in }
    ) -> Int {
        guard !online.isEmpty else { return 0 }
        recount(&source, count: input.count)
        let count = Swift.min(input.count, RatePlacement.capacity)

        // Unplaced, stranded, or restorable: placed again, outside the budget.
        let queued = enqueue(&input) { input, position, target, isBroken in
            guard input.isMovable(at: position) else { return false }
            let stranded = target < 0 || !online.contains(LogicalCPU(target))
            let restorable = isBroken && !input.allowedCPUs(at: position).isDisjoint(with: online)
            return stranded || restorable
        }
        let moves = placeQueued(queued, input: &input, online: online, onMove: onMove)

        // Load moves off the busiest CPU, planned within the budget, made
        // only if together they clear the hysteresis.
        let budget = Swift.min(settings.moveBudget, RatePlacement.maximumBudget)
        let peakBefore = busiest(among: online).map { totals[$0.index] } ?? 0
        var planned = 0
        while planned < budget, let step = bestStep(count: count, input: &input, online: online, room: budget - planned) {
            apply(step.first, to: step.firstTo, journal: &planned)
            if let second = step.second {
                apply(second, to: step.secondTo, journal: &planned)
            }
        }
        let peakAfter = busiest(among: online).map { totals[$0.index] } ?? 0
        if planned > 0 && peakAfter * 100 >= peakBefore * (100 - settings.hysteresisPercent) {
            // Not worth it: undo, newest first.
            while planned > 0 {
                planned -= 1
                let position = Int(journalPositions[planned])
                let back = Int(journalFrom[planned])
                totals[Int(targets[position])] -= rates[position]
                totals[back] += rates[position]
                targets[position] = Int16(back)
            }
        }
        for entry in 0 ..< planned {
            let position = Int(journalPositions[entry])
            onMove(LoadMove(position: position, from: LogicalCPU(Int(journalFrom[entry])),
                            to: LogicalCPU(Int(targets[position])), broken: broken[position]))
        }
        return moves + planned
    }

    /// Load moves per epoch at most, whatever the settings say.
    public static let maximumBudget = 64

    /// One load step: a move of `first` to `firstTo`, or a swap of `first`
    /// (to `firstTo`) with `second` (to the busiest CPU).
    private struct Step {
        var first: Int
        var firstTo: LogicalCPU
        var second: Int?
        var secondTo: LogicalCPU
    }

    /// The step that most lowers the higher of the two CPUs it touches,
    /// below the busiest CPU's total (strictly), or nil. A single move off
    /// the busiest CPU `b` (each interrupt to the least loaded online CPU of
    /// its mask) is preferred; only if none helps, and `room` allows two
    /// moves, a swap of an interrupt on `b` with a smaller one on the least
    /// loaded online CPU `t`, both within their masks (this leaves local
    /// optima such as {1000, 500} against {600, 400, …}). Ties: lowest
    /// positions. Every step keeps the two CPUs' sum and lowers their
    /// maximum, so it lowers the sum of squared totals: planning ends.
    private mutating func bestStep<Input: LoadPlacementInput>(
        count: Int,
        input: inout Input,
        online: CPUMask,
        room: Int
    ) -> Step? {
        guard let busiest = busiest(among: online) else { return nil }
        let peak = totals[busiest.index]
        var best: Step? = nil
        var bestPeak = peak
        for position in 0 ..< count where Int(targets[position]) == busiest.index {
            let rate = rates[position]
            guard rate > 0, input.isMovable(at: position) else { continue }
            guard let to = leastLoaded(of: permitted(position, input: &input, online: online)),
                  to != busiest else { continue }
            let pairPeak = Swift.max(peak - rate, totals[to.index] + rate)
            if pairPeak < bestPeak {
                best = Step(first: position, firstTo: to, second: nil, secondTo: to)
                bestPeak = pairPeak
            }
        }
        guard best == nil, room >= 2, let least = leastLoaded(of: online), least != busiest else { return best }
        let gap = peak - totals[least.index]
        for position in 0 ..< count where Int(targets[position]) == busiest.index {
            let rate = rates[position]
            guard rate > 0, input.isMovable(at: position),
                  permitted(position, input: &input, online: online).contains(least) else { continue }
            for other in 0 ..< count where Int(targets[other]) == least.index {
                let otherRate = rates[other]
                // Only a smaller one, by less than the gap, helps.
                guard otherRate < rate, rate - otherRate < gap, input.isMovable(at: other),
                      permitted(other, input: &input, online: online).contains(busiest) else { continue }
                let pairPeak = Swift.max(peak - rate + otherRate, totals[least.index] + rate - otherRate)
                if pairPeak < bestPeak {
                    best = Step(first: position, firstTo: least, second: other, secondTo: busiest)
                    bestPeak = pairPeak
                }
            }
        }
        return best
    }

    /// Where the interrupt at `position` may go: its mask's online CPUs; for
    /// a broken one (none of them online), every online CPU.
    @inline(__always)
    private mutating func permitted<Input: LoadPlacementInput>(
        _ position: Int,
        input: inout Input,
        online: CPUMask
    ) -> CPUMask {
        let inMask = input.allowedCPUs(at: position).intersection(online)
        return broken[position] && inMask.isEmpty ? online : inMask
    }

    /// Moves the interrupt at `position` to `cpu` tentatively, noting
    /// where it was in the journal.
    private mutating func apply(_ position: Int, to cpu: LogicalCPU, journal planned: inout Int) {
        let from = Int(targets[position])
        journalPositions[planned] = UInt16(position)
        journalFrom[planned] = Int16(from)
        planned += 1
        totals[from] -= rates[position]
        totals[cpu.index] += rates[position]
        targets[position] = Int16(cpu.index)
    }

    // MARK: Pieces

    /// Puts in `order` the positions for which `include(input, position,
    /// target index or −1, broken)` holds; returns how many.
    private mutating func enqueue<Input: LoadPlacementInput>(
        _ input: inout Input,
        _ include: (inout Input, Int, Int, Bool) -> Bool
    ) -> Int {
        var queued = 0
        for position in 0 ..< Swift.min(input.count, RatePlacement.capacity)
        where include(&input, position, Int(targets[position]), broken[position]) {
            order[queued] = UInt16(position)
            queued += 1
        }
        return queued
    }

    /// Takes the interrupts of `order[0 ..< queued]` off their CPUs, then
    /// places them one by one in LPT order (`place`). Returns the moves.
    private mutating func placeQueued<Input: LoadPlacementInput>(
        _ queued: Int,
        input: inout Input,
        online: CPUMask,
        onMove: (LoadMove) -> Void
    ) -> Int {
        for slot in 0 ..< queued {
            let position = Int(order[slot])
            if targets[position] >= 0 {
                totals[Int(targets[position])] -= rates[position]
            }
        }
        sortOrder(queued)
        var moves = 0
        for slot in 0 ..< queued {
            let position = Int(order[slot])
            let from = target(of: position)
            targets[position] = -1
            if place(position, input: &input, online: online, from: from, onMove: onMove) {
                moves += 1
            }
        }
        return moves
    }

    /// The CPU of `cpus` with the lowest total, the lowest CPU on a tie.
    private mutating func leastLoaded(of cpus: CPUMask) -> LogicalCPU? {
        cpus.leastLoaded { totals[$0.index] }
    }

    /// Places the (unplaced) interrupt at `position` on the least loaded
    /// online CPU of its mask, else of `online` (broken); reports a move
    /// if that differs from `from` or changes its brokenness. Returns
    /// whether it reported one.
    private mutating func place<Input: LoadPlacementInput>(
        _ position: Int,
        input: inout Input,
        online: CPUMask,
        from: LogicalCPU?,
        onMove: (LoadMove) -> Void
    ) -> Bool {
        let wasBroken = broken[position]
        let to: LogicalCPU
        if let inMask = leastLoaded(of: input.allowedCPUs(at: position).intersection(online)) {
            to = inMask
            broken[position] = false
        } else if let anyCPU = leastLoaded(of: online) {
            to = anyCPU
            broken[position] = true
        } else {
            return false
        }
        targets[position] = Int16(to.index)
        totals[to.index] += rates[position]
        guard to != from || broken[position] != wasBroken else { return false }
        onMove(LoadMove(position: position, from: from, to: to, broken: broken[position]))
        return true
    }

    /// Whether position `a` is placed before `b`: higher rate first, then
    /// lower position (INTID).
    @inline(__always)
    private mutating func precedes(_ a: UInt16, _ b: UInt16) -> Bool {
        let rateA = rates[Int(a)]
        let rateB = rates[Int(b)]
        return rateA != rateB ? rateA > rateB : a < b
    }

    /// Sorts `order[0 ..< count]` by `precedes`, in place (heapsort: no
    /// allocation, O(n log n); the order is total, so the result is unique).
    private mutating func sortOrder(_ count: Int) {
        guard count > 1 else { return }
        var start = count / 2
        while start > 0 {
            start -= 1
            siftDown(start, end: count)
        }
        var end = count
        while end > 1 {
            end -= 1
            order.swapAt(0, end)
            siftDown(0, end: end)
        }
    }

    /// Restores the heap property below `root` within `order[0 ..< end]`,
    /// the heap's top being the element placed last.
    private mutating func siftDown(_ root: Int, end: Int) {
        var parent = root
        while true {
            var child = 2 * parent + 1
            guard child < end else { return }
            if child + 1 < end && precedes(order[child], order[child + 1]) {
                child += 1
            }
            guard precedes(order[parent], order[child]) else { return }
            order.swapAt(parent, child)
            parent = child
        }
    }
}
