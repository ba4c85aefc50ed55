import HotplugCore
import Synchronization

/// `stress SEED EVENTS`: random hotplug of random CPUs under an interrupt
/// storm, with set-affinity requests carried out by other CPUs while the
/// hotplug runs. The seed names the run exactly (`SplitMix64`).
///
/// Bytes arriving on the UART (`make stress` pipes text into QEMU) are
/// received by its interrupt wherever it is routed and counted here.
/// During each event every online CPU but the console's fires test SPIs
/// from its idle loop (`GICD_ISPENDR`, one firing in flight per INTID, see
/// `SharedInterrupts.inFlight`). After each event the storm pauses, the
/// firings in flight must drain within a deadline — an interrupt routed to a
/// CPU that is gone would not — and then: fired = handled for every INTID,
/// no interrupt of ours routed (by `GICD_IROUTER`) to an offline CPU, no
/// deferred move aimed at one, the balance bound (balanced policy, default
/// masks), and a watchdog pass over every online CPU's progress.
///
/// With `stress-lpis` on the command line (`firesLPIs`) the kernel's LPIs
/// join the storm: each storming CPU fires, with the ITS
/// `INT` command, the LPIs whose EventID is its number modulo the CPUs,
/// each only when its previous firing was handled; after each event every
/// LPI fired must have been handled exactly once, no LPI's collection may
/// target an offline CPU, and under the balanced policy (default LPI
/// masks) per-CPU LPI counts differ by at most one.
///
/// The storm runs as `IdleWork` background work, each set-affinity as work
/// posted to its CPU.
enum Stress {
    static let storm = Atomic<Bool>(false)
    /// CPUs inside `fireFromIdleLoop`: `stopStorm` waits for none, so no
    /// firing can start after the storm is declared over.
    static let firing = Atomic<Int>(0)

    /// Per CPU: the set-affinity the stress test posted for it. Allocated
    /// once in `setUp` (boot CPU, before any other CPU runs); an entry is
    /// written by the controller before it posts the set-affinity as
    /// `IdleWork` (a releasing store) and read by its CPU after taking the
    /// request (acquiring).
    nonisolated(unsafe) static var affinityRequests = UnsafeMutablePointer<(InterruptID, CPUMask)>.allocate(capacity: 1)
    /// Per CPU: 1 once it has carried out its posted set-affinity. Assigned
    /// once in `setUp`, then only its atomic entries change.
    nonisolated(unsafe) static var affinityDone = AtomicTable(count: 0)
    /// Per CPU: firings it made in the storm. Assigned once in `setUp`, then
    /// only its atomic entries change.
    nonisolated(unsafe) static var stormFirings = AtomicTable(count: 0)
    /// Per EventID of a kernel LPI: times it was fired, counted before its
    /// INT, from its handled count when the run began. Only the CPU whose
    /// number is the EventID modulo the CPUs fires it, so fired − handled
    /// is its firings in flight. Assigned by `run` before the first storm.
    nonisolated(unsafe) static var lpiFired = AtomicTable(count: 0)
    /// Whether the storm fires LPIs (`stress-lpis`); set once at boot.
    nonisolated(unsafe) static var firesLPIs = false
    /// Per CPU: where its next LPI firing starts within its share.
    nonisolated(unsafe) static var lpiCursor = AtomicTable(count: 0)
    /// LPIs fired by the storm, and the LPIs' handled total when the run began.
    static let lpiFirings = EventCounter()
    nonisolated(unsafe) static var lpiHandledBefore = 0

    static func setUp(cpuCount: Int) {
        affinityRequests = UnsafeMutablePointer<(InterruptID, CPUMask)>.allocate(capacity: cpuCount)
        affinityRequests.initialize(repeating: (InterruptID(0), CPUMask()), count: cpuCount)
        affinityDone = AtomicTable(count: cpuCount)
        stormFirings = AtomicTable(count: cpuCount)
        lpiCursor = AtomicTable(count: cpuCount)
    }

