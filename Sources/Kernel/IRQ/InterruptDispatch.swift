import HotplugCore

/// The IRQ path, from boot/vectors.S with interrupts masked on this CPU.
///
/// Acknowledge (`ICC_IAR1_EL1`), count, run the handler, end the interrupt
/// (`ICC_EOIR1_EL1`); repeat while anything is pending, so one exception
/// entry drains a burst. Nothing here allocates or takes a lock other than
/// the interrupt's own descriptor lock (in `SharedInterrupts`).
///
/// The barriers the architecture asks for live in the accessors, so that no
/// caller can leave them out: a DSB SY after every `ICC_IAR1_EL1` read
/// (`CPUInterface.acknowledge`: the activation is observed by the GIC before
/// the handler touches memory or devices) and an ISB after every
/// `ICC_EOIR1_EL1` write (`CPUInterface.endOfInterrupt`: the priority drop
/// is in effect before the next acknowledge or the unmask on return).
@_cdecl("kernel_irq_entry")
func kernelIRQEntry(_ frame: UnsafeMutableRawPointer) {
    let cpu = CPUs.current
    CPUs.sampledPC[cpu.index] = frame.assumingMemoryBound(to: ExceptionFrame.self).pointee.elr
    while true {
        let id = CPUInterface.acknowledge()
        if id.kind == .special { return }   // 1023: nothing (more) pending
        if id.kind == .lpi {
            ITS.handle(id, on: cpu)
            continue
        }
        KernelHooks.interruptEntered?(id.rawValue, cpu.index)
        InterruptCounters.recordHandled(id, on: cpu)
        #if HYPERVISOR
        if GuestInterrupts.take(id, on: cpu) { continue }
        #endif
        if id.isShared {
            SharedInterrupts.handle(id, on: cpu)
        } else {
            _ = LoadEpochClock.handle(id, on: cpu)
            CPUInterface.endOfInterrupt(id)   // SGIs only wake the idle loop
        }
    }
}

/// SGIs the kernel uses between CPUs.
enum KernelSGI {
    /// "Look at your request mailbox": wakes a CPU from WFI.
    static let wake = InterruptID(0)
}
