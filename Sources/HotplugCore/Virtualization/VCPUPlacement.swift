// The hypervisor scheduler's placement decisions, pure: which pCPU each
// vCPU runs on, where vCPUs go when a pCPU goes offline or comes online,
// and the round-robin order of the vCPUs sharing a pCPU. The kernel applies
// them (saving and restoring contexts, moving the vCPUs' interrupts); the
// decisions themselves are host-tested here.

/// A vCPU's name: its domain and its number within the domain, written
/// `domain.vcpu` on the console (Xen writes `d0v1`).
public struct VCPUID: Hashable, Comparable, Sendable {
    public let domain: Int
    public let vcpu: Int

    @inline(__always)
    public init(domain: Int, vcpu: Int) {
        self.domain = domain
        self.vcpu = vcpu
    }

    public static func < (lhs: VCPUID, rhs: VCPUID) -> Bool {
        (lhs.domain, lhs.vcpu) < (rhs.domain, rhs.vcpu)
    }
}

/// One placement decision: `vcpu` leaves pCPU `from` for pCPU `to`.
public struct VCPUMove: Equatable, Sendable {
    public let vcpu: VCPUID
    public let from: LogicalCPU
    public let to: LogicalCPU

    public init(vcpu: VCPUID, from: LogicalCPU, to: LogicalCPU) {
        self.vcpu = vcpu
        self.from = from
        self.to = to
    }
}

/// Where every vCPU runs, and each pCPU's run queue.
///
/// Each vCPU has exactly one pCPU. The vCPUs of a pCPU take time slices in
/// round robin, in the order they arrived on it (a vCPU moved onto a pCPU
/// joins the end of its queue). The decisions:
/// - `evacuate`: a pCPU going offline hands each of its vCPUs, in queue
///   order, to the least loaded online pCPU, the lowest-numbered on a tie;
/// - `balance`: after a pCPU comes online, the fewest moves that bring the
///   online pCPUs' vCPU counts within one of each other (one vCPU at a time
///   from the most loaded pCPU to the least loaded one; each such move
///   lowers `RebalanceBounds.minimumMovesForOnline` by exactly one, and no
///   move can lower it by more, so the total is that minimum).
///
/// Fixed storage for `capacity` vCPUs: nothing is allocated. Elements are
/// read through `span`, which reads in place: a plain non-mutating
/// `InlineArray` subscript may copy the whole array first (see `CPULoad`).
public struct VCPUPlacement: Sendable {
    /// The most vCPUs a machine can have here.
    public static let capacity = 64

    private var names: InlineArray<64, VCPUID>
    private var cpus: InlineArray<64, LogicalCPU>
    /// Arrival stamps: the run-queue order of the vCPUs of one pCPU.
    private var arrivals: InlineArray<64, UInt32>
    private var nextArrival: UInt32 = 0
    /// vCPUs placed, `0 ... capacity`.
    public private(set) var count = 0

    /// No vCPUs.
    public init() {
        names = InlineArray(repeating: VCPUID(domain: 0, vcpu: 0))
        cpus = InlineArray(repeating: LogicalCPU(0))
        arrivals = InlineArray(repeating: 0)
    }

    /// The `index`-th vCPU placed, `0 ..< count`.
    public func vcpu(at index: Int) -> VCPUID {
        precondition(index >= 0 && index < count, "VCPUPlacement: index out of range")
        return names.span[index]
    }

    private func index(of vcpu: VCPUID) -> Int? {
        for index in 0 ..< count where names.span[index] == vcpu { return index }
        return nil
    }

    /// Places a new vCPU on `cpu`, at the end of its run queue.
    ///
    /// - Precondition: `vcpu` is not placed yet and there is room.
    public mutating func add(_ vcpu: VCPUID, on cpu: LogicalCPU) {
        precondition(index(of: vcpu) == nil, "VCPUPlacement.add: vCPU already placed")
        precondition(count < VCPUPlacement.capacity, "VCPUPlacement.add: full")
        names[count] = vcpu
        cpus[count] = cpu
        arrivals[count] = stamp()
        count += 1
    }

    private mutating func stamp() -> UInt32 {
        nextArrival &+= 1
        return nextArrival
    }

    /// The pCPU `vcpu` runs on; nil if it is not placed.
    public func pCPU(of vcpu: VCPUID) -> LogicalCPU? {
        index(of: vcpu).map { cpus.span[$0] }
    }

    /// How many vCPUs `cpu` runs.
    public func load(on cpu: LogicalCPU) -> Int {
        var load = 0
        for index in 0 ..< count where cpus.span[index] == cpu { load += 1 }
        return load
    }

