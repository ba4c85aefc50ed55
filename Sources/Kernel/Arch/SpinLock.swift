import Synchronization

/// A spin lock on one atomic word (exchange until it was free) that masks interrupts on this CPU while held
/// (Xen's `spin_lock_irqsave`), so a holder can never be interrupted by a
/// handler that wants the same lock on the same CPU.
///
/// The lock word is an `Atomic`, compiled to LDAXR/STLXR; exclusives are
/// architecturally defined only on Normal cacheable memory, so locks taken
/// by more than one CPU are used only once the MMU is on (the platform turns
/// it on before the first secondary starts).
///
/// Every lock in the kernel is listed, with its order, in
/// `Sources/Kernel/Boot/LockOrder.swift`.
struct SpinLock: ~Copyable {
    private let word = Atomic<UInt32>(0)

    init() {}

    /// Runs `body` with the lock held and interrupts masked, then restores
    /// the caller's interrupt mask.
    @inline(__always)
    func withLock<Result>(_ body: () -> Result) -> Result {
        let savedMask = SpinLock.acquire(word)
        let result = body()
        SpinLock.release(word, restoring: savedMask)
        return result
    }

    /// Takes the lock only if it is free; the console uses this from the
    /// fault path, where the lock's holder may be the CPU that faulted.
    @inline(__always)
    func tryWithLock<Result>(_ body: () -> Result) -> Result? {
        let savedMask = arch_read_daif()
        arch_mask_interrupts()
        guard word.compareExchange(expected: 0, desired: 1, ordering: .acquiring).exchanged else {
            arch_write_daif(savedMask)
            return nil
        }
        let result = body()
        SpinLock.release(word, restoring: savedMask)
        return result
    }

    /// Masks interrupts, then spins until `word` goes from 0 to 1. Returns
    /// the caller's interrupt mask for `release`. Shared by every lock word
    /// in the kernel (this type, and the per-descriptor locks in an
    /// `AtomicTable`).
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
