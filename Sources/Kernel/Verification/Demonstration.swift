import HotplugCore

/// `make run`'s default job: the rebalance on real hardware, checked at
/// every step.
///
/// Spread the kernel's interrupts over all CPUs, fire them; then take every
/// CPU but the controller offline one at a time, and bring them back one at
/// a time, firing every interrupt after each event. After each event: the
/// `/proc/interrupts`-style table, the route writes the event made, and the
/// checks (`Invariants`: routes only to online CPUs, fired = handled, and
/// the probe made pending on the dying CPU handled exactly once elsewhere;
/// plus per policy: balanced — spread within one and writes equal to the
/// lower bound; seed — routing equal to the patch's reference model;
/// load — every route inside its mask unless no CPU of the mask is online,
/// as it owes no count balance and no fewest writes: it places by measured
/// rates). Returns the number of failed checks.
enum Demonstration {
    /// The probe of the offline under way: an INTID the dying CPU makes
    /// pending on itself from `KernelHooks.cpuLeaving`, once its interrupts
    /// are masked, before the migration — the "nothing lost" check. Set by
    /// the controller before it asks for the offline, read by the dying CPU
    /// after taking the request (its mailbox orders the two), cleared once
    /// the operation has ended: by then the CPU has passed the hook or
    /// never took the request, unless it timed out on its way down, a
    /// failure already reported.
    nonisolated(unsafe) static var probe: (cpu: LogicalCPU, id: InterruptID)?

    static func run() -> Int {
        let machine = Machine.current!
        let store = InterruptDescriptors.store!
        TestInterrupts.claim()
        KernelHooks.cpuLeaving = { cpu in Demonstration.fireProbe(on: LogicalCPU(cpu)) }
        Console.line { out in
            out.write("interrupt migration: ")
            out.write(InterruptMigration.isCompiledIn ? "compiled in" : "compiled out (HOTPLUG=0)")
            out.write(", policy ")
            out.write(InterruptMigration.policyName)
            out.write("; ", TestInterrupts.countWithHandlers)
            out.write(" interrupts with handlers, ", TestInterrupts.guestBound.count)
            out.write(" guest-bound, ", store.count)
            out.write(" descriptors (SPIs + eSPIs from GICD_TYPER)")
        }
        guard InterruptMigration.isCompiledIn else { return runCompiledOut() }

        var run = Run(model: nil)
        if let seedCursor = InterruptMigration.seedCursor {
            var model = PatchReferenceModel(snapshotOf: store)
            model.cpuNext = seedCursor
            run.model = model
        }
        run.spread()
        var order: [LogicalCPU] = []
        for index in 0 ..< machine.cpuCount where LogicalCPU(index) != CPUs.current {
            order.append(LogicalCPU(index))
        }
        for cpu in order { run.event(cpu, online: false) }
        for cpu in order { run.event(cpu, online: true) }
        Console.line { out in
            out.write("demonstration: ", run.events)
            out.write(" events, ", run.routeWrites)
            out.write(" route writes (lower bound ", run.minimumWrites)
            out.write("), ", run.failures)
            out.write(" failed checks")
        }
        return run.failures
    }

    /// On the dying CPU (`KernelHooks.cpuLeaving`): fires the probe aimed
    /// at it, if any.
    static func fireProbe(on cpu: LogicalCPU) {
        guard let probe, probe.cpu == cpu else { return }
        TestInterrupts.fire(probe.id)
    }

    /// One pass through the events, with its tallies and, for the seed
    /// policy, the patch's reference model run alongside.
    struct Run {
        var model: PatchReferenceModel?
        var failures = 0
        var events = 0
        var routeWrites = 0
        var minimumWrites = 0

