/// The balanced policy's bookkeeping: for each CPU, the movable descriptors
/// delivered to it (a doubly linked list of descriptor indices) and their
/// number, plus the set of movable descriptors whose affinity is broken. With
/// it, a CPU going down visits only that CPU's descriptors and a CPU coming
/// up only the descriptors it moves, instead of the whole table.
///
/// Membership follows `RoutingState`: descriptor `i` is on CPU `c`'s list
/// exactly when it is movable and its destination is `c`. The index is
/// exact only while nothing but the policy has changed a routing state; it
/// records the store's `routingGeneration` it corresponds to, and the
/// policy recounts the whole table (`rebuild`) whenever the store shows
/// another one — a set-affinity from the console, a deferred move written
/// to a CPU other than the recorded one, handlers claimed at boot. Callers
/// need not report anything. The policy also checks each descriptor it
/// takes from a list against its state under the lock.
///
/// During a rebalance that moves more than a few descriptors it also keeps
/// the online CPUs in a heap ordered by count, so that finding the least
/// loaded CPU for a descriptor that may go anywhere costs O(1) and a move
/// O(log CPUs), not a walk of every CPU.
///
/// Fixed storage for the most shared interrupts a GICv3 distributor can
/// have (988 SPIs and 1024 extended SPIs, 2012 indices; Arm IHI 0069
/// §2.2), rounded up to 2048, held inline: about 17 KiB, never allocated,
/// so no rebalance allocates. As with `CPULoad`, the hot path reads
/// through `mutating` accessors so that Embedded Swift reads in place
/// instead of copying the arrays; the public non-mutating readers make one
/// copy per call, which is fine for tests and reports.
public struct RoutingIndex: Sendable {
    /// The most descriptors an index can hold.
    public static let capacity = 2048

    /// `none` in the link and list arrays, which hold a descriptor index
    /// or CPU number plus one: an all-zero index is empty, so a policy in a
    /// static variable of the image lands in .bss, not .data.
    private static let none: UInt16 = 0

    /// The first descriptor on each CPU's list (plus one).
    private var heads: InlineArray<512, UInt16>
    /// The next descriptor on the same list (plus one).
    private var following: InlineArray<2048, UInt16>
    /// The previous descriptor on the same list (plus one).
    private var preceding: InlineArray<2048, UInt16>
    /// The CPU whose list holds each descriptor (plus one).
    private var listedOn: InlineArray<2048, UInt16>
    /// One bit per descriptor: movable with a broken affinity.
    private var brokenBits: InlineArray<32, UInt64>
    /// The length of each CPU's list.
    private var counts: CPULoad

    /// During one rebalance, the online CPUs as a binary min-heap ordered by
    /// (list length, CPU number): the least loaded online CPU, lowest number
    /// on a tie, is `heap[0]`, and each move re-sorts two entries. This is
    /// what keeps a move from costing a walk of every CPU when the
    /// descriptor may go to any online CPU (the default mask).
    private var heap: InlineArray<512, UInt16>
    /// Each CPU's slot in `heap`, plus one; 0 when it is not in the heap.
    private var heapSlot: InlineArray<512, UInt16>
    /// The number of CPUs in `heap`; 0 until it is built, and outside a
    /// rebalance.
    private var heapCount: Int
    /// The CPUs the heap is for during this rebalance, and whether one is
    /// wanted at all (between `trackLeastLoaded` and
    /// `stopTrackingLeastLoaded`).
    private var heapCPUs: CPUMask
    private var heapWanted: Bool
    /// Least-loaded queries answered by a walk this rebalance: the heap is
    /// built only on the `walksBeforeHeap + 1`-th, so that an event that
    /// moves a few descriptors, or none, does not pay for building it.
    private var walksThisEvent: Int
    private static let walksBeforeHeap = 4

    /// The number of descriptors with a broken affinity.
    public private(set) var brokenCount: Int

    /// The store's `routingGeneration` this index corresponds to; `nil` when
    /// it was never built or the store keeps no generation (then it is
    /// never current).
    public var generation: UInt64? {
        hasGeneration ? generationValue : nil
    }
    /// `generation`, stored as two fields that are zero when empty (an
    /// optional's `nil` is not all zeros).
    private var generationValue: UInt64
    private var hasGeneration: Bool

    /// The number of descriptors of the store it was built from.
    public private(set) var descriptorCount: Int

    /// An empty index, current for no store.
    public init() {
        heads = InlineArray(repeating: RoutingIndex.none)
        following = InlineArray(repeating: RoutingIndex.none)
        preceding = InlineArray(repeating: RoutingIndex.none)
        listedOn = InlineArray(repeating: RoutingIndex.none)
        brokenBits = InlineArray(repeating: 0)
        counts = CPULoad()
        heap = InlineArray(repeating: 0)
        heapSlot = InlineArray(repeating: 0)
        heapCount = 0
        heapCPUs = CPUMask()
        heapWanted = false
        walksThisEvent = 0
        brokenCount = 0
        generationValue = 0
        hasGeneration = false
        descriptorCount = 0
    }

    // MARK: Keeping current

