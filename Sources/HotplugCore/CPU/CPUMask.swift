/// A set of logical CPUs with room for `CPUMask.capacity` of them, held in
/// eight 64-bit words inline (no heap), bit `n % 64` of word `n / 64` standing
/// for `LogicalCPU(n)`.
///
/// This is the shape of Linux's and Xen's `cpumask_t`: routing policies pick a
/// target CPU from a mask of online CPUs, and hotplug takes a CPU out of it.
/// The capacity is 512 because that is the most CPUs QEMU's `virt` machine
/// accepts with a GICv3.
///
/// Indices outside `0 ..< capacity` are never members: `contains` answers
/// `false` for them and the queries (`next(afterIndex:)`, `cycle(afterIndex:)`)
/// treat them as positions before or after every member. Only `insert` and
/// `remove` require an index in range, because silently dropping a CPU from a
/// routing set would hide a bug.
public struct CPUMask: Equatable, Sendable, Sequence {
    /// The number of CPUs a mask can hold.
    public static let capacity = 512

    /// Bits per storage word.
    static let bitsPerWord = 64

    /// Storage words; the count is spelt out because `InlineArray` takes a
    /// literal (`capacity / bitsPerWord`).
    static let wordCount = 8

    var words: InlineArray<8, UInt64>

    /// The empty mask.
    public init() {
        words = InlineArray(repeating: 0)
    }

    /// The empty mask.
    public static var empty: CPUMask { CPUMask() }

    /// The mask holding only `cpu`.
    ///
    /// - Precondition: `cpu.index` is in `0 ..< CPUMask.capacity`.
    public init(single cpu: LogicalCPU) {
        self.init()
        insert(cpu)
    }

    /// The mask holding every CPU of `cpus`; duplicates are harmless.
    ///
    /// - Precondition: every index is in `0 ..< CPUMask.capacity`.
    public init<S: Sequence>(_ cpus: S) where S.Element == LogicalCPU {
        self.init()
        for cpu in cpus {
            insert(cpu)
        }
    }

    /// CPUs `0 ..< count`: the mask of a machine with `count` CPUs.
    ///
    /// - Precondition: `0 <= count <= CPUMask.capacity`.
    public static func all(upTo count: Int) -> CPUMask {
        precondition(count >= 0 && count <= capacity, "CPUMask.all: CPU count out of range")
        var mask = CPUMask()
        if count > 0 {
            mask.insertRange(0, count - 1)
        }
        return mask
    }

    // MARK: Membership

    /// Whether `index` can name a member.
    @inline(__always)
    static func isValid(_ index: Int) -> Bool {
        index >= 0 && index < capacity
    }

    /// Whether `cpu` is a member; `false` for an index outside the capacity.
    public func contains(_ cpu: LogicalCPU) -> Bool {
        let index = cpu.index
        guard index >= 0 && index < CPUMask.capacity else { return false }
        return words[index / CPUMask.bitsPerWord] & (1 << UInt64(index % CPUMask.bitsPerWord)) != 0
    }

    /// Adds `cpu`.
    ///
    /// - Precondition: `cpu.index` is in `0 ..< CPUMask.capacity`; a CPU the
    ///   mask cannot hold is a caller bug, not something to drop quietly.
    public mutating func insert(_ cpu: LogicalCPU) {
        let index = cpu.index
        precondition(CPUMask.isValid(index), "CPUMask.insert: CPU index out of range")
        words[index / CPUMask.bitsPerWord] |= 1 << UInt64(index % CPUMask.bitsPerWord)
    }

    /// Removes `cpu`; removing a CPU that is not a member does nothing.
    ///
    /// - Precondition: `cpu.index` is in `0 ..< CPUMask.capacity`.
    public mutating func remove(_ cpu: LogicalCPU) {
        let index = cpu.index
        precondition(CPUMask.isValid(index), "CPUMask.remove: CPU index out of range")
        words[index / CPUMask.bitsPerWord] &= ~(1 << UInt64(index % CPUMask.bitsPerWord))
    }

