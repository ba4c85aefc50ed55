import HotplugCore

/// A function a layer above the kernel proper hands the kernel to run on a
/// CPU, given that CPU's logical number. A C function pointer: it captures
/// nothing, so storing and calling it allocate nothing, on any path.
typealias CPUFunction = @convention(c) (_ cpu: Int) -> Void

/// A function a layer above the kernel proper hands the IRQ path: given the
/// INTID just acknowledged and the CPU's logical number. A C function
/// pointer, as `CPUFunction`, so calling it allocates nothing.
typealias InterruptEntryFunction = @convention(c) (_ intid: UInt32, _ cpu: Int) -> Void

/// The points of a CPU's life cycle where a layer above the kernel proper
/// may add work without the kernel knowing what it is (the idle loop's are
/// `IdleWork`, the firmware's `PSCIFirmware.interposer`). Each is nil unless
/// installed.
///
/// Installed on the boot CPU before the first CPU that could run them does:
/// before any secondary starts, or before the hotplug request that leads
/// there (its mailbox store releases, the CPU's exchange acquires). Only
/// read afterwards, which is why plain statics are sound.
enum KernelHooks {
    /// On a CPU that PSCI CPU_ON started, first thing, before it joins. It
    /// need not return.
    nonisolated(unsafe) static var cpuStarting: CPUFunction?
    /// On the dying CPU, its interrupts masked and its CPU interface's
    /// group 1 off, before it leaves the online mask: what is made pending
    /// on it now must be moved by the migration, not lost.
    nonisolated(unsafe) static var cpuLeaving: CPUFunction?
    /// On the IRQ path, right after an SGI, PPI or SPI is acknowledged and
    /// before its handler runs, interrupts masked. It must not allocate,
    /// take a lock or print. Installed and removed only while no interrupt
    /// it could see is in flight; a stale read sees the old function or nil.
    nonisolated(unsafe) static var interruptEntered: InterruptEntryFunction?
}
