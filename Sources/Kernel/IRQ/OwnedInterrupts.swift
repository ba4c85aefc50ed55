/// The shared interrupts the kernel claims at boot — Xen's "interrupts Xen
/// itself uses" — and the few it marks as a guest's.
///
/// - the PL011 receive interrupt and the PL031 alarm (from the device tree),
///   real device interrupts with handlers;
/// - test SPIs at the top of the SPI range (above every device QEMU's virt
///   machine wires up), fired with `GICD_ISPENDR`;
/// - four guest-bound SPIs just below them: routed, enabled, no handler of
///   ours. Both policies must leave them alone; their `GICD_IROUTER` values
///   are recorded here so the checks can prove it.
enum OwnedInterrupts {
    // All five are written only by `claim()`, on the boot CPU, before any
    // firing, check or console command reads them; read-only afterwards.
    nonisolated(unsafe) static var test: [InterruptID] = []
    nonisolated(unsafe) static var guestBound: [InterruptID] = []
    /// `GICD_IROUTER` of each guest-bound SPI as set at boot.
    nonisolated(unsafe) static var guestRouting: [UInt64] = []
    nonisolated(unsafe) static var uart: InterruptID?
    nonisolated(unsafe) static var rtc: InterruptID?

    /// Every interrupt with a handler of ours that the kernel can fire.
    static var fireable: [InterruptID] {
        var ids = test
        if let rtc { ids.append(rtc) }
        return ids
    }

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

        let distributor = machine.distributor
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

        let limit = distributor.type.spiLimit
        let testCount = min(max(32, 2 * machine.cpuCount), distributor.type.spiCount / 2)
        test = []
        for offset in 0 ..< testCount {
            let id = InterruptID(limit - UInt32(testCount - 1 - offset))
            claim(id, handler: .test, edgeTriggered: true)
            test.append(id)
        }
        guestBound = []
        guestRouting = []
        for offset in 0 ..< 4 {
            let id = InterruptID(limit - UInt32(testCount + 4 - offset) + 1)
            let cpu = LogicalCPU(offset % machine.cpuCount)
            distributor.configure(id, edgeTriggered: true)
            store.withDescriptor(for: id) { descriptor in
                descriptor.status.insert(.guestBound)
                descriptor.status.insert(.enabled)
                descriptor.effectiveTarget = cpu
                distributor.route(id, to: machine.affinity(of: cpu))
            }
            distributor.enable(id)
            guestBound.append(id)
            guestRouting.append(distributor.routing(of: id).registerValue)
        }
    }

    private static func claim(_ id: InterruptID, handler: InterruptHandler, edgeTriggered: Bool) {
        let distributor = Machine.current.distributor
        distributor.configure(id, edgeTriggered: edgeTriggered)
        SharedInterrupts.setHandler(handler, for: id)
        InterruptDescriptors.store.withDescriptor(for: id) { $0.status.insert(.enabled) }
        distributor.enable(id)
    }

    /// Makes `id` pending the way its device would: the RTC through its
    /// match register, any other through `GICD_ISPENDR`. Counted as fired.
    /// False (nothing done) while the previous firing is still in flight.
    @discardableResult
    static func fire(_ id: InterruptID) -> Bool {
        guard SharedInterrupts.claimFiring(id) else { return false }
        InterruptCounters.recordFired(id)
        if id == rtc, let device = RealTimeClock.device {
            device.raiseAlarm()
        } else {
            Machine.current.distributor.setPending(id)
        }
        return true
    }

    /// Fires every fireable interrupt once (those not still in flight) and
    /// waits (bounded) until each has been handled as often as fired.
    static func fireAllAndWait() -> Bool {
        let ids = fireable
        for id in ids { fire(id) }
        return Deadline.wait(milliseconds: 1000, for: .otherCPUs) {
            for id in ids where InterruptCounters.handledCount(id) != InterruptCounters.firedCount(id) {
                return false
            }
            return true
        }
    }
}
