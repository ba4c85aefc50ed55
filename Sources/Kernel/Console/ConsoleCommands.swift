import HotplugCore

/// What each console command does. Every refusal prints one `error:` line
/// naming the offending input and leaves the system as it was; the return
/// value says whether the command succeeded.
enum ConsoleCommands {
    static func run(_ command: ConsoleCommand) -> Bool {
        switch command {
        case .cpuOffline(let cpu):
            if cpu == CPUs.current && CPUs.state(of: cpu) == .online && CPUs.online.count > 1 {
                ConsoleShell.handOver(offlining: cpu)
            }
            return ConsoleShell.perform(.offline, on: cpu)
        case .cpuOnline(let cpu):
            return ConsoleShell.perform(.online, on: cpu)
        case .cpus:
            CPUReport.print()
            return true
        case .irqs:
            InterruptTable.print()
            LPICommands.printSummary()
            return true
        case .showAffinity(let id):
            return id.kind == .lpi ? LPICommands.showAffinity(id) : showAffinity(id)
        case .setAffinity(let id, let mask):
            return id.kind == .lpi ? LPICommands.setAffinity(id, mask) : setAffinity(id, mask)
        case .fire(let id, let count):
            return id.kind == .lpi ? LPICommands.fire(id, count: count) : fire(id, count: count)
        case .vcpus:
            #if HYPERVISOR
            GuestInterruptChecks.printTable()
            return true
            #else
            return noGuests()
            #endif
        case .vcpuMove(let vcpu, let cpu):
            #if HYPERVISOR
            return moveVCPU(vcpu, to: cpu)
            #else
            return noGuests()
            #endif
        case .policy(let name):
            return selectPolicy(name)
        case .stress(let seed, let events):
            return Stress.run(seed: seed, events: events)
        case .check:
            return check()
        case .epoch:
            return closeEpoch()
        case .help:
            Console.line { $0.write(ConsoleHelp.text) }
            return true
        case .exit(let status):
            Semihosting.exit(UInt32(status))
        }
    }

    private static func refuse(_ refusal: InterruptAffinity.Refusal) -> Bool {
        Console.line { out in
            out.write("error: ")
            refusal.describe(&out)
        }
        return false
    }

    private static func showAffinity(_ id: InterruptID) -> Bool {
        guard InterruptAffinity.isImplemented(id) else { return refuse(.notImplemented(id)) }
        let descriptor = InterruptDescriptors.store.withDescriptor(for: id) { $0 }!
        let routing = Machine.current.distributor.routing(of: id)
        Console.line { out in
            out.write("INTID ", Int(id.rawValue))
            out.write(": requested ")
            out.write(descriptor.requestedAffinity.cpuList)
            out.write(", routed to cpu ", Machine.current.cpu(routedBy: routing)?.index ?? -1)
            out.write(" (GICD_IROUTER ")
            out.hex(routing.registerValue)
            out.write("), handler ")
            out.write(TestInterrupts.label(of: id, guestBound: descriptor.status.contains(.guestBound)))
            if descriptor.affinityBroken { out.write(", affinity broken: no cpu of the mask is online") }
            if let deferred = descriptor.deferredTarget {
                out.write(", move to cpu ", deferred.index)
                out.write(" pending")
            }
        }
        return true
    }

    private static func setAffinity(_ id: InterruptID, _ mask: CPUMask) -> Bool {
        switch InterruptAffinity.set(id, to: mask) {
        case .failure(let refusal):
            return refuse(refusal)
        case .success(let change):
            Console.line { out in
                out.write("INTID ", Int(id.rawValue))
                out.write(": requested ")
                out.write(mask.cpuList)
                if case .deferred(let cpu) = change {
                    out.write(", in progress: moves to cpu ", cpu.index)
                    out.write(" at its end of interrupt")
                } else {
                    out.write(", routed to cpu ", change.target?.index ?? -1)
                }
            }
            return true
        }
    }

    /// Fires `id` `count` times, one at a time (each waits for the previous
    /// to be handled, so none merges with another), and reports where they
    /// were handled.
    private static func fire(_ id: InterruptID, count: Int) -> Bool {
        guard InterruptAffinity.isImplemented(id) else { return refuse(.notImplemented(id)) }
        #if HYPERVISOR
        if let vcpu = GuestInterruptChecks.owner(of: id) { return fireGuest(id, count: count, vcpu: vcpu) }
        #endif
        guard SharedInterrupts.handler(of: id) != .none else {
            Console.line { out in
                out.write("error: INTID ", Int(id.rawValue))
                out.write(" has no handler of ours; firing it would leave it pending")
            }
            return false
        }
        let handledBefore = InterruptCounters.handledCount(id)
        var fired = 0
        for _ in 0 ..< count {
            guard Deadline.wait(milliseconds: 500, for: .otherCPUs, until: { TestInterrupts.fire(id) }) else { break }
            fired += 1
        }
        _ = Deadline.wait(milliseconds: 500, for: .otherCPUs) { InterruptCounters.handledCount(id) - handledBefore >= fired }
        let handled = InterruptCounters.handledCount(id) - handledBefore
        Console.line { out in
            out.write("INTID ", Int(id.rawValue))
            out.write(": fired ", fired)
            out.write(", handled ", handled)
            out.write(", on cpu ", Machine.current.routedCPU(of: id)?.index ?? -1)
        }
        return firingsComplete(id, count: count, fired: fired, handled: handled)
    }

