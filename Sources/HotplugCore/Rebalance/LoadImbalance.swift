/// How far a set of per-CPU counts is from balanced, as the number of
/// single-descriptor moves still needed, kept up to date move by move.
///
/// With `T` descriptors on `n` CPUs, `q = T / n`, `r = T % n`, a balanced
/// state (max − min ≤ 1) has `r` CPUs at `q + 1` and the rest at `q`. The
/// fewest moves reaching it give `q + 1` to the `r` largest counts:
/// `Σ max(0, c − target)`. Without sorting this is
/// `E − min(r, k)`, where `E = Σ max(0, c − q)` and `k` is the number of
/// counts above `q`: every CPU above `q` must shed down to `q`, except that
/// up to `r` of them (the largest, all above `q` when `k ≥ r`) keep one more.
/// `RebalanceBoundsTests` checks this against the sorted form and against a
/// brute-force search.
struct LoadImbalance {
    /// `q`.
    let quotient: Int
    /// `r`.
    let remainder: Int
    /// `E = Σ max(0, c − q)`.
    private(set) var excessOverQuotient: Int
    /// `k`, the number of counts above `q`.
    private(set) var countsAboveQuotient: Int

    /// The imbalance of `counts`, which must be non-negative.
    init<Counts: Collection>(counts: Counts) where Counts.Element == Int {
        var total = 0
        var cpus = 0
        for count in counts {
            total += count
            cpus += 1
        }
        quotient = cpus == 0 ? 0 : total / cpus
        remainder = cpus == 0 ? 0 : total % cpus
        excessOverQuotient = 0
        countsAboveQuotient = 0
        for count in counts where count > quotient {
            excessOverQuotient += count - quotient
            countsAboveQuotient += 1
        }
    }

    /// The imbalance of the counts of the `online` CPUs, read in place
    /// (`inout` only for that; see `CPULoad`).
    init(load: inout CPULoad, online: CPUMask) {
        var total = 0
        var cpus = 0
        for cpu in online {
            total += load.count(of: cpu)
            cpus += 1
        }
        quotient = cpus == 0 ? 0 : total / cpus
        remainder = cpus == 0 ? 0 : total % cpus
        excessOverQuotient = 0
        countsAboveQuotient = 0
        for cpu in online where load.count(of: cpu) > quotient {
            excessOverQuotient += load.count(of: cpu) - quotient
            countsAboveQuotient += 1
        }
    }

    /// The fewest single moves that make the counts differ by at most one.
    var movesNeeded: Int {
        excessOverQuotient - (remainder < countsAboveQuotient ? remainder : countsAboveQuotient)
    }

    /// `movesNeeded` after moving one descriptor from a CPU with `source`
    /// descriptors to another with `destination` (both counts before the move).
    func movesNeeded(afterMovingFrom source: Int, to destination: Int) -> Int {
        var moved = self
        moved.noteMove(from: source, to: destination)
        return moved.movesNeeded
    }

    /// Whether moving one descriptor away from a CPU with `source`
    /// descriptors can lower `movesNeeded` at all, whatever the destination.
    /// The most favourable destination is one below `q` (it changes neither
    /// `E` nor `k`), or, when `q` is 0, one at 0; if even that move does not
    /// help, no move from this CPU does, and the policy stops looking at its
    /// descriptors.
    func mayShed(from source: Int) -> Bool {
        movesNeeded(afterMovingFrom: source, to: quotient > 0 ? quotient - 1 : 0) < movesNeeded
    }

    /// Records a move from a CPU with `source` descriptors to one with
    /// `destination` (both counts before the move).
    mutating func noteMove(from source: Int, to destination: Int) {
        if source > quotient { excessOverQuotient -= 1 }
        if source == quotient + 1 { countsAboveQuotient -= 1 }
        if destination >= quotient { excessOverQuotient += 1 }
        if destination == quotient { countsAboveQuotient += 1 }
    }
}
