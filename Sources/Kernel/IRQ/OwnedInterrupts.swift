import HotplugCore

/// The shared interrupts of the kernel's own devices — Xen's "interrupts
/// Xen itself uses": the PL011 receive interrupt and the PL031 alarm (from
/// the device tree), real device interrupts with handlers.
enum OwnedInterrupts {
    // Both are written only by `claim()`, on the boot CPU, before any
    // firing, check or console command reads them; read-only afterwards.
    nonisolated(unsafe) static var uart: InterruptID?
    nonisolated(unsafe) static var rtc: InterruptID?

    /// Sets every descriptor's target to what its `GICD_IROUTER` says and
    /// its requested affinity to every CPU, then claims the interrupts
    /// above. Boot CPU, before the first rebalance.
    static func claim() {
        let machine = Machine.current!
        let store = InterruptDescriptors.store!
        let everyCPU = CPUMask.all(upTo: machine.cpuCount)
        for index in 0 ..< store.count {
            store.withDescriptor(at: index) { descriptor in
                descriptor.requestedAffinity = everyCPU
                descriptor.effectiveTarget = machine.routedCPU(of: descriptor.id)
            }
        }

        let uartInterrupt = machine.platform.uart.interrupt
        if uartInterrupt.isShared {
            uart = uartInterrupt
            claim(uartInterrupt, handler: .uartReceive, edgeTriggered: false)
            machine.uart.enableReceiveInterrupts()
        }
        if let rtcDescription = machine.platform.rtc, rtcDescription.interrupt.isShared {
            let device = PL031(registers: MMIORegion(base: rtcDescription.registers.base))
            RealTimeClock.device = device
            rtc = rtcDescription.interrupt
            claim(rtcDescription.interrupt, handler: .rtcAlarm, edgeTriggered: false)
            device.enableAlarmInterrupt()
        }
    }

    /// Configures `id`'s trigger, gives it `handler` and enables it, in the
    /// table and at the distributor.
    static func claim(_ id: InterruptID, handler: InterruptHandler, edgeTriggered: Bool) {
        let distributor = Machine.current.distributor
        distributor.configure(id, edgeTriggered: edgeTriggered)
        SharedInterrupts.setHandler(handler, for: id)
        InterruptDescriptors.store.withDescriptor(for: id) { $0.status.insert(.enabled) }
        distributor.enable(id)
    }
}
