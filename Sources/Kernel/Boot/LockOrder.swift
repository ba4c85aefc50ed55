import HotplugCore

/// The kernel's locks, in the order they may be taken (outer first), and
/// what each owns. A lock may be taken while holding only locks listed above
/// it; no code takes two locks of the same rank at once.
///
/// 1. `Hotplug.busy` — an atomic flag, not a spin lock: one CPU up/down
///    operation at a time. Held for milliseconds, with interrupts enabled.
/// 2. `InterruptMigration.routingLock: SpinLock<InterruptMigration.State>` —
///    owns the policy in force and the notes setting, and serialises routing
///    decisions: a whole rebalance pass, or one set-affinity (load snapshot
///    and write). Not taken on the interrupt path, except by the load
///    epoch clock's tick (`LoadEpochClock`), which only tries it
///    (`tryWithLock`) and never waits.
/// 3. A descriptor lock (`LockedDescriptorStore`, one lock word per
///    SPI/eSPI) — guards that descriptor and its `GICD_IROUTER` write. Taken
///    one at a time, never two together. Never held while a handler runs.
/// 3a. `ITS.queueLock` — a lock word (`AtomicTable.withLock`, interrupts
///    masked): one ITS command batch at a time, and the LPI ownership state
///    the batches change (collections, targets, affinities). Taken after the
///    routing lock is released, never with a descriptor lock held, never on
///    the interrupt path; its holder waits only, bounded, on the ITS.
/// 4. `Scheduler.lock: SpinLock<Scheduling>` (the hypervisor image only) —
///    owns where each vCPU is placed and loaded, the guest-bound SPIs'
///    bindings and, by convention, each vCPU's `VirtualInterruptQueue` and
///    saved registers while no pCPU has them loaded. Taken on the interrupt
///    path (a guest-bound SPI, the slice timer) and in idle loops around a
///    guest's entry, never across one; it writes `GICD_IROUTER` of the
///    guest-bound SPIs itself, which no descriptor lock guards (no policy
///    touches them).
/// 5. `CPUs.lock: SpinLock<CPUMask>` — owns the online mask. Taken briefly
///    to snapshot or change it.
/// 6. `Console.lock: SpinLock<ConsoleTransmitter>` — owns where console text
///    goes (the UART's transmit side); taken last, for one line or one
///    echoed character. The fault path may bypass it
///    (`Console.emergencyLine`, `SpinLock.bypassingLock`).
///
/// A `SpinLock` owns its data: the data is reachable only inside
/// `withLock`, so reading it without the lock does not compile. Every spin
/// lock masks interrupts on its CPU while held, so an interrupt handler can
/// never wait for a lock its own CPU holds.
///
/// Shared state outside these locks is of two kinds, each saying so where
/// it is declared: atomics (per-CPU states and mailboxes, counters, flags),
/// and tables set once on the boot CPU before any other CPU runs and only
/// read afterwards (or handed between CPUs through a mailbox's releasing
/// store and acquiring load) — the remaining `nonisolated(unsafe)` statics.
///
/// The heap (boot/runtime.c) has its own lock, a leaf below all of these;
/// nothing on the interrupt path allocates.
enum LockOrder {}
