import HotplugCore

/// The interrupts the console and the jobs fire and watch, claimed beside
/// the kernel's own (`OwnedInterrupts`):
///
/// - test SPIs at the top of the SPI range (above every device QEMU's virt
///   machine wires up), fired with `GICD_ISPENDR`, handled by counting only
///   (`InterruptHandler.countOnly`);
/// - guest-bound SPIs just below them: routed, enabled, no handler of
///   ours. Both policies must leave them alone; their `GICD_IROUTER` values
///   are recorded here so the checks can prove it. Four of them, with no
///   guest behind them, in the EL1 image; in the hypervisor two per vCPU,
///   each bound to one (`GuestInterruptChecks`), routed where it runs.
///
/// The RTC alarm is fired too, through its device.
enum TestInterrupts {
    // All three are written only by `claim()`, on the boot CPU, before any
    // firing, check or console command reads them; read-only afterwards.
    nonisolated(unsafe) static var spis: [InterruptID] = []
    nonisolated(unsafe) static var guestBound: [InterruptID] = []
    /// `GICD_IROUTER` of each guest-bound SPI as set at boot.
    nonisolated(unsafe) static var guestRouting: [UInt64] = []

    /// Every interrupt with a handler of ours that software can fire.
    static var fireable: [InterruptID] {
        var ids = spis
        if let rtc = OwnedInterrupts.rtc { ids.append(rtc) }
        return ids
    }

    /// Interrupts with a handler of ours: the fireable ones and the UART's.
    static var countWithHandlers: Int {
        fireable.count + (OwnedInterrupts.uart == nil ? 0 : 1)
    }

    /// The kernel's own interrupts (`OwnedInterrupts.claim`), then the test
    /// and guest-bound SPIs. Boot CPU, before the first rebalance.
    static func claim() {
        OwnedInterrupts.claim()
        let machine = Machine.current!
        let distributor = machine.distributor
        let store = InterruptDescriptors.store!
        let limit = distributor.type.spiLimit
        let count = min(max(32, 2 * machine.cpuCount), distributor.type.spiCount / 2)
        spis = []
        for offset in 0 ..< count {
            let id = InterruptID(limit - UInt32(count - 1 - offset))
            OwnedInterrupts.claim(id, handler: .countOnly, edgeTriggered: true)
            spis.append(id)
        }
        guestBound = []
        guestRouting = []
        #if HYPERVISOR
        let guestCount = GuestInterruptChecks.count
        #else
        let guestCount = 4
        #endif
        for offset in 0 ..< guestCount {
            let id = InterruptID(limit - UInt32(count + guestCount - offset) + 1)
            let cpu = LogicalCPU(offset % machine.cpuCount)
            distributor.configure(id, edgeTriggered: true)
            store.withDescriptor(for: id) { descriptor in
                descriptor.status.insert(.guestBound)
                descriptor.status.insert(.enabled)
                descriptor.effectiveTarget = cpu
                distributor.route(id, to: machine.affinity(of: cpu))
            }
            #if HYPERVISOR
            GuestInterruptChecks.bind(id, index: offset)
            #endif
            distributor.enable(id)
            guestBound.append(id)
            guestRouting.append(distributor.routing(of: id).registerValue)
        }
    }

    /// Makes `id` pending the way its device would: the RTC through its
    /// match register, any other through `GICD_ISPENDR`. Counted as fired.
    /// False (nothing done) while the previous firing is still in flight.
    @discardableResult
    static func fire(_ id: InterruptID) -> Bool {
        guard SharedInterrupts.claimFiring(id) else { return false }
        InterruptCounters.recordFired(id)
        HotplugLatency.stampFiring(id)
        if id == OwnedInterrupts.rtc, let device = RealTimeClock.device {
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

    /// The handler column of the reports: `(guest)` for a guest-bound
    /// interrupt, else its handler's name (`test` for the test SPIs).
    static func label(of id: InterruptID, guestBound: Bool) -> StaticString {
        if guestBound { return "(guest)" }
        switch SharedInterrupts.handler(of: id) {
        case .none: return "-"
        case .countOnly: return "test"
        case .uartReceive: return "pl011-rx"
        case .rtcAlarm: return "pl031-alarm"
        }
    }
}