    /// Per-pCPU vCPU counts.
    public var loads: CPULoad {
        var load = CPULoad()
        for index in 0 ..< count { load.add(cpus.span[index]) }
        return load
    }

    /// Moves `vcpu` to the end of `cpu`'s run queue (the console's
    /// `vcpu-move`, and every decision below). Moving it where it is does
    /// nothing and returns nil.
    @discardableResult
    public mutating func move(_ vcpu: VCPUID, to cpu: LogicalCPU) -> VCPUMove? {
        guard let index = index(of: vcpu) else { preconditionFailure("VCPUPlacement.move: vCPU not placed") }
        let from = cpus.span[index]
        guard from != cpu else { return nil }
        cpus[index] = cpu
        arrivals[index] = stamp()
        return VCPUMove(vcpu: vcpu, from: from, to: cpu)
    }

    // MARK: Run queues

    /// The vCPU of `cpu` that arrived first after arrival stamp `after`
    /// (0: the first of the queue); nil if none.
    private func firstArrival(on cpu: LogicalCPU, after: UInt32) -> Int? {
        var best: Int? = nil
        for index in 0 ..< count where cpus.span[index] == cpu && arrivals.span[index] > after {
            if best.map({ arrivals.span[index] < arrivals.span[$0] }) ?? true { best = index }
        }
        return best
    }

    /// The vCPU that runs next on `cpu` after `current` (nil: the head of
    /// the queue), wrapping round: round robin in arrival order. Nil when
    /// `cpu` runs no vCPU (it idles). A `current` no longer on `cpu` (it
    /// just moved away) gives the head.
    public func next(on cpu: LogicalCPU, after current: VCPUID?) -> VCPUID? {
        var after: UInt32 = 0
        if let current, let index = index(of: current), cpus.span[index] == cpu { after = arrivals.span[index] }
        if let index = firstArrival(on: cpu, after: after) { return names.span[index] }
        return firstArrival(on: cpu, after: 0).map { names.span[$0] }
    }

    /// The last vCPU of `cpu`'s queue: the one a rebalance moves, as it has
    /// waited least for its slice.
    private func tail(of cpu: LogicalCPU) -> Int? {
        var best: Int? = nil
        for index in 0 ..< count where cpus.span[index] == cpu {
            if best.map({ arrivals.span[index] > arrivals.span[$0] }) ?? true { best = index }
        }
        return best
    }

    // MARK: Hotplug decisions

    /// Moves every vCPU of `cpu` (going offline) to the least loaded CPU of
    /// `online`, the lowest-numbered on a tie, one at a time in queue
    /// order; `moved` hears of each move. Returns the number of moves.
    ///
    /// - Precondition: `online` does not contain `cpu` and is not empty
    ///   when `cpu` runs a vCPU.
    @discardableResult
    public mutating func evacuate(_ cpu: LogicalCPU, online: CPUMask, moved: (VCPUMove) -> Void) -> Int {
        precondition(!online.contains(cpu), "VCPUPlacement.evacuate: the dying pCPU is still online")
        var load = loads
        var moves = 0
        while let index = firstArrival(on: cpu, after: 0) {
            guard let target = load.leastLoadedInPlace(in: online) else { preconditionFailure("VCPUPlacement.evacuate: no online pCPU") }
            let vcpu = names.span[index]
            let move = move(vcpu, to: target)!
            load.add(target)
            moves += 1
            moved(move)
        }
        return moves
    }

    /// Brings the vCPU counts of the `online` pCPUs within one of each
    /// other with the fewest moves: while the most loaded (lowest-numbered
    /// on a tie) has two more than the least loaded (lowest-numbered on a
    /// tie), the tail of its queue moves there. Run after a pCPU came
    /// online (it is in `online`, with no vCPU). Returns the number of
    /// moves.
    ///
    /// - Precondition: every vCPU is on a CPU of `online`.
    @discardableResult
    public mutating func balance(online: CPUMask, moved: (VCPUMove) -> Void) -> Int {
        var load = loads
        var moves = 0
        while true {
            // In-place reads: see `CPULoad` on copies of its storage.
            guard let lightest = load.leastLoadedInPlace(in: online) else { return moves }
            var heaviest = lightest
            var most = load.count(of: lightest)
            for cpu in online where load.count(of: cpu) > most {
                heaviest = cpu
                most = load.count(of: cpu)
            }
            guard most - load.count(of: lightest) > 1, let index = tail(of: heaviest) else { return moves }
            let vcpu = names.span[index]
            let move = move(vcpu, to: lightest)!
            load.remove(heaviest)
            load.add(lightest)
            moves += 1
            moved(move)
        }
    }
}
