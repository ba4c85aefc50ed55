// Where the LPIs of a CPU going offline go, and what the ITS commands to
// put them there cost: the lower bound the balanced policy must reach for
// LPIs, and the comparison of the two ways to move them.
//
// The model: one collection per CPU (ICID = the CPU's), each mapped with
// MAPC to its CPU's redistributor; a CPU's LPI count is the number of LPIs
// whose collection targets it. When CPU d goes offline with k LPIs, every
// one of them must end up targeting an online CPU, and the balanced policy
// places them by water-filling, as if each went to the least loaded online
// CPU, so per-CPU counts that differed by at most one still do. Which CPUs
// at the final level take the last few ("extras") is free under that rule;
// `LPIOfflineCost.forEachShare` gives them to the bulk move's target first,
// then to CPUs that receive anyway, so as few redistributors as possible
// need a SYNC.
//
// Two ways to move them (IHI 0069 §5.3):
// - per LPI: one MOVI each (moving its pending state too): k commands.
// - bulk: MAPC re-targets collection d at one survivor t's redistributor
//   and MOVALL moves every LPI pending on d's redistributor to t's: 2
//   commands move all k to t; then the k − a_t that the balanced placement
//   puts elsewhere need a MOVI each. MOVALL changes no mapping (QEMU's
//   implementation only moves pending bits, and is a no-op if either
//   redistributor has LPIs disabled), so it is only correct when every
//   collection on d is re-targeted at t with MAPC — true here, d has one.
//   MOVALL alone (without the MAPC) would leave collection d aimed at the
//   offline CPU. Order: MAPC first, so that an LPI raised meanwhile already
//   goes to t; then MOVALL for what was pending on d; then SYNC to t.
//
// Bulk wins when 2 + k − a_t < k, i.e. when t keeps a_t ≥ 3 of them: with
// m balanced survivors, a_t ≈ k / m, so from about 3m LPIs on the dying CPU.
// Either way each redistributor that receives LPIs needs one SYNC after its
// last command (`destinations`).

/// How the balanced placement spreads k LPIs over the surviving CPUs:
/// water-filling to `level`, then one more to `extras` of the CPUs at the
/// level.
public struct LPIWaterFill: Hashable, Sendable {
    /// The count every receiving CPU reaches (some reach one more).
    public let level: Int
    /// How many receiving CPUs end at `level` + 1.
    public let extras: Int
    /// LPIs placed.
    public let placed: Int

    /// Fills `survivors` (the LPI counts of the online CPUs that stay, in
    /// CPU order) with `lpis` more: the largest level L with
    /// Σ max(0, L − c) ≤ `lpis`, and the rest, fewer than the CPUs at L,
    /// one each. Counts must be non-negative and `survivors` non-empty.
    public init<Counts: Collection>(survivors: Counts, adding lpis: Int) where Counts.Element == Int {
        precondition(lpis >= 0, "negative LPI count")
        var minimum = Int.max
        for count in survivors { minimum = Swift.min(minimum, count) }
        precondition(minimum != Int.max, "no CPU to place LPIs on")
        // F(L) = Σ max(0, L − c) grows with L; F(minimum) = 0 and
        // F(minimum + lpis) ≥ lpis. Binary search for the largest L with
        // F(L) ≤ lpis.
        func filled(to level: Int) -> Int {
            var total = 0
            for count in survivors where count < level { total += level - count }
            return total
        }
        var low = minimum
        var high = minimum + lpis
        while low < high {
            let middle = low + (high - low + 1) / 2
            if filled(to: middle) <= lpis { low = middle } else { high = middle - 1 }
        }
        self.level = low
        self.extras = lpis - filled(to: low)
        self.placed = lpis
    }

    /// What a CPU with `count` LPIs receives, without its extra: L − c when
    /// below the level.
    @inline(__always)
    public func base(for count: Int) -> Int { count < level ? level - count : 0 }
}

