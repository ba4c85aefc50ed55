import HotplugCore

/// The platform self-test: every CPU online, an SPI delivered to each CPU
/// exactly once, and every CPU but the controller taken offline and back
/// twice, each state confirmed by PSCI AFFINITY_INFO. Reads the truth from
/// the hardware (GICD_IROUTER, the handling CPU's ICC_IAR1 via the counters,
/// AFFINITY_INFO), never from the kernel's own tables.
enum PlatformCheck {
    /// SPIs used by the delivery test: the top of the SPI range, above the
    /// interrupts QEMU's virt devices use (UART, RTC, GPIO, PCIe, virtio).
    static func testInterrupts(count: Int) -> [InterruptID] {
        let limit = Machine.current.distributor.type.spiLimit
        var ids: [InterruptID] = []
        for offset in 0 ..< count {
            ids.append(InterruptID(limit - UInt32(offset)))
        }
        return ids
    }

    /// Runs every check; returns the number of failures.
    static func run(cycles: Int = 2) -> Int {
        var failures = 0
        failures += checkAllOnline()
        failures += checkDelivery()
        failures += checkHotplugCycles(cycles)
        failures += checkAllOnline()
        CheckSummary.print("platform check", failures: failures)
        return failures
    }

    static func checkAllOnline() -> Int {
        let machine = Machine.current!
        var failures = 0
        for index in 0 ..< machine.cpuCount {
            let cpu = LogicalCPU(index)
            let state = machine.psci.affinityInfo(machine.affinity(of: cpu))
            let on: Bool
            if case .success(.on) = state { on = true } else { on = false }
            if !on || CPUs.state(of: cpu) != .online {
                failures += 1
                Console.line { out in
                    out.write("FAIL: cpu ", index)
                    out.write(" is not online (AFFINITY_INFO disagrees or the cpu did not announce itself)")
                }
            }
        }
        if failures == 0 {
            Console.line { out in
                out.write("check: all ", machine.cpuCount)
                out.write(" cpus online, confirmed by AFFINITY_INFO")
            }
        }
        return failures
    }

    /// For each online CPU and each test SPI: route it there, read the route
    /// back, set it pending, and check that exactly that CPU handled it,
    /// exactly once.
    static func checkDelivery() -> Int {
        let machine = Machine.current!
        let distributor = machine.distributor
        let spis = testInterrupts(count: 4)
        var failures = 0
        var deliveries = 0
        for id in spis {
            distributor.configure(id, edgeTriggered: true)
            SharedInterrupts.setHandler(.countOnly, for: id)
            distributor.enable(id)
        }
        for cpu in CPUs.online {
            let affinity = machine.affinity(of: cpu)
            for id in spis {
                distributor.route(id, to: affinity)
                if distributor.routing(of: id).affinity != affinity {
                    failures += 1
                    Console.line { out in
                        out.write("FAIL: GICD_IROUTER of INTID ", Int(id.rawValue))
                        out.write(" does not read back as cpu ", cpu.index)
                    }
                    continue
                }
                let before = InterruptCounters.handledCount(id)
                let beforeHere = InterruptCounters.handledCount(id, on: cpu)
                InterruptCounters.recordFired(id)
                distributor.setPending(id)
                let total = InterruptCounters.settle(id, after: before)
                let here = InterruptCounters.handledCount(id, on: cpu) - beforeHere
                if total != 1 || here != 1 {
                    failures += 1
                    Console.line { out in
                        out.write("FAIL: INTID ", Int(id.rawValue))
                        out.write(" routed to cpu ", cpu.index)
                        out.write(": handled ", total)
                        out.write(" times, ", here)
                        out.write(" on that cpu")
                    }
                } else {
                    deliveries += 1
                }
            }
        }
        Console.line { out in
            out.write("check: delivery ", deliveries)
            out.write(" SPIs each handled once on the cpu GICD_IROUTER named (", spis.count)
            out.write(" SPIs x ", CPUs.online.count)
            out.write(" cpus)")
        }
        return failures
    }

    /// Every CPU except the controller: offline, confirm OFF; online,
    /// confirm ON; `cycles` times.
    static func checkHotplugCycles(_ cycles: Int) -> Int {
        let machine = Machine.current!
        var failures = 0
        var operations = 0
        for _ in 0 ..< cycles {
            for index in 0 ..< machine.cpuCount where LogicalCPU(index) != CPUs.current {
                for operation in [HotplugOperation.offline, .online] {
                    if operation.check(on: LogicalCPU(index)) != nil {
                        operations += 1
                    } else {
                        failures += 1
                    }
                }
            }
        }
        Console.line { out in
            out.write("check: hotplug ", operations)
            out.write(" operations (", cycles)
            out.write(" offline/online cycles of every cpu but the controller), each confirmed by AFFINITY_INFO")
        }
        return failures
    }
}
