import HotplugCore

/// What must hold after every hotplug event, read from the hardware where
/// the hardware knows: routes from `GICD_IROUTER`, deliveries from the
/// per-CPU counters the IRQ path keeps, CPU states from the online mask.
/// Each violation prints one `FAIL:` line; the functions return how many.
enum Invariants {
    /// No interrupt with a handler of ours (and not a guest's) is routed to
    /// a CPU that is not online; no deferred move points at one (balanced
    /// and load policies); every guest-bound interrupt's `GICD_IROUTER` is
    /// as set at boot.
    static func checkRouting() -> Int {
        let machine = Machine.current!
        let online = CPUs.online
        var failures = countOverMovable { descriptor in
            var failures = 0
            let routed = machine.distributor.routing(of: descriptor.id)
            let cpu = machine.cpu(routedBy: routed)
            if cpu == nil || !online.contains(cpu!) || routed.isAnyParticipatingPE {
                failures += 1
                Console.line { out in
                    out.write("FAIL: INTID ", Int(descriptor.id.rawValue))
                    out.write(" (handler ")
                    out.write(TestInterrupts.label(of: descriptor.id, guestBound: false))
                    out.write(") is routed by GICD_IROUTER ")
                    out.hex(routed.registerValue)
                    out.write(" to a cpu that is not online")
                }
            }
            // The seed policy keeps the patch's gap here (a pending move
            // aimed at a CPU that then went offline is fixed only at its
            // end of interrupt, safely); the balanced policy re-aims it.
            if let deferred = descriptor.deferredTarget, !online.contains(deferred), InterruptMigration.policyInForce != .seed {
                failures += 1
                Console.line { out in
                    out.write("FAIL: INTID ", Int(descriptor.id.rawValue))
                    out.write(" has a deferred move to offline cpu ", deferred.index)
                }
            }
            return failures
        }
        #if HYPERVISOR
        failures += GuestInterruptChecks.checkRouting()
        #else
        for (position, id) in TestInterrupts.guestBound.enumerated() {
            let value = machine.distributor.routing(of: id).registerValue
            if value != TestInterrupts.guestRouting[position] {
                failures += 1
                Console.line { out in
                    out.write("FAIL: guest-bound INTID ", Int(id.rawValue))
                    out.write(" was rerouted: GICD_IROUTER ")
                    out.hex(value)
                    out.write(", was ")
                    out.hex(TestInterrupts.guestRouting[position])
                }
            }
        }
        #endif
        return failures
    }

    /// Every interrupt the kernel fired was handled exactly as many times:
    /// none lost, none twice.
    static func checkDelivery() -> Int {
        var failures = 0
        for id in TestInterrupts.fireable {
            let fired = InterruptCounters.firedCount(id)
            let handled = InterruptCounters.handledCount(id)
            if fired != handled {
                failures += 1
                Console.line { out in
                    out.write("FAIL: INTID ", Int(id.rawValue))
                    out.write(" fired ", fired)
                    out.write(" times, handled ", handled)
                }
            }
        }
        return failures
    }

    /// Per-CPU counts of movable descriptors, each counted on the CPU its
    /// `GICD_IROUTER` names (not the table's idea of it).
    static func load() -> CPULoad {
        let machine = Machine.current!
        let store = InterruptDescriptors.store!
        var load = CPULoad()
        for index in 0 ..< store.count {
            let descriptor = store.snapshot(at: index)
            guard descriptor.isMovable else { continue }
            if let cpu = machine.routedCPU(of: descriptor.id) {
                load.add(cpu)
            }
        }
        return load
    }

    /// The fewest route writes the coming event needs, from the pure core's
    /// `RebalanceBounds`: for an offline, the movable descriptors on `cpu`;
    /// for an online, the fewest moves that bring the counts, `cpu`
    /// included, within one. Taken before the event.
    static func lowerBound(beforeBringing cpu: LogicalCPU, online: Bool) -> Int {
        if online {
            var after = CPUs.online
            after.insert(cpu)
            return RebalanceBounds.minimumMovesForOnline(load: load(), online: after)
        }
        return RebalanceBounds.minimumMovesForOffline(from: cpu, store: InterruptDescriptors.store)
    }

    /// Whether every movable descriptor still asks for every CPU (the
    /// condition under which the balanced policy promises balance).
    static func allMasksDefault() -> Bool {
        let store = InterruptDescriptors.store!
        let everyCPU = CPUMask.all(upTo: Machine.current.cpuCount)
        for index in 0 ..< store.count {
            let descriptor = store.snapshot(at: index)
            if descriptor.isMovable && descriptor.requestedAffinity != everyCPU { return false }
        }
        return true
    }

    /// The load policy's promise on masks: every movable interrupt is routed
    /// (`GICD_IROUTER`) to a CPU of its requested mask, unless none of the
    /// mask's CPUs is online. Interrupts with a move pending are skipped:
    /// their route changes at their end of interrupt.
    static func checkMasks() -> Int {
        let machine = Machine.current!
        let online = CPUs.online
        return countOverMovable { descriptor in
            let mask = descriptor.requestedAffinity
            guard !descriptor.status.contains(.movePending), !mask.isDisjoint(with: online),
                  let cpu = machine.routedCPU(of: descriptor.id), !mask.contains(cpu) else { return 0 }
            Console.line { out in
                out.write("FAIL: INTID ", Int(descriptor.id.rawValue))
                out.write(" is routed to cpu ", cpu.index)
                out.write(", outside its requested mask ")
                out.write(mask.cpuList)
                out.write(", which has an online cpu")
            }
            return 1
        }
    }

    /// The sum of `count` over a snapshot of every movable descriptor.
    private static func countOverMovable(_ count: (InterruptDescriptor) -> Int) -> Int {
        let store = InterruptDescriptors.store!
        var total = 0
        for index in 0 ..< store.count {
            let descriptor = store.snapshot(at: index)
            if descriptor.isMovable { total += count(descriptor) }
        }
        return total
    }

    /// The balanced policy's promise: per-CPU counts differ by at most one.
    static func checkBalance() -> Int {
        let spread = load().spread(online: CPUs.online)
        if spread.max - spread.min > 1 {
            Console.line { out in
                out.write("FAIL: movable interrupts per online cpu range from ", spread.min)
                out.write(" to ", spread.max)
            }
            return 1
        }
        return 0
    }
}