    /// Adds CPUs `lower ... upper`, a word at a time.
    ///
    /// - Precondition: `0 <= lower <= upper < CPUMask.capacity`.
    mutating func insertRange(_ lower: Int, _ upper: Int) {
        precondition(lower >= 0 && lower <= upper && upper < CPUMask.capacity,
                     "CPUMask.insertRange: bounds out of range")
        let firstWord = lower / CPUMask.bitsPerWord
        let lastWord = upper / CPUMask.bitsPerWord
        for word in firstWord ... lastWord {
            // Bits of this word that fall inside the range.
            let low = word == firstWord ? lower % CPUMask.bitsPerWord : 0
            let high = word == lastWord ? upper % CPUMask.bitsPerWord : CPUMask.bitsPerWord - 1
            let fromLow = UInt64.max << UInt64(low)
            let toHigh = UInt64.max >> UInt64(CPUMask.bitsPerWord - 1 - high)
            words[word] |= fromLow & toHigh
        }
    }

    // MARK: Counting and ends

    /// The number of members.
    public var count: Int {
        var total = 0
        for word in 0 ..< CPUMask.wordCount {
            total += words[word].nonzeroBitCount
        }
        return total
    }

    /// Whether there are no members.
    public var isEmpty: Bool {
        for word in 0 ..< CPUMask.wordCount where words[word] != 0 {
            return false
        }
        return true
    }

    /// The lowest-numbered member.
    public var first: LogicalCPU? {
        next(afterIndex: -1)
    }

    /// The highest-numbered member.
    public var last: LogicalCPU? {
        var word = CPUMask.wordCount - 1
        while word >= 0 {
            let bits = words[word]
            if bits != 0 {
                return LogicalCPU(word * CPUMask.bitsPerWord + CPUMask.bitsPerWord - 1 - bits.leadingZeroBitCount)
            }
            word -= 1
        }
        return nil
    }

    /// The `k`-th member in ascending order, counting from 0; `nil` when
    /// `k` is negative or there are `k` members or fewer.
    public func nth(_ k: Int) -> LogicalCPU? {
        guard k >= 0 else { return nil }
        var remaining = k
        for word in 0 ..< CPUMask.wordCount {
            var bits = words[word]
            let inWord = bits.nonzeroBitCount
            if remaining >= inWord {
                remaining -= inWord
                continue
            }
            // Clear the `remaining` lowest set bits; the wanted one is then lowest.
            while remaining > 0 {
                bits &= bits - 1
                remaining -= 1
            }
            return LogicalCPU(word * CPUMask.bitsPerWord + bits.trailingZeroBitCount)
        }
        return nil
    }

    // MARK: Walking

    /// The lowest member strictly greater than `cpu`, without wrapping.
    public func next(after cpu: LogicalCPU) -> LogicalCPU? {
        next(afterIndex: cpu.index)
    }

    /// The lowest member strictly greater than `index`, without wrapping. Any
    /// `Int` is accepted: a negative index lies before CPU 0, so `-1` gives
    /// the first member.
    public func next(afterIndex index: Int) -> LogicalCPU? {
        // Written to avoid `index + 1`, which would trap for `Int.max`.
        guard index < CPUMask.capacity - 1 else { return nil }
        let start = index < 0 ? 0 : index + 1
        var word = start / CPUMask.bitsPerWord
        var bits = words[word] & (UInt64.max << UInt64(start % CPUMask.bitsPerWord))
        while true {
            if bits != 0 {
                return LogicalCPU(word * CPUMask.bitsPerWord + bits.trailingZeroBitCount)
            }
            word += 1
            if word == CPUMask.wordCount {
                return nil
            }
            bits = words[word]
        }
    }

    /// The next member after `cpu` in round-robin order: the lowest member
    /// strictly greater than `cpu`, else the first member. `cpu` need not be a
    /// member; when it is the only one the answer is `cpu` itself. `nil` only
    /// for the empty mask.
    ///
    /// These are the semantics of Linux's and Xen's `cpumask_cycle`, which
    /// spreads interrupts over the online CPUs one after another.
    public func cycle(after cpu: LogicalCPU) -> LogicalCPU? {
        cycle(afterIndex: cpu.index)
    }

