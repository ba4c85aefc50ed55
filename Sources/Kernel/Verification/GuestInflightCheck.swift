import HotplugCore

#if HYPERVISOR
/// `guest-check` (the hypervisor image): interrupts in flight in a guest
/// when its pCPU goes offline. For every pCPU but the controller, one vCPU
/// on it is made to hold guest-bound SPI A active (the guest record's
/// hold: the guest acknowledged it and keeps it active, interrupts masked)
/// while SPI B of the same vCPU is taken at EL2 and waits for the guest,
/// pending in a list register; then the pCPU goes offline. The vCPU must
/// resume on an online pCPU with both, and once the hold is released each
/// must be received exactly once by that vCPU, taken exactly once at EL2,
/// deactivated, and routed to the vCPU's new pCPU; then the pCPU comes back.
enum GuestInflightCheck {
    static func run() -> Int {
        TestInterrupts.claim()
        _ = InterruptMigration.rebalance(.up(CPUs.current))
        let machine = Machine.current!
        var failures = 0
        for index in 0 ..< machine.cpuCount where LogicalCPU(index) != CPUs.current {
            failures += offline(LogicalCPU(index))
        }
        failures += GuestInterruptChecks.fireAll() + GuestInterruptChecks.checkNoneActive() + GuestInterruptChecks.checkRouting()
        GuestInterruptChecks.printTable()
        Console.line { out in
            out.write("guest check: ")
            out.write(failures == 0 ? "passed" : "FAILED")
            out.write(" (", failures)
            out.write(" failures)")
        }
        return failures
    }

    /// One pCPU offline with a held and a pending interrupt on one of its
    /// vCPUs, then online again; the number of failures.
    private static func offline(_ cpu: LogicalCPU) -> Int {
        let distributor = Machine.current.distributor
        var vcpu: VCPUID? = nil
        for index in 0 ..< VCPUs.count where Scheduler.home(of: VCPUs.name(of: index)) == cpu {
            vcpu = VCPUs.name(of: index)
            break
        }
        if vcpu == nil {
            vcpu = VCPUs.name(of: cpu.index % VCPUs.count)
            guard case .success = Scheduler.move(vcpu!, to: cpu) else { return fail(cpu, "no vcpu could be put there") }
        }
        let owner = vcpu!
        var mine: [InterruptID] = []
        for (position, id) in TestInterrupts.guestBound.enumerated() where GuestInterruptChecks.owners[position] == owner {
            mine.append(id)
        }
        guard mine.count >= 2 else { return fail(cpu, "the vcpu has fewer than two guest-bound SPIs") }
        let (held, pending) = (mine[0], mine[1])
        let record = VCPUs.domains[owner.domain].record
        let receivedBefore = (GuestInterruptChecks.received(held), GuestInterruptChecks.received(pending))
        let takenBefore = (GuestInterrupts.takenCount(held), GuestInterrupts.takenCount(pending))
        let elsewhereBefore = GuestInterruptChecks.receivedElsewhere(held) + GuestInterruptChecks.receivedElsewhere(pending)

        record.hold(held)
        distributor.setPending(held)
        guard Deadline.wait(milliseconds: GuestInterruptChecks.patience, for: .otherCPUs, until: { record.isHolding(vcpu: owner.vcpu) }) else {
            record.hold(nil)
            return fail(cpu, "the guest never held the interrupt")
        }
        distributor.setPending(pending)
        guard Deadline.wait(milliseconds: GuestInterruptChecks.patience, for: .otherCPUs, until: { distributor.isActive(pending) }) else {
            return fail(cpu, "the second interrupt was not taken at EL2")
        }
        let state = Scheduler.status(of: owner).name
        if case .failure(let error) = HotplugOperation.offline.perform(on: cpu) {
            HotplugOperation.offline.reportFailure(error, cpu: cpu, lead: "FAIL: ")
            return 1
        }
        let moved = Scheduler.home(of: owner)
        var failures = GuestInterruptChecks.checkRouting()
        if moved == nil || moved == cpu || !CPUs.online.contains(moved!) { failures += fail(cpu, "the vcpu did not move to an online cpu") }
        if GuestInterruptChecks.received(pending) != receivedBefore.1 {
            failures += fail(cpu, "the pending interrupt was received while the guest held the other")
        }
        record.release()
        let done = Deadline.wait(milliseconds: GuestInterruptChecks.patience, for: .otherCPUs) {
            Scheduler.lendConsoleCPU()
            return !record.isHolding(vcpu: owner.vcpu) && GuestInterruptChecks.received(pending) > receivedBefore.1
                && !distributor.isActive(held) && !distributor.isActive(pending)
        }
        record.hold(nil)
        let received = (GuestInterruptChecks.received(held) - receivedBefore.0, GuestInterruptChecks.received(pending) - receivedBefore.1)
        let taken = (GuestInterrupts.takenCount(held) - takenBefore.0, GuestInterrupts.takenCount(pending) - takenBefore.1)
        let elsewhere = GuestInterruptChecks.receivedElsewhere(held) + GuestInterruptChecks.receivedElsewhere(pending) - elsewhereBefore
        if !done || received != (1, 1) || taken != (1, 1) || elsewhere != 0 {
            failures += fail(cpu, "after the release the two interrupts were not each received and taken once")
        }
        Console.line { out in
            out.write("guest check offline cpu ", cpu.index)
            out.write(": vcpu ", owner.domain)
            out.write(".", owner.vcpu)
            out.write(" (")
            out.write(state)
            out.write(") held INTID ", Int(held.rawValue))
            out.write(" active and had INTID ", Int(pending.rawValue))
            out.write(" pending; resumed on cpu ", moved?.index ?? -1)
            out.write("; received ", received.0)
            out.write(" and ", received.1)
            out.write(", taken at EL2 ", taken.0)
            out.write(" and ", taken.1)
            out.write(", elsewhere ", elsewhere)
            out.write(", left active ", (distributor.isActive(held) ? 1 : 0) + (distributor.isActive(pending) ? 1 : 0))
        }
        if case .failure(let error) = HotplugOperation.online.perform(on: cpu) {
            HotplugOperation.online.reportFailure(error, cpu: cpu, lead: "FAIL: ")
            failures += 1
        }
        return failures
    }

    private static func fail(_ cpu: LogicalCPU, _ why: StaticString) -> Int {
        Console.line { out in
            out.write("FAIL: guest check offline cpu ", cpu.index)
            out.write(": ")
            out.write(why)
        }
        return 1
    }
}
#endif
