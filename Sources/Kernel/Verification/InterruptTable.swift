import HotplugCore

/// The `/proc/interrupts`-style table: one row per shared interrupt that is
/// ours or a guest's, a column of handled counts per CPU, then the target
/// (read back from `GICD_IROUTER`), the requested affinity as a cpulist, and
/// the handler.
enum InterruptTable {
    static func print() {
        let machine = Machine.current!
        let store = InterruptDescriptors.store!
        let cpuCount = machine.cpuCount
        let online = CPUs.online
        Console.line { out in
            out.write("  INTID")
            for index in 0 ..< cpuCount {
                out.tab(to: 8 + 7 * index + (index < 10 ? 3 : 2))
                out.write(online.contains(LogicalCPU(index)) ? "CPU" : "off")
                out.decimal(index)
            }
            out.tab(to: 8 + 7 * cpuCount + 2)
            out.write("target  requested  handler")
        }
        for index in 0 ..< store.count {
            let descriptor = store.snapshot(at: index)
            let guest = descriptor.status.contains(.guestBound)
            guard descriptor.hasHandler || guest else { continue }
            let id = descriptor.id
            let routed = machine.routedCPU(of: id)
            let requested = descriptor.requestedAffinity.cpuList
            Console.line { out in
                out.decimal(Int(id.rawValue), width: 6)
                out.write(":")
                for cpu in 0 ..< cpuCount {
                    out.decimal(InterruptCounters.handledCount(id, on: LogicalCPU(cpu)), width: 7)
                }
                out.write("  ")
                if let routed {
                    out.write("cpu ")
                    out.decimal(routed.index, width: 3)
                } else {
                    out.write("  ?    ")
                }
                out.write(descriptor.affinityBroken ? " !" : "  ")
                out.write(requested)
                out.tab(to: 8 + 7 * cpuCount + 21)
                out.write(TestInterrupts.label(of: id, guestBound: guest))
                #if HYPERVISOR
                if guest, let vcpu = GuestInterruptChecks.owner(of: id) {
                    out.write(" vcpu ", vcpu.domain)
                    out.write(".", vcpu.vcpu)
                    out.write(" received ", GuestInterruptChecks.received(id))
                }
                #endif
            }
        }
    }
}