    /// `cycle(after:)` for a cursor held as a plain `Int`: a negative cursor
    /// lies before CPU 0 (so it yields the first member) and one at or past
    /// the capacity wraps to the first member.
    public func cycle(afterIndex index: Int) -> LogicalCPU? {
        next(afterIndex: index) ?? first
    }

    /// The member whose `load` is smallest, the lowest-numbered one on a
    /// tie; `nil` for the empty mask. The one least-loaded search of the
    /// policies, whatever they count (interrupts per CPU, measured rates).
    @inline(__always)
    public func leastLoaded<Load: Comparable>(by load: (LogicalCPU) -> Load) -> LogicalCPU? {
        var best: (cpu: LogicalCPU, load: Load)? = nil
        for cpu in self {
            let candidate = load(cpu)
            if let current = best, !(candidate < current.load) { continue }
            best = (cpu, candidate)
        }
        return best?.cpu
    }

    // MARK: Set algebra

    /// CPUs in both masks.
    public func intersection(_ other: CPUMask) -> CPUMask {
        var result = self
        for word in 0 ..< CPUMask.wordCount {
            result.words[word] &= other.words[word]
        }
        return result
    }

    /// CPUs in either mask.
    public func union(_ other: CPUMask) -> CPUMask {
        var result = self
        for word in 0 ..< CPUMask.wordCount {
            result.words[word] |= other.words[word]
        }
        return result
    }

    /// CPUs in this mask and not in `other`.
    public func subtracting(_ other: CPUMask) -> CPUMask {
        var result = self
        for word in 0 ..< CPUMask.wordCount {
            result.words[word] &= ~other.words[word]
        }
        return result
    }

    /// Whether every member is also a member of `other`.
    public func isSubset(of other: CPUMask) -> Bool {
        for word in 0 ..< CPUMask.wordCount where words[word] & ~other.words[word] != 0 {
            return false
        }
        return true
    }

    /// Whether the masks have no member in common.
    public func isDisjoint(with other: CPUMask) -> Bool {
        for word in 0 ..< CPUMask.wordCount where words[word] & other.words[word] != 0 {
            return false
        }
        return true
    }

    /// `lhs.intersection(rhs)`.
    public static func & (lhs: CPUMask, rhs: CPUMask) -> CPUMask {
        lhs.intersection(rhs)
    }

    /// `lhs.union(rhs)`.
    public static func | (lhs: CPUMask, rhs: CPUMask) -> CPUMask {
        lhs.union(rhs)
    }

    /// `InlineArray` is not `Equatable`, so compare word by word.
    public static func == (lhs: CPUMask, rhs: CPUMask) -> Bool {
        for word in 0 ..< CPUMask.wordCount where lhs.words[word] != rhs.words[word] {
            return false
        }
        return true
    }

    // MARK: Sequence

    /// Walks the members in ascending order, finding each with
    /// `trailingZeroBitCount` and skipping empty words whole.
    public struct Iterator: IteratorProtocol {
        let words: InlineArray<8, UInt64>
        /// Index of the word `remaining` came from.
        var word: Int
        /// The bits of the current word not yet returned.
        var remaining: UInt64

        init(words: InlineArray<8, UInt64>) {
            self.words = words
            word = 0
            remaining = words[0]
        }

        public mutating func next() -> LogicalCPU? {
            while remaining == 0 {
                word += 1
                if word == CPUMask.wordCount {
                    // Stay exhausted on further calls.
                    word -= 1
                    return nil
                }
                remaining = words[word]
            }
            let bit = remaining.trailingZeroBitCount
            remaining &= remaining - 1
            return LogicalCPU(word * CPUMask.bitsPerWord + bit)
        }
    }

    public func makeIterator() -> Iterator {
        Iterator(words: words)
    }

    public var underestimatedCount: Int { count }
}