    /// One storm step from an idle loop: fire the next test SPI that is not
    /// in flight, then pause briefly so the storm does not starve the rest.
    static func fireFromIdleLoop(_ cpu: LogicalCPU) {
        firing.wrappingAdd(1, ordering: .sequentiallyConsistent)
        defer { firing.wrappingSubtract(1, ordering: .sequentiallyConsistent) }
        let spis = TestInterrupts.spis
        guard storm.load(ordering: .sequentiallyConsistent), !spis.isEmpty else { return }
        let start = Int(stormFirings.load(cpu.index)) &+ cpu.index &* 7
        for offset in 0 ..< spis.count {
            if TestInterrupts.fire(spis[(start &+ offset) % spis.count]) {
                stormFirings.increment(cpu.index)
                break
            }
        }
        // LPIs on every fourth step: QEMU emulates each INT and delivery
        // at some cost, and a few in flight per CPU exercise the moves.
        if firesLPIs && stormFirings.load(cpu.index) % 4 == 0 { fireLPIs(cpu) }
        for _ in 0 ..< 256 { arch_isb() }
    }

    /// Up to 4 of this CPU's share of the LPIs, each not in flight, fired
    /// in one batch of INT commands.
    private static func fireLPIs(_ cpu: LogicalCPU) {
        let events = ITS.mappedEvents
        let cpus = lpiCursor.count
        guard events > 0, lpiFired.count == events, cpu.index < events else { return }
        let share = (events - cpu.index + cpus - 1) / cpus
        var next = Int(lpiCursor.load(cpu.index)) % share
        var sent = 0
        ITS.submit { put in
            for _ in 0 ..< Swift.min(share, 64) where sent < 4 {
                let event = cpu.index + next * cpus
                next = (next + 1) % share
                guard lpiFired.load(event) == ITS.handled.load(event) else { continue }
                lpiFired.increment(event)
                put(.INT(device: ITS.kernelDevice, event: ITSEventID(UInt32(event))))
                sent += 1
            }
        }
        lpiFirings.add(sent)
        lpiCursor.store(cpu.index, UInt32(next))
    }

    /// On the CPU the request was posted to, from its idle loop (posted
    /// work: interrupts still masked, unmasked here as the set-affinity
    /// expects).
    static func performAffinityRequest(on cpu: LogicalCPU) {
        arch_unmask_interrupts()
        let (id, mask) = affinityRequests[cpu.index]
        _ = InterruptAffinity.set(id, to: mask)
        affinityDone.store(cpu.index, 1)
    }

    /// The tallies of one run.
    struct Tally {
        var offlines = 0
        var onlines = 0
        var affinityChanges = 0
        var violations = 0
        var balanceChecks = 0
        /// Bytes that arrived on the UART (through its receive interrupt,
        /// wherever it was routed) during the run.
        var uartBytes = 0
        /// Whether the balance bound is owed: true from the start (the
        /// spread) and after any online event with every mask default (the
        /// up path balances fully); false once a mask is narrowed (an
        /// imbalance it forces can outlive it until the next online event).
        var balanceOwed = true
    }

