/// The IRQ path, from boot/vectors.S with interrupts masked on this CPU.
///
/// Acknowledge (`ICC_IAR1_EL1`), count, run the handler, end the interrupt
/// (`ICC_EOIR1_EL1`); repeat while anything is pending, so one exception
/// entry drains a burst. Nothing here allocates or takes a lock other than
/// the interrupt's own descriptor lock (in `SharedInterrupts`).
@_cdecl("kernel_irq_entry")
func kernelIRQEntry(_ frame: UnsafeMutableRawPointer) {
    let cpu = CPUs.current
    CPUs.sampledPC[cpu.index] = frame.load(fromByteOffset: ExceptionFrame.linkRegisterOffset, as: UInt64.self)
    while true {
        let id = CPUInterface.acknowledge()
        if id.kind == .special { return }   // 1023: nothing (more) pending
        InterruptCounters.recordHandled(id, on: cpu)
        if id.isShared {
            SharedInterrupts.handle(id, on: cpu)
        } else {
            CPUInterface.endOfInterrupt(id)   // SGIs only wake the idle loop
        }
    }
}

/// SGIs the kernel uses between CPUs.
enum KernelSGI {
    /// "Look at your request mailbox": wakes a CPU from WFI.
    static let wake = InterruptID(0)
}