        /// The initial spread: the up path once, as if the boot CPU had just
        /// come online with every interrupt on it. The load policy places by
        /// measured rates and has none yet: every interrupt fires once, and
        /// the epoch that measured it closes (`InterruptMigration.closeEpoch`),
        /// so that its placement spreads them before the first offline.
        mutating func spread() {
            let before = GICRouter.totalWrites
            let bootCPU = Machine.current.bootCPU
            let minimum = RebalanceBounds.minimumMovesForOnline(load: Invariants.load(), online: CPUs.online)
            _ = InterruptMigration.rebalance(.up(bootCPU))
            if InterruptMigration.policyInForce == .load {
                if !TestInterrupts.fireAllAndWait() {
                    failures += 1
                    Console.line("FAIL: not every fired interrupt was handled within 1 s")
                }
                _ = InterruptMigration.closeEpoch()
            }
            model?.rebalanceIRQs(from: bootCPU, up: true, online: CPUs.online)
            finish(title: "spread over all cpus", writes: GICRouter.totalWrites - before, minimum: minimum, probe: nil)
        }

        mutating func event(_ cpu: LogicalCPU, online: Bool) {
            let minimum = Invariants.lowerBound(beforeBringing: cpu, online: online)
            var probe: InterruptID?
            if !online {
                probe = TestInterrupts.spis.first { id in
                    Machine.current.routedCPU(of: id) == cpu
                }
            }
            let before = GICRouter.totalWrites
            let handledBefore = probe.map { InterruptCounters.handledCount($0) } ?? 0
            let handledByDyingBefore = probe.map { InterruptCounters.handledCount($0, on: cpu) } ?? 0
            Demonstration.probe = probe.map { (cpu, $0) }
            let succeeded = (online ? HotplugOperation.online : .offline).check(on: cpu) != nil
            Demonstration.probe = nil
            guard succeeded else {
                failures += 1
                return
            }
            let writes = GICRouter.totalWrites - before
            model?.rebalanceIRQs(from: cpu, up: online, online: CPUs.online)
            if let probe {
                checkProbe(probe, dyingCPU: cpu, handledBefore: handledBefore, handledByDyingBefore: handledByDyingBefore)
            }
            finish(title: online ? "cpu-online" : "cpu-offline", cpu: cpu, writes: writes, minimum: minimum, probe: probe)
        }

        /// The interrupt made pending on the dying CPU, interrupts masked,
        /// must be handled exactly once, and not by the dying CPU.
        mutating func checkProbe(_ probe: InterruptID, dyingCPU: LogicalCPU, handledBefore: Int, handledByDyingBefore: Int) {
            let handled = InterruptCounters.settle(probe, after: handledBefore)
            let handledByDying = InterruptCounters.handledCount(probe, on: dyingCPU) - handledByDyingBefore
            if handled != 1 || handledByDying != 0 {
                failures += 1
                Console.line { out in
                    out.write("FAIL: INTID ", Int(probe.rawValue))
                    out.write(", made pending while cpu ", dyingCPU.index)
                    out.write(" was going offline, was handled ", handled)
                    out.write(" times, ", handledByDying)
                    out.write(" by the dying cpu")
                }
            }
        }