    static func run(seed: UInt64, events: Int) -> Bool {
        guard InterruptMigration.isCompiledIn else {
            Console.line("error: stress needs interrupt migration, which this image was built without (HOTPLUG=0)")
            return false
        }
        let machine = Machine.current!
        let controller = CPUs.current
        var random = SplitMix64(seed: seed)
        var tally = Tally()
        let firedBefore = totalFired()
        let handledBefore = totalHandled()
        var heartbeats: [UInt32] = Array(repeating: 0, count: machine.cpuCount)
        InterruptMigration.routingLock.withLock { $0.printsNotes = false }
        defer { InterruptMigration.routingLock.withLock { $0.printsNotes = true } }
        FaultInjection.stallChosenCPU(sparing: controller)
        let lpis = firesLPIs ? ITS.mappedEvents : 0
        if lpiFired.count != lpis { lpiFired = AtomicTable(count: lpis) }
        lpiHandledBefore = 0
        for event in 0 ..< lpiFired.count {
            lpiFired.store(event, ITS.handled.load(event))
            lpiHandledBefore += Int(ITS.handled.load(event))
        }
        let lpiFiringsBefore = lpiFirings.count
        #if HYPERVISOR
        GuestStress.start()
        #endif

        for event in 1 ... events {
            let online = CPUs.online
            for index in 0 ..< machine.cpuCount { heartbeats[index] = CPUs.heartbeats.load(index) }
            startStorm()
            #if HYPERVISOR
            GuestStress.event(&random)
            #endif

            // A set-affinity carried out by another CPU while the hotplug runs.
            var helper: LogicalCPU?
            if random.below(3) == 0, let cpu = randomMember(of: online.subtracting(CPUMask(single: controller)), &random) {
                helper = cpu
                if post(affinityChangeFor: cpu, &random, cpuCount: machine.cpuCount) { tally.balanceOwed = false }
                tally.affinityChanges += 1
            }

            var offlineCandidates = online.subtracting(CPUMask(single: controller))
            if let helper { offlineCandidates.remove(helper) }
            let offlineCPUs = CPUMask.all(upTo: machine.cpuCount).subtracting(online)
            let goOffline = offlineCPUs.isEmpty || (!offlineCandidates.isEmpty && random.below(2) == 0)
            let operation: HotplugOperation
            let target: LogicalCPU
            if goOffline, let cpu = randomMember(of: offlineCandidates, &random) {
                (operation, target) = (.offline, cpu)
                tally.offlines += 1
            } else if let cpu = randomMember(of: offlineCPUs, &random) {
                (operation, target) = (.online, cpu)
                tally.onlines += 1
            } else {
                stopStorm()
                continue
            }
            let outcome = operation.check(on: target) { out in
                out.write("stress event ", event)
                out.write(": ")
            }
            if outcome == nil { tally.violations += 1 }
            if operation == .online && Invariants.allMasksDefault() { tally.balanceOwed = true }
            if let helper,
               !Deadline.wait(milliseconds: 1000, for: .otherCPUs, until: { affinityDone.load(helper.index) == 1 }) {
                tally.violations += 1
                Console.line { out in
                    out.write("FAIL: cpu ", helper.index)
                    out.write(" did not carry out its set-affinity: timed out after ", Deadline.reported(1000, for: .otherCPUs))
                    out.write(" ms")
                }
            }
            stopStorm()
            while ConsoleInput.read() != nil { tally.uartBytes += 1 }
            tally.violations += drainAndCheck(event: event, tally: &tally)
            #if HYPERVISOR
            tally.violations += GuestStress.settle(event: event)
            #endif
            tally.violations += watchdog(heartbeats: heartbeats, except: target)
            if event % 250 == 0 || event == events {
                Console.line { out in
                    out.write("stress: event ", event)
                    out.write("/", events)
                    out.write(", online ")
                    out.write(CPUs.online.cpuList)
                    out.write(", fired ", totalFired() - firedBefore)
                    out.write(", violations ", tally.violations)
                }
            }
        }
        let fired = totalFired() - firedBefore
        let handled = totalHandled() - handledBefore
        let lpisFired = lpiFirings.count - lpiFiringsBefore
        var lpisHandled = -lpiHandledBefore
        for event in 0 ..< lpiFired.count { lpisHandled += Int(ITS.handled.load(event)) }
        Console.line { out in
            out.write("stress: seed ", Int(truncatingIfNeeded: seed))
            out.write(", ", events)
            out.write(" events (", tally.offlines)
            out.write(" offline, ", tally.onlines)
            out.write(" online, ", tally.affinityChanges)
            out.write(" concurrent set-affinity), interrupts fired ", fired)
            out.write(", handled ", handled)
            out.write(", uart bytes ", tally.uartBytes)
            out.write(", balance checked ", tally.balanceChecks)
            out.write(" times, violations ", tally.violations)
            if firesLPIs {
                out.write(", LPIs fired ", lpisFired)
                out.write(", handled ", lpisHandled)
            }
            #if HYPERVISOR
            out.write("; guest-bound fired ", GuestStress.fired)
            out.write(" (lost ", GuestStress.lost)
            out.write(", duplicated ", GuestStress.duplicated)
            out.write("), vcpu moves ", GuestStress.moves)
            #endif
        }
        return tally.violations == 0 && fired == handled && lpisFired == lpisHandled
    }

