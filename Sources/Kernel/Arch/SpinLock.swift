import HotplugCore
import Builtin
import Synchronization

/// A spin lock (compare-and-swap on one word) that owns the data it guards
/// and masks interrupts on this CPU while held (Xen's `spin_lock_irqsave`),
/// so a holder can never be interrupted by a handler that wants the same
/// lock on the same CPU. The data is reachable only inside `withLock`, so
/// reading it without the lock does not compile.
///
/// The lock word is an `Atomic`, compiled to LDAXR/STLXR; exclusives are
/// architecturally defined only on Normal cacheable memory, so locks taken
/// by more than one CPU are used only once the MMU is on (the platform turns
/// it on before the first secondary starts).
///
/// The data is stored inline (`LockedStorage`), not on the heap: the
/// console's lock is first taken before the image is known to lie in RAM,
/// where nothing may allocate.
///
/// Every lock in the kernel is listed, with its order and what it guards, in
/// `Sources/Kernel/Boot/LockOrder.swift`.
struct SpinLock<Value: ~Copyable>: ~Copyable {
    private let word = Atomic<UInt32>(0)
    private let storage: LockedStorage<Value>

    init(_ initialValue: consuming Value) {
        storage = LockedStorage(initialValue)
    }

    /// Runs `body` on the data with the lock held and interrupts masked,
    /// then restores the caller's interrupt mask.
    @inline(__always)
    func withLock<Result>(_ body: (inout Value) -> Result) -> Result {
        let savedMask = LockWord.acquire(word)
        let result = body(&storage.address.pointee)
        LockWord.release(word, restoring: savedMask)
        return result
    }

    /// Takes the lock only if it is free; the console uses this from the
    /// fault path, where the lock's holder may be the CPU that faulted.
    @inline(__always)
    func tryWithLock<Result>(_ body: (inout Value) -> Result) -> Result? {
        let savedMask = arch_read_daif()
        arch_mask_interrupts()
        guard word.compareExchange(expected: 0, desired: 1, ordering: .acquiring).exchanged else {
            arch_write_daif(savedMask)
            return nil
        }
        let result = body(&storage.address.pointee)
        LockWord.release(word, restoring: savedMask)
        return result
    }

    /// Runs `body` on the data without the lock: only for the fault path,
    /// once `tryWithLock` has failed. The holder may be this very CPU,
    /// interrupted inside `withLock`, and would never release the lock; a
    /// report that must come out then races the holder instead (Linux's
    /// `bust_spinlocks` makes the same trade for its oops output).
    @inline(__always)
    func bypassingLock<Result>(_ body: (inout Value) -> Result) -> Result {
        body(&storage.address.pointee)
    }
}

/// A lock is shared between CPUs by design: its data is only ever reached
/// through the lock (or the fault path's `bypassingLock`).
extension SpinLock: @unchecked Sendable where Value: ~Copyable {}

/// The acquire and release of a lock word, shared by every lock in the
/// kernel: `SpinLock`, and the per-descriptor locks of an `AtomicTable`.
enum LockWord {
    /// Masks interrupts, then spins until `word` goes from 0 to 1. Returns
    /// the caller's interrupt mask for `release`.
    @inline(__always)
    static func acquire(_ word: borrowing Atomic<UInt32>) -> UInt64 {
        let savedMask = arch_read_daif()
        arch_mask_interrupts()
        while !word.compareExchange(expected: 0, desired: 1, ordering: .acquiring).exchanged {
            while word.load(ordering: .relaxed) != 0 {}
        }
        return savedMask
    }

    @inline(__always)
    static func release(_ word: borrowing Atomic<UInt32>, restoring savedMask: UInt64) {
        word.store(0, ordering: .releasing)
        arch_write_daif(savedMask)
    }
}

/// Inline storage for a lock's data, at a fixed address for as long as the
/// lock exists, so that `withLock` can hand out `inout` access through a
/// shared (`let`) lock. Laid out like `Value` (`@_rawLayout`), the way the
/// standard library's `Mutex` keeps its value; `@_staticExclusiveOnly`
/// keeps it out of `var`s, whose copies would move it.
@_rawLayout(like: Value, movesAsLike)
@_staticExclusiveOnly
private struct LockedStorage<Value: ~Copyable>: ~Copyable {
    init(_ initialValue: consuming Value) {
        address.initialize(to: initialValue)
    }

    deinit {
        address.deinitialize(count: 1)
    }

    @inline(__always)
    var address: UnsafeMutablePointer<Value> {
        UnsafeMutablePointer<Value>(Builtin.addressOfRawLayout(self))
    }
}