    /// Whether the index describes `store` as it is now.
    public func isCurrent<Store: DescriptorStore>(for store: Store) -> Bool {
        var index = self
        return index.isCurrentInPlace(for: store)
    }

    /// `isCurrent(for:)` without copying the index first; `mutating` only
    /// for that (see the type's comment).
    mutating func isCurrentInPlace<Store: DescriptorStore>(for store: Store) -> Bool {
        guard hasGeneration, let now = store.routingGeneration else { return false }
        return now == generationValue && store.count == descriptorCount
    }

    /// Recounts `store` from scratch: one visit per descriptor, under its
    /// lock. Lists come out in INTID order. The generation is read first, so
    /// a change made during the walk makes the next check fail.
    ///
    /// - Precondition: `store.count <= RoutingIndex.capacity`.
    public mutating func rebuild<Store: DescriptorStore>(from store: Store) {
        precondition(store.count <= RoutingIndex.capacity, "RoutingIndex: more descriptors than a GICv3 has")
        stopTrackingLeastLoaded()
        hasGeneration = false
        if let now = store.routingGeneration {
            generationValue = now
            hasGeneration = true
        }
        descriptorCount = store.count
        for cpu in 0 ..< CPUMask.capacity {
            heads[cpu] = RoutingIndex.none
        }
        for word in 0 ..< RoutingIndex.capacity / 64 {
            brokenBits[word] = 0
        }
        brokenCount = 0
        counts.reset()
        // Backwards, each pushed at the head: lists in ascending order.
        var position = store.count - 1
        while position >= 0 {
            let state = store.withDescriptor(at: position) { RoutingState($0) }
            listedOn[position] = RoutingIndex.none
            if state.isMovable, let cpu = state.destination, cpu.index >= 0, cpu.index < CPUMask.capacity {
                push(position, onto: cpu)
            }
            setBroken(position, state.isMovable && state.affinityBroken)
            position -= 1
        }
    }

    /// Makes the index current for no store, so the next check recounts.
    public mutating func invalidate() {
        hasGeneration = false
    }

    /// One routing change made by the policy itself through the store: the
    /// store's generation advanced by one, and so does the index's.
    @inline(__always)
    mutating func noteOwnChange() {
        generationValue &+= 1
    }

    // MARK: Reading in place (the policy's hot path)

    /// The first descriptor on `cpu`'s list.
    @inline(__always)
    mutating func first(on cpu: LogicalCPU) -> Int? {
        RoutingIndex.decode(heads[cpu.index])
    }

    /// The descriptor after `position` on its list.
    @inline(__always)
    mutating func next(after position: Int) -> Int? {
        RoutingIndex.decode(following[position])
    }

    /// The CPU whose list holds `position`.
    @inline(__always)
    mutating func list(of position: Int) -> LogicalCPU? {
        RoutingIndex.decode(listedOn[position]).map(LogicalCPU.init)
    }

    /// The length of `cpu`'s list.
    @inline(__always)
    mutating func count(of cpu: LogicalCPU) -> Int {
        counts.count(of: cpu)
    }

    /// The CPU of `mask ∩ online` with the shortest list, the
    /// lowest-numbered one on a tie; `nil` when there is none. When the heap
    /// tracks `online` and `mask` holds all of it, that is the top of the
    /// heap; otherwise a walk of `mask ∩ online`.
    ///
    /// - Precondition: if the heap is tracking, it tracks exactly `online`.
    @inline(__always)
    mutating func leastLoaded(of mask: CPUMask, online: CPUMask) -> LogicalCPU? {
        if heapWanted && !online.isEmpty && online.isSubset(of: mask) {
            if heapCount == 0 {
                if walksThisEvent < RoutingIndex.walksBeforeHeap {
                    walksThisEvent += 1
                    return counts.leastLoadedInPlace(in: online)
                }
                buildHeap()
            }
            return LogicalCPU(Int(heap[0]))
        }
        return counts.leastLoadedInPlace(in: mask.intersection(online))
    }

    /// Bits `64 * word ..< 64 * word + 64` of the broken set.
    @inline(__always)
    mutating func brokenWord(_ word: Int) -> UInt64 {
        brokenBits[word]
    }

    /// The imbalance of the `online` CPUs' list lengths.
    mutating func imbalance(online: CPUMask) -> LoadImbalance {
        LoadImbalance(load: &counts, online: online)
    }

    // MARK: The least loaded online CPU

    /// Starts a rebalance over the `online` CPUs: the heap of them is built
    /// when the queries show it pays (O(number of online CPUs) then).
    mutating func trackLeastLoaded(among online: CPUMask) {
        stopTrackingLeastLoaded()
        heapCPUs = online
        heapWanted = true
    }

    /// Fills the heap with `heapCPUs`.
    private mutating func buildHeap() {
        let online = heapCPUs
        for cpu in online {
            heap[heapCount] = UInt16(cpu.index)
            heapSlot[cpu.index] = UInt16(heapCount + 1)
            heapCount += 1
        }
        var slot = heapCount / 2 - 1
        while slot >= 0 {
            siftDown(slot)
            slot -= 1
        }
    }