    /// Whether all `count` firings of `id` were fired and handled; if not,
    /// says how many fell short (`fire` of an SPI or an LPI).
    static func firingsComplete(_ id: InterruptID, count: Int, fired: Int, handled: Int) -> Bool {
        guard fired != count || handled != fired else { return true }
        Console.line { out in
            out.write("error: fire ", Int(id.rawValue))
            out.write(": ", count - fired)
            out.write(" not fired, ", fired - handled)
            out.write(" not handled: timed out after ", Deadline.reported(500, for: .otherCPUs))
            out.write(" ms")
        }
        return false
    }

    #if HYPERVISOR
    /// `vcpu-move`: refuses a vCPU that does not exist or a pCPU that is
    /// not online, with one `error:` line each.
    private static func moveVCPU(_ vcpu: VCPUID, to cpu: LogicalCPU) -> Bool {
        guard vcpu.domain < VCPUs.domainCount, vcpu.vcpu < VCPUs.perDomain else {
            Console.line { out in
                out.write("error: vcpu ", vcpu.domain)
                out.write(".", vcpu.vcpu)
                out.write(" does not exist (", VCPUs.domainCount)
                out.write(" domains of ", VCPUs.perDomain)
                out.write(" vcpus)")
            }
            return false
        }
        let from = Scheduler.home(of: vcpu)
        if case .failure(let refusal) = Scheduler.move(vcpu, to: cpu) {
            Console.line { out in
                out.write("error: vcpu-move: cpu ", cpu.index)
                out.write(refusal == .offline ? " is offline" : " runs the console, which never idles to run a guest")
            }
            return false
        }
        Console.line { out in
            out.write("vcpu ", vcpu.domain)
            out.write(".", vcpu.vcpu)
            out.write(" moved from cpu ", from?.index ?? -1)
            out.write(" to cpu ", cpu.index)
            out.write(", its interrupts routed there")
        }
        return true
    }
    #else
    private static func noGuests() -> Bool {
        Console.line("error: there are no guests in this image: vcpus exist in the hypervisor image only (EL=2)")
        return false
    }
    #endif

    #if HYPERVISOR
    /// Fires guest-bound `id` `count` times, each once the previous was
    /// deactivated, and reports what its guest counted on its own vCPU.
    private static func fireGuest(_ id: InterruptID, count: Int, vcpu: VCPUID) -> Bool {
        let before = GuestInterruptChecks.received(id)
        let elsewhere = GuestInterruptChecks.receivedElsewhere(id)
        var answered = 0
        for _ in 0 ..< count {
            guard GuestInterruptChecks.fireAndWait(id) else { break }
            answered += 1
        }
        let received = GuestInterruptChecks.received(id) - before
        let strays = GuestInterruptChecks.receivedElsewhere(id) - elsewhere
        Console.line { out in
            out.write("INTID ", Int(id.rawValue))
            out.write(": fired ", answered == count ? count : answered + 1)
            out.write(", received ", received)
            out.write(" by its guest on vcpu ", vcpu.domain)
            out.write(".", vcpu.vcpu)
            out.write(" (cpu ", Scheduler.home(of: vcpu)?.index ?? -1)
            out.write(")")
        }
        if received != count || strays != 0 {
            Console.line { out in
                out.write("error: fire ", Int(id.rawValue))
                out.write(": ", count - received)
                out.write(" not received by the guest, ", strays)
                out.write(" received by another vcpu (timed out after ")
                out.write("", Deadline.reported(GuestInterruptChecks.patience, for: .otherCPUs))
                out.write(" ms)")
            }
            return false
        }
        return true
    }
    #endif

    private static func selectPolicy(_ kind: RebalancePolicyKind) -> Bool {
        guard InterruptMigration.select(kind) else {
            Console.line("error: interrupt migration is compiled out (HOTPLUG=0); there is no policy to choose")
            return false
        }
        Console.line { out in
            out.write("policy ")
            out.write(kind.name)
        }
        return true
    }

    /// Closes a load epoch now (`InterruptMigration.closeEpoch`) and says
    /// what the re-placement moved; refused unless the load policy is in
    /// force.
    private static func closeEpoch() -> Bool {
        guard let outcome = InterruptMigration.closeEpoch() else {
            Console.line { out in
                out.write("error: the policy in force (")
                out.write(InterruptMigration.policyName)
                out.write(") measures no load; 'epoch' is for policy load")
            }
            return false
        }
        Console.line { out in
            out.write("epoch closed: ", outcome.descriptorsMoved)
            out.write(" interrupt(s) moved (", outcome.deferredMoves)
            out.write(" deferred to end of interrupt), ", outcome.routeWrites)
            out.write(" route write(s)")
        }
        return true
    }

    /// The invariants of the rebalance, now.
    static func check() -> Bool {
        var failures = Invariants.checkRouting() + Invariants.checkDelivery()
        if InterruptMigration.policyInForce == .balanced && Invariants.allMasksDefault() {
            failures += Invariants.checkBalance()
        }
        if InterruptMigration.policyInForce == .load {
            failures += Invariants.checkMasks()
        }
        Console.line { out in
            out.write("check: ")
            out.write(failures == 0 ? "ok" : "FAILED")
            out.write(" (", failures)
            out.write(" violations)")
        }
        return failures == 0
    }
}
