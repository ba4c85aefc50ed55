// Where the LPIs of a CPU going offline or coming online go, and what the
// ITS commands to put them there cost: the lower bounds the balanced policy
// must reach for LPIs, and the comparison of the two ways to move them.
//
// The model: a pool of collections (ICIDs), each mapped with MAPC to one
// CPU's redistributor; a CPU's LPI count is the number of LPIs whose
// collection targets it, and a CPU may be the target of several
// collections. When CPU d goes offline with k LPIs in c non-empty
// collections, every one of them must end up targeting an online CPU, and
// the balanced policy places them by water-filling, as if each went to the
// least loaded online CPU, so per-CPU counts that differed by at most one
// still do. Which CPUs at the final level take the last few ("extras") is
// free under that rule; `LPIOfflineCost.forEachShare` gives them to the
// bulk move's target first, then to CPUs that receive anyway, so as few
// redistributors as possible need a SYNC.
//
// The commands that move LPIs (IHI 0069 §5.3):
// - MOVI re-targets one ITT entry at another collection and moves its
//   pending state with it (§5.3.13): the only command that moves one LPI
//   without moving its collection.
// - MAPC re-targets a whole collection at another redistributor (§5.3.9);
//   LPIs of it already pending stay in the old redistributor's pending
//   table, so a remap of a collection that may hold pending LPIs needs
//   MOVALL (§5.3.12), which moves every LPI pending on one redistributor
//   to another and changes no mapping (QEMU's implementation moves the
//   pending bits and nothing else). MOVALL cannot pick LPIs: it is only
//   correct when every collection on the source is re-targeted at the same
//   destination, which is the case for a CPU going offline and never for
//   one that stays online.
//
// Offline, two ways:
// - per LPI: one MOVI each: k commands.
// - bulk: MAPC re-targets each of the c collections at one survivor t and
//   MOVALL moves what was pending on d to t: c + 1 commands move all k to
//   t; then the k − a_t that the balanced placement puts elsewhere need a
//   MOVI each. Order: MAPC first, so an LPI raised meanwhile already goes
//   to t; then MOVALL; then the MOVIs; then SYNC each receiver.
// Bulk wins when c + 1 + k − a_t < k, i.e. when t keeps a_t > c + 1: with
// m balanced survivors a_t ≈ k / m. Per-LPI MOVI and bulk are the only two
// shapes: every LPI that ends on a CPU other than the bulk target needs a
// MOVI of its own, and a second bulk target would need a second MOVALL from
// the same source, which finds nothing left to move.
//
// Online: the new CPU's LPIs can only come from CPUs that stay online, so
// no collection may be re-targeted (its LPIs pending on the old CPU would
// stay there) and no MOVALL is valid: each LPI moved is one MOVI, and the
// fewest are `LPIBalanceTarget.moves`.
//
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
    /// c: the non-empty collections that target the dying CPU, one MAPC
    /// each in the bulk move.
    public let collections: Int
    /// Move commands with a MAPC per collection + MOVALL and then a MOVI
    /// for each LPI the balanced placement puts elsewhere: c + 1 + k − a_t;
    /// 0 when k is 0.
    public var remapAndRebalance: Int {
        lpisToMove == 0 ? 0 : collections + 1 + lpisToMove - keptByRemapTarget
    }
    /// The water-fill of the dying CPU's LPIs over the survivors.
    public let fill: LPIWaterFill
    /// Survivors below the fill's level.
    let belowLevel: Int

    /// Survivors that receive LPIs, the extras given first to CPUs that
    /// receive anyway: one SYNC each, whichever way.
    public let destinations: Int

    /// The fewest move commands for the event under the balance rule:
    /// min(k, c + 1 + k − a_t).
    public var minimumMoveCommands: Int { Swift.min(perLPI, remapAndRebalance) }

    /// Whether the bulk move takes fewer commands than per-LPI MOVIs.
    public var remapIsCheaper: Bool { remapAndRebalance < perLPI }

    /// The cost for a dying CPU with `dyingCount` LPIs in `collections`
    /// non-empty collections and `survivors` the LPI counts of the CPUs that
    /// stay online, in CPU order (non-empty, non-negative).
    public init<Counts: Collection>(
        dyingCount: Int, collections: Int = 1, survivors: Counts
    ) where Counts.Element == Int {
        precondition(dyingCount == 0 || collections >= 1, "LPIs without a collection")
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
        self.collections = dyingCount == 0 ? 0 : collections
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

/// The balanced placement after a CPU came online (or whenever counts are
/// to be brought within one of each other): the count each online CPU
/// should end with, reached by moving the fewest LPIs.
///
/// With T LPIs over m CPUs every CPU must end at q = T / m or q + 1, and
/// exactly r = T mod m at q + 1. Moving the fewest LPIs means giving the
/// r places at q + 1 to the CPUs that hold the most (lowest position on a
/// tie), then moving Σ max(0, c − cap) LPIs, each one MOVI (see the file's
/// header: online, nothing else is valid).
public struct LPIBalanceTarget: Hashable, Sendable {
    /// q: the count every CPU reaches at least.
    public let level: Int
    /// Per CPU position, the count it ends with (q or q + 1).
    public let caps: [Int]
    /// LPIs that must move, one MOVI each: the lower bound.
    public let moves: Int
    /// CPUs that receive LPIs (one SYNC each).
    public let destinations: Int

    /// The target for `counts`, the LPI counts of the online CPUs in CPU
    /// order (non-empty, non-negative).
    public init(counts: [Int]) {
        precondition(!counts.isEmpty, "no CPU to place LPIs on")
        var total = 0
        for count in counts {
            precondition(count >= 0, "negative LPI count")
            total += count
        }
        let level = total / counts.count
        var extras = total % counts.count
        var caps = [Int](repeating: level, count: counts.count)
        // The r largest get q + 1: walk counts from the largest down. A
        // count above q needs a cap of q + 1 most, so take those first,
        // largest first, lowest position on a tie.
        var order = Array(counts.indices)
        order.sort { counts[$0] != counts[$1] ? counts[$0] > counts[$1] : $0 < $1 }
        for position in order where extras > 0 {
            caps[position] = level + 1
            extras -= 1
        }
        var moves = 0
        var destinations = 0
        for position in counts.indices {
            if counts[position] > caps[position] { moves += counts[position] - caps[position] }
            if counts[position] < caps[position] { destinations += 1 }
        }
        self.level = level
        self.caps = caps
        self.moves = moves
        self.destinations = destinations
    }
}