    /// Empties the heap; moves no longer keep it.
    mutating func stopTrackingLeastLoaded() {
        for slot in 0 ..< heapCount {
            heapSlot[Int(heap[slot])] = 0
        }
        heapCount = 0
        heapWanted = false
        walksThisEvent = 0
    }

    /// Whether the CPU in heap slot `a` comes before the one in slot `b`:
    /// a shorter list, or the same length and a lower number.
    @inline(__always)
    private mutating func precedes(_ a: Int, _ b: Int) -> Bool {
        let first = LogicalCPU(Int(heap[a]))
        let second = LogicalCPU(Int(heap[b]))
        let firstCount = counts.count(of: first)
        let secondCount = counts.count(of: second)
        return firstCount < secondCount || (firstCount == secondCount && first.index < second.index)
    }

    private mutating func swapSlots(_ a: Int, _ b: Int) {
        let cpuA = heap[a]
        let cpuB = heap[b]
        heap[a] = cpuB
        heap[b] = cpuA
        heapSlot[Int(cpuB)] = UInt16(a + 1)
        heapSlot[Int(cpuA)] = UInt16(b + 1)
    }

    private mutating func siftUp(_ start: Int) {
        var slot = start
        while slot > 0 {
            let parent = (slot - 1) / 2
            guard precedes(slot, parent) else { return }
            swapSlots(slot, parent)
            slot = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var slot = start
        while true {
            var first = slot
            let left = 2 * slot + 1
            if left < heapCount && precedes(left, first) { first = left }
            if left + 1 < heapCount && precedes(left + 1, first) { first = left + 1 }
            guard first != slot else { return }
            swapSlots(slot, first)
            slot = first
        }
    }

    /// Re-sorts `cpu` in the heap after its count went up or down.
    private mutating func countChanged(_ cpu: Int, grew: Bool) {
        let stored = heapSlot[cpu]
        guard stored != 0 else { return }
        if grew {
            siftDown(Int(stored) - 1)
        } else {
            siftUp(Int(stored) - 1)
        }
    }

    // MARK: Changing

    /// Moves `position` from whatever list holds it to `cpu`'s.
    mutating func relocate(_ position: Int, to cpu: LogicalCPU) {
        unlink(position)
        push(position, onto: cpu)
    }

    /// Records whether `position` has a broken affinity.
    mutating func setBroken(_ position: Int, _ broken: Bool) {
        let word = position / 64
        let bit = UInt64(1) << UInt64(position % 64)
        let was = brokenBits[word] & bit != 0
        if broken && !was {
            brokenBits[word] |= bit
            brokenCount += 1
        } else if !broken && was {
            brokenBits[word] &= ~bit
            brokenCount -= 1
        }
    }

    /// Takes `position` off the list that holds it, if any.
    private mutating func unlink(_ position: Int) {
        guard let cpu = RoutingIndex.decode(listedOn[position]) else { return }
        let previous = preceding[position]
        let next = following[position]
        if let before = RoutingIndex.decode(previous) {
            following[before] = next
        } else {
            heads[cpu] = next
        }
        if let after = RoutingIndex.decode(next) {
            preceding[after] = previous
        }
        listedOn[position] = RoutingIndex.none
        counts.remove(LogicalCPU(cpu))
        countChanged(cpu, grew: false)
    }

    /// Puts `position`, on no list, at the head of `cpu`'s.
    private mutating func push(_ position: Int, onto cpu: LogicalCPU) {
        let head = heads[cpu.index]
        following[position] = head
        preceding[position] = RoutingIndex.none
        if let first = RoutingIndex.decode(head) {
            preceding[first] = RoutingIndex.encode(position)
        }
        heads[cpu.index] = RoutingIndex.encode(position)
        listedOn[position] = RoutingIndex.encode(cpu.index)
        counts.add(cpu)
        countChanged(cpu.index, grew: true)
    }

    /// A descriptor index or CPU number as stored.
    @inline(__always)
    private static func encode(_ value: Int) -> UInt16 {
        UInt16(truncatingIfNeeded: value + 1)
    }

    /// A stored descriptor index or CPU number; `nil` for `none`.
    @inline(__always)
    private static func decode(_ stored: UInt16) -> Int? {
        stored == none ? nil : Int(stored) - 1
    }

    // MARK: Reading (one copy per call)

    /// The per-CPU list lengths: the movable descriptors delivered to each CPU.
    public var load: CPULoad { counts }

    /// The descriptors on `cpu`'s list, in list order.
    public func forEachDescriptor(on cpu: LogicalCPU, _ body: (Int) -> Void) {
        var index = self
        var cursor = index.first(on: cpu)
        while let position = cursor {
            body(position)
            cursor = index.next(after: position)
        }
    }

    /// Whether the index holds `position` as movable with a broken affinity.
    public func isBroken(_ position: Int) -> Bool {
        var index = self
        return index.brokenWord(position / 64) & (UInt64(1) << UInt64(position % 64)) != 0
    }

    /// The CPU whose list holds `position`, if any.
    public func cpu(listing position: Int) -> LogicalCPU? {
        var index = self
        return index.list(of: position)
    }
}