    private static func startStorm() {
        storm.store(true, ordering: .relaxed)
        IdleWork.startBackground { cpu in Stress.fireFromIdleLoop(LogicalCPU(cpu)) }
        let machine = Machine.current!
        for cpu in CPUs.online where cpu != CPUs.current {
            CPUInterface.sendSGI(KernelSGI.wake, to: machine.affinity(of: cpu))
        }
    }

    /// Ends the storm: after this returns no CPU is firing or will fire.
    private static func stopStorm() {
        storm.store(false, ordering: .sequentiallyConsistent)
        IdleWork.stopBackground()
        while firing.load(ordering: .sequentiallyConsistent) != 0 {}
    }

    /// Posts a set-affinity to `cpu`: half the time a random test SPI gets
    /// a random mask; otherwise one that has a narrowed mask gets every CPU
    /// back, so the system keeps returning to default masks, where the
    /// balance bound is checked.
    /// Returns whether the change narrows a mask.
    @discardableResult
    private static func post(affinityChangeFor cpu: LogicalCPU, _ random: inout SplitMix64, cpuCount: Int) -> Bool {
        let spis = TestInterrupts.spis
        let everyCPU = CPUMask.all(upTo: cpuCount)
        var id = spis[random.below(spis.count)]
        var mask = everyCPU
        let narrowed = spis.first { candidate in
            InterruptDescriptors.store.withDescriptor(for: candidate) { $0.requestedAffinity != everyCPU } ?? false
        }
        if let narrowed, random.below(2) == 0 {
            id = narrowed
        } else {
            mask = CPUMask()
            while mask.isEmpty {
                for index in 0 ..< cpuCount where random.below(3) == 0 { mask.insert(LogicalCPU(index)) }
            }
        }
        affinityRequests[cpu.index] = (id, mask)
        affinityDone.store(cpu.index, 0)
        IdleWork.post({ cpu in Stress.performAffinityRequest(on: LogicalCPU(cpu)) }, to: cpu)
        return mask != everyCPU
    }

    private static func randomMember(of mask: CPUMask, _ random: inout SplitMix64) -> LogicalCPU? {
        mask.isEmpty ? nil : mask.nth(random.below(mask.count))
    }

    /// With the storm stopped: every firing in flight must be handled within
    /// the deadline; then the invariants.
    private static func drainAndCheck(event: Int, tally: inout Tally) -> Int {
        var failures = 0
        let drained = Deadline.wait(milliseconds: 500, for: .otherCPUs) {
            for id in TestInterrupts.fireable where InterruptCounters.firedCount(id) != InterruptCounters.handledCount(id) {
                return false
            }
            return true
        }
        if !drained {
            Console.line { out in
                out.write("FAIL: stress event ", event)
                out.write(": interrupts still unhandled after the storm stopped: timed out after ",
                          Deadline.reported(500, for: .otherCPUs))
                out.write(" ms")
            }
            for id in TestInterrupts.fireable where InterruptCounters.firedCount(id) != InterruptCounters.handledCount(id) {
                describeStuck(id)
            }
        }
        failures += Invariants.checkDelivery() + Invariants.checkRouting() + checkLPIs(event: event)
        if InterruptMigration.policyInForce == .balanced && tally.balanceOwed && Invariants.allMasksDefault() {
            tally.balanceChecks += 1
            failures += Invariants.checkBalance()
        }
        if InterruptMigration.policyInForce == .load {
            failures += Invariants.checkMasks()
        }
        if failures > 0 {
            Console.line { out in
                out.write("   (after stress event ", event)
                out.write(")")
            }
        }
        return failures
    }