/// The cost of taking one CPU offline, in ITS move commands, both ways.
public struct LPIOfflineCost: Hashable, Sendable {
    /// k: the LPIs whose collection targets the dying CPU. Each must move;
    /// nothing else has to.
    public let lpisToMove: Int
    /// Move commands moving each of them with MOVI: k.
    public var perLPI: Int { lpisToMove }
    /// a_t: how many the remap target keeps in the balanced placement
    /// (the least loaded survivor, which takes one of the extras when there
    /// are any, so that it keeps the most).
    public let keptByRemapTarget: Int
    /// The survivor (its position among the survivors) the bulk move
    /// re-targets the collection at: the least loaded, lowest position on a
    /// tie.
    public let remapTarget: Int?
    /// Move commands with MAPC + MOVALL and then a MOVI for each LPI the
    /// balanced placement puts elsewhere: 2 + k − a_t; 0 when k is 0.
    public var remapAndRebalance: Int { lpisToMove == 0 ? 0 : 2 + lpisToMove - keptByRemapTarget }
    /// The water-fill of the dying CPU's LPIs over the survivors.
    public let fill: LPIWaterFill
    /// Survivors below the fill's level.
    let belowLevel: Int

    /// Survivors that receive LPIs, the extras given first to CPUs that
    /// receive anyway: one SYNC each, whichever way.
    public let destinations: Int

    /// The fewest move commands for the event under the balance rule:
    /// min(k, 2 + k − a_t).
    public var minimumMoveCommands: Int { Swift.min(perLPI, remapAndRebalance) }

    /// Whether the bulk move takes fewer commands than per-LPI MOVIs.
    public var remapIsCheaper: Bool { remapAndRebalance < perLPI }

    /// The cost for a dying CPU with `dyingCount` LPIs and `survivors` the
    /// LPI counts of the CPUs that stay online, in CPU order (non-empty,
    /// non-negative).
    public init<Counts: Collection>(dyingCount: Int, survivors: Counts) where Counts.Element == Int {
        let fill = LPIWaterFill(survivors: survivors, adding: dyingCount)
        var target: Int?
        var targetCount = Int.max
        var belowLevel = 0
        for (position, count) in survivors.enumerated() {
            if count < targetCount {
                target = position
                targetCount = count
            }
            if count < fill.level { belowLevel += 1 }
        }
        // The CPUs below the level receive anyway; the extras go to them
        // first (the remap target among them), and only extras beyond them
        // reach CPUs that were already at the level.
        let destinations = belowLevel + Swift.max(0, fill.extras - belowLevel)
        self.fill = fill
        self.belowLevel = belowLevel
        self.lpisToMove = dyingCount
        self.remapTarget = dyingCount == 0 ? nil : target
        self.keptByRemapTarget = dyingCount == 0 ? 0 : fill.base(for: targetCount) + (fill.extras > 0 ? 1 : 0)
        self.destinations = dyingCount == 0 ? 0 : destinations
    }

    /// The balanced placement, survivor by survivor: calls `body` with each
    /// survivor's position and how many of the dying CPU's LPIs it receives
    /// (0 included), in order. Each gets its water-fill share; the extras
    /// go first to the remap target, then to the other CPUs below the level
    /// (they receive anyway, so no redistributor is added), lowest position
    /// first, then to CPUs at the level. The remap target so receives
    /// `keptByRemapTarget`, and exactly `destinations` survivors receive
    /// something. `survivors` must be the counts this cost was made from.
    public func forEachShare<Counts: Collection>(
        of survivors: Counts, _ body: (_ position: Int, _ lpis: Int) -> Void
    ) where Counts.Element == Int {
        var extras = fill.extras
        if extras > 0, remapTarget != nil { extras -= 1 }
        var targetBelow = false
        for (position, count) in survivors.enumerated() where position == remapTarget {
            targetBelow = count < fill.level
        }
        let otherBelow = belowLevel - (targetBelow ? 1 : 0)
        var extrasBelow = Swift.min(extras, otherBelow)
        var extrasAtLevel = extras - extrasBelow
        for (position, count) in survivors.enumerated() {
            var share = fill.base(for: count)
            if position == remapTarget {
                share += fill.extras > 0 ? 1 : 0
            } else if count < fill.level, extrasBelow > 0 {
                share += 1
                extrasBelow -= 1
            } else if count == fill.level, extrasAtLevel > 0 {
                share += 1
                extrasAtLevel -= 1
            }
            body(position, share)
        }
    }
}
