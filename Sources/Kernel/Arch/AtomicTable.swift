import HotplugCore
import Synchronization

/// A fixed table of 32-bit atomics, allocated once at boot: per-CPU states,
/// mailboxes and per-CPU-per-INTID counters. Each entry is independently
/// atomic; the table itself never changes size, so no lock guards it.
struct AtomicTable {
    private let entries: UnsafeMutablePointer<Atomic<UInt32>>
    let count: Int

    init(count: Int) {
        self.count = count
        entries = UnsafeMutablePointer<Atomic<UInt32>>.allocate(capacity: max(count, 1))
        for index in 0 ..< count {
            (entries + index).initialize(to: Atomic<UInt32>(0))
        }
    }

    @inline(__always)
    func load(_ index: Int) -> UInt32 {
        entries[index].load(ordering: .acquiring)
    }

    @inline(__always)
    func store(_ index: Int, _ value: UInt32) {
        entries[index].store(value, ordering: .releasing)
    }

    @inline(__always)
    func increment(_ index: Int) {
        entries[index].wrappingAdd(1, ordering: .relaxed)
    }

    /// Replaces `expected` with `desired`; false if the entry held another value.
    @inline(__always)
    func replace(_ index: Int, expected: UInt32, desired: UInt32) -> Bool {
        entries[index].compareExchange(expected: expected, desired: desired, ordering: .acquiringAndReleasing).exchanged
    }

    /// Swaps in `value` and returns what was there.
    @inline(__always)
    func exchange(_ index: Int, _ value: UInt32) -> UInt32 {
        entries[index].exchange(value, ordering: .acquiringAndReleasing)
    }

    /// Uses entry `index` as a spin lock word (see `LockWord`): runs `body`
    /// with it held and interrupts masked on this CPU.
    @inline(__always)
    func withLock<Result>(_ index: Int, _ body: () -> Result) -> Result {
        let savedMask = LockWord.acquire(entries[index])
        let result = body()
        LockWord.release(entries[index], restoring: savedMask)
        return result
    }
}

/// A tally any CPU may advance (route writes, routing changes): one 64-bit
/// atomic. It orders nothing else: what it counts is ordered by the locks
/// held around it, so additions are relaxed.
struct EventCounter: ~Copyable {
    private let value = Atomic<UInt64>(0)

    init() {}

    @inline(__always)
    func add(_ amount: Int = 1) {
        value.wrappingAdd(UInt64(amount), ordering: .relaxed)
    }

    var count: Int {
        Int(truncatingIfNeeded: value.load(ordering: .relaxed))
    }
}