    /// With the storm stopped: every LPI fired handled within the deadline,
    /// none in a collection aimed at an offline CPU, and under the balanced
    /// policy (default LPI masks) per-CPU LPI counts within one.
    private static func checkLPIs(event: Int) -> Int {
        let events = lpiFired.count
        guard events > 0 else { return 0 }
        var failures = 0
        let drained = Deadline.wait(milliseconds: 500, for: .otherCPUs) {
            for lpi in 0 ..< events where lpiFired.load(lpi) != ITS.handled.load(lpi) { return false }
            return true
        }
        if !drained {
            failures += 1
            for lpi in 0 ..< events where lpiFired.load(lpi) != ITS.handled.load(lpi) {
                Console.line { out in
                    out.write("FAIL: stress event ", event)
                    out.write(": LPI ", LPITableSizing.firstLPI + lpi)
                    out.write(" fired ", Int(lpiFired.load(lpi)))
                    out.write(" times, handled ", Int(ITS.handled.load(lpi)))
                    out.write(", its collection targets cpu ", ITS.cpu(ofEvent: lpi))
                }
                break
            }
        }
        let online = CPUs.online
        var perCPU = [Int](repeating: 0, count: lpiCursor.count)
        for lpi in 0 ..< events { perCPU[ITS.cpu(ofEvent: lpi)] += 1 }
        var lowest = Int.max
        var highest = 0
        for cpu in 0 ..< perCPU.count {
            if !online.contains(LogicalCPU(cpu)) {
                if perCPU[cpu] > 0 {
                    failures += 1
                    Console.line { out in
                        out.write("FAIL: stress event ", event)
                        out.write(": ", perCPU[cpu])
                        out.write(" LPIs in collections aimed at offline cpu ", cpu)
                    }
                }
                continue
            }
            lowest = Swift.min(lowest, perCPU[cpu])
            highest = Swift.max(highest, perCPU[cpu])
        }
        if InterruptMigration.policyInForce == .balanced && ITS.requestedAffinities == 0 && highest - lowest > 1 {
            failures += 1
            Console.line { out in
                out.write("FAIL: stress event ", event)
                out.write(": per-cpu LPI counts from ", lowest)
                out.write(" to ", highest)
            }
        }
        return failures
    }

    /// Any online CPU whose idle loop made no progress during the event
    /// (the storm keeps every idle loop turning) is woken once more; if it
    /// still makes none, it is reported with the PC it was last interrupted
    /// at, instead of the run hanging on it later.
    private static func watchdog(heartbeats: [UInt32], except newcomer: LogicalCPU) -> Int {
        let machine = Machine.current!
        var failures = 0
        for cpu in CPUs.online where cpu != CPUs.current && cpu != newcomer {
            if CPUs.heartbeats.load(cpu.index) != heartbeats[cpu.index] { continue }
            CPUInterface.sendSGI(KernelSGI.wake, to: machine.affinity(of: cpu))
            if Deadline.wait(milliseconds: 100, for: .otherCPUs,
                             until: { CPUs.heartbeats.load(cpu.index) != heartbeats[cpu.index] }) {
                continue
            }
            failures += 1
            Console.line { out in
                out.write("WATCHDOG: cpu ", cpu.index)
                out.write(" made no progress for ", Deadline.reported(100, for: .otherCPUs))
                out.write(" ms; last interrupted at PC ")
                out.hex(CPUs.sampledPC[cpu.index], digits: 16)
            }
        }
        return failures
    }

    /// Everything the hardware and the table say about an interrupt that
    /// did not drain: where it is routed, that CPU's state, pending/active.
    private static func describeStuck(_ id: InterruptID) {
        let machine = Machine.current!
        let descriptor = InterruptDescriptors.store.withDescriptor(for: id) { $0 }!
        let routed = machine.routedCPU(of: id)
        Console.line { out in
            out.write("   INTID ", Int(id.rawValue))
            out.write(": GICD_IROUTER -> cpu ", routed?.index ?? -1)
            if let routed {
                out.write(" (")
                out.write(CPUs.state(of: routed).name)
                out.write(")")
            }
            out.write(", pending ", machine.distributor.isPending(id) ? 1 : 0)
            out.write(", active ", machine.distributor.isActive(id) ? 1 : 0)
            out.write(", enabled ", machine.distributor.isEnabled(id) ? 1 : 0)
            out.write(", table target ", descriptor.effectiveTarget?.index ?? -1)
            out.write(", status ", Int(descriptor.status.rawValue))
            out.write(", mask ")
            out.write(descriptor.requestedAffinity.cpuList)
        }
    }

    private static func totalFired() -> Int {
        var total = 0
        for id in TestInterrupts.fireable { total += InterruptCounters.firedCount(id) }
        return total
    }

    private static func totalHandled() -> Int {
        var total = 0
        for id in TestInterrupts.fireable { total += InterruptCounters.handledCount(id) }
        return total
    }
}
