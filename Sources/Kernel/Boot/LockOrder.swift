/// The kernel's locks, in the order they may be taken (outer first). A lock
/// may be taken while holding only locks listed above it; no code takes two
/// locks of the same rank at once.
///
/// 1. `Hotplug.busy` — an atomic flag, not a spin lock: one CPU up/down
///    operation at a time. Held for milliseconds, with interrupts enabled.
/// 2. `InterruptMigration.routingLock` — serialises routing decisions: a
///    whole rebalance pass, or one set-affinity (load snapshot and write).
///    Not taken on the interrupt path.
/// 3. A descriptor lock (`InterruptDescriptors`, one per SPI/eSPI) — guards
///    that descriptor and its `GICD_IROUTER` write. Taken one at a time,
///    never two together. Never held while a handler runs.
/// 4. `CPUs.lock` — guards the online mask. Taken briefly to snapshot or
///    change it.
/// 5. `Console.lock` — guards the UART transmitter; taken last, for one line.
///    The fault path may bypass it (`Console.emergencyLine`).
///
/// Every spin lock masks interrupts on its CPU while held (`SpinLock`), so
/// an interrupt handler can never wait for a lock its own CPU holds.
///
/// The heap (boot/runtime.c) has its own lock, a leaf below all of these;
/// nothing on the interrupt path allocates.
enum LockOrder {}