        mutating func finish(title: StaticString, cpu: LogicalCPU? = nil, writes: Int, minimum: Int, probe: InterruptID?) {
            events += 1
            routeWrites += writes
            minimumWrites += minimum
            Console.line { out in
                out.write("== step ", events)
                out.write(": ")
                out.write(title)
                if let cpu {
                    out.write(" ", cpu.index)
                }
                out.write("  (online ")
                out.write(CPUs.online.cpuList)
                out.write(")  route writes ", writes)
                out.write(", lower bound ", minimum)
                if let probe {
                    out.write(", INTID ", Int(probe.rawValue))
                    out.write(" made pending on the dying cpu")
                }
            }
            if !TestInterrupts.fireAllAndWait() {
                Console.line("FAIL: not every fired interrupt was handled within 1 s")
            }
            #if HYPERVISOR
            // The guests' side: every guest-bound SPI fired once more, each
            // to be counted once by its own guest on its own vCPU.
            let guestFailures = GuestInterruptChecks.fireAll() + GuestInterruptChecks.checkNoneActive()
            #else
            let guestFailures = 0
            #endif
            InterruptTable.print()
            #if HYPERVISOR
            GuestInterruptChecks.printTable()
            #endif
            var stepFailures = guestFailures + Invariants.checkRouting() + Invariants.checkDelivery()
            if let model {
                stepFailures += compare(with: model, writes: writes)
            } else if InterruptMigration.policyInForce == .load {
                stepFailures += Invariants.checkMasks()
            } else {
                stepFailures += Invariants.checkBalance()
                if writes != minimum {
                    stepFailures += 1
                    Console.line { out in
                        out.write("FAIL: ", writes)
                        out.write(" route writes, the lower bound is ", minimum)
                    }
                }
            }
            failures += stepFailures
            let spread = Invariants.load().spread(online: CPUs.online)
            Console.line { out in
                out.write("   checks: ")
                out.write(stepFailures == 0 ? "ok" : "FAILED")
                out.write(" (routes read back from GICD_IROUTER, fired = handled, movable per cpu ", spread.min)
                out.write("..", spread.max)
                out.write(Run.policyCheck)
            }
            #if HYPERVISOR
            Console.line { out in
                out.write("   guests: ")
                out.write(guestFailures == 0 ? "ok" : "FAILED")
                out.write(" (", TestInterrupts.guestBound.count)
                out.write(" guest-bound SPIs each received once by its own vcpu's guest, routed to its vcpu's online cpu,")
                out.write(" none left active)")
            }
            #endif
        }

        /// The end of a step's summary: the policy's own check.
        static var policyCheck: StaticString {
            switch InterruptMigration.policyInForce {
            case .seed: return ", routing = the patch's reference model)"
            case .load: return ", routes inside masks)"
            case .balanced, nil: return ", writes = lower bound)"
            }
        }

        /// Seed: every descriptor's requested mask (table) and target
        /// (`GICD_IROUTER`) equal the reference model's, and so does the
        /// number of route writes.
        mutating func compare(with model: PatchReferenceModel, writes: Int) -> Int {
            let machine = Machine.current!
            let store = InterruptDescriptors.store!
            var mismatches = 0
            for index in 0 ..< store.count {
                let predicted = model.interrupts[index]
                guard predicted.hasHandler, !predicted.guestBound else { continue }
                let descriptor = store.snapshot(at: index)
                let routed = machine.routedCPU(of: descriptor.id)
                if routed != predicted.target || descriptor.requestedAffinity != predicted.affinity {
                    mismatches += 1
                    Console.line { out in
                        out.write("FAIL: INTID ", Int(descriptor.id.rawValue))
                        out.write(" routed to cpu ", routed?.index ?? -1)
                        out.write(" mask ")
                        out.write(descriptor.requestedAffinity.cpuList)
                        out.write("; the patch's model says cpu ", predicted.target?.index ?? -1)
                        out.write(" mask ")
                        out.write(predicted.affinity.cpuList)
                    }
                }
            }
            return mismatches
        }
    }

    /// HOTPLUG=0: the no-op stand-in must leave every route alone. One CPU
    /// goes offline and back; nothing is fired while it is away (with
    /// migration compiled out, an interrupt routed there would wait until it
    /// returns — the very problem the feature solves).
    static func runCompiledOut() -> Int {
        var failures = 0
        if !TestInterrupts.fireAllAndWait() { failures += 1 }
        failures += Invariants.checkDelivery()
        guard let cpu = CPUs.online.first(where: { $0 != CPUs.current }) else { return failures }
        let before = GICRouter.totalWrites
        for operation in [HotplugOperation.offline, .online] where operation.check(on: cpu) == nil {
            failures += 1
        }
        let writes = GICRouter.totalWrites - before
        Console.line { out in
            out.write("cpu ", cpu.index)
            out.write(" offline and back: ", writes)
            out.write(" route writes (migration compiled out: expected 0)")
        }
        if writes != 0 { failures += 1 }
        if !TestInterrupts.fireAllAndWait() { failures += 1 }
        failures += Invariants.checkDelivery()
        InterruptTable.print()
        return failures
    }
}
