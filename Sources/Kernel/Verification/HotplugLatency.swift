import Synchronization

/// `bench-latency` (`make bench`, issue 15): how long interrupts wait while
/// another CPU goes offline or online, against a quiet system, and how long
/// a moved interrupt is blacked out against the number moved.
///
/// Each firing of a test SPI is stamped with the virtual counter just
/// before it is made pending (`stampFiring`, from `TestInterrupts.fire`),
/// and the IRQ path's entry hook (`KernelHooks.interruptEntered`) takes the
/// difference at handler entry into a fixed sample table: no allocation,
/// lock or output on the interrupt path, nor on the dying CPU's.
///
/// Runs, each with the background storm of `Stress` (every online CPU but
/// the controller firing test SPIs from its idle loop) for the same span:
/// - quiet: no event;
/// - every CPU but the controller offline, then online: samples fired
///   while the operation ran, split by whether their SPI's route changed in
///   the event (moved) or not (steady);
/// - blackout: no storm; k test SPIs (k = 1, 2, 4, ...) asked onto the
///   highest CPU alone, which then goes offline; at `cpuLeaving` (its
///   interrupts masked, before the migration) it makes every test SPI
///   routed to it pending, and each is handled only once moved: the
///   largest such latency is the event's blackout, beside the descriptors
///   the event moved.
///
/// Output, read by scripts/bench_latency.py (latencies in counter ticks):
///
///     latency-frequency HZ
///     latency-samples CLASS T1 T2 ...      (CLASS: quiet, steady-offline,
///                                           steady-online, moved-offline, moved-online)
///     latency-blackout requested K moved M blackout-max T mean T
///     latency-total samples N dropped D
enum HotplugLatency {
    /// One latency: the firing's stamp and the ticks to handler entry.
    struct Sample {
        var slot: UInt16
        var firedAt: UInt64
        var ticks: UInt32
    }

    static let capacity = 1 << 16

    /// Per layout slot: the stamp of the firing in flight, 0 for none.
    /// Allocated once (`prepare`, controller, before recording starts);
    /// an entry is written by the firer while it holds the slot's in-flight
    /// claim, before the firing's `GICD_ISPENDR` write (a DSB orders them),
    /// and read and cleared by the CPU that acknowledges the firing, before
    /// the handler releases the claim.
    nonisolated(unsafe) static var stamps = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
    /// The samples; entry i written by the CPU that took index i.
    nonisolated(unsafe) static var samples = UnsafeMutablePointer<Sample>.allocate(capacity: 1)
    static let sampleCount = Atomic<Int>(0)
    static let dropped = Atomic<Int>(0)
    static let recording = Atomic<Bool>(false)

    /// From `TestInterrupts.fire`, the in-flight claim held: stamps the
    /// firing if recording.
    @inline(__always)
    static func stampFiring(_ id: InterruptID) {
        guard recording.load(ordering: .relaxed), let slot = InterruptCounters.layout.slot(of: id) else { return }
        stamps[slot] = arch_read_counter()
        arch_dsb_ish()
    }

    /// `KernelHooks.interruptEntered`: IRQ path, interrupts masked.
    static func entered(_ intid: UInt32, _ cpu: Int) {
        let now = arch_read_counter()
        guard let slot = InterruptCounters.layout.slot(of: InterruptID(intid)) else { return }
        let stamp = stamps[slot]
        guard stamp != 0 else { return }
        stamps[slot] = 0
        let index = sampleCount.wrappingAdd(1, ordering: .relaxed).oldValue
        guard index < capacity else {
            dropped.wrappingAdd(1, ordering: .relaxed)
            return
        }
        samples[index] = Sample(slot: UInt16(slot), firedAt: stamp, ticks: UInt32(truncatingIfNeeded: now &- stamp))
    }

    /// The job. False after a FAIL line.
    static func run() -> Bool {
        guard InterruptMigration.isCompiledIn else {
            Console.line("error: bench-latency needs interrupt migration, which this image was built without (HOTPLUG=0)")
            return false
        }
        let machine = Machine.current!
        let controller = CPUs.current
        let slotCount = InterruptCounters.layout.slotCount
        stamps = UnsafeMutablePointer<UInt64>.allocate(capacity: slotCount)
        stamps.initialize(repeating: 0, count: slotCount)
        samples = UnsafeMutablePointer<Sample>.allocate(capacity: capacity)
        InterruptMigration.routingLock.withLock { $0.printsNotes = false }
        defer { InterruptMigration.routingLock.withLock { $0.printsNotes = true } }
        KernelHooks.interruptEntered = { intid, cpu in HotplugLatency.entered(intid, cpu) }
        defer { KernelHooks.interruptEntered = nil }

        Console.line { out in
            out.write("latency-frequency ", Int(arch_read_counter_frequency()))
        }
        Console.line { out in
            out.write("bench-latency: cpus ", machine.cpuCount)
            out.write(" policy ")
            out.write(InterruptMigration.policyName)
            out.write(" test SPIs ", TestInterrupts.spis.count)
        }
        _ = InterruptMigration.rebalance(.up(machine.bootCPU))
        if InterruptMigration.policyInForce == .load {
            _ = TestInterrupts.fireAllAndWait()
            _ = InterruptMigration.closeEpoch()
        }

        // The span of one storm run: the longest of a few offline/online
        // operations, so quiet and eventful runs see the same storm length.
        var failures = 0
        var order: [LogicalCPU] = []
        for index in 0 ..< machine.cpuCount where LogicalCPU(index) != controller { order.append(LogicalCPU(index)) }

        var quiet = Collected()
        var steadyOffline = Collected()
        var steadyOnline = Collected()
        var movedOffline = Collected()
        var movedOnline = Collected()
        for cpu in order {
            let (offlineDone, offlineSpan) = stormEvent(cpu, online: false, steady: &steadyOffline, moved: &movedOffline)
            quietRun(span: offlineSpan, into: &quiet)
            let (onlineDone, onlineSpan) = stormEvent(cpu, online: true, steady: &steadyOnline, moved: &movedOnline)
            quietRun(span: onlineSpan, into: &quiet)
            if !offlineDone || !onlineDone { failures += 1 }
        }
        quiet.print("quiet")
        steadyOffline.print("steady-offline")
        steadyOnline.print("steady-online")
        movedOffline.print("moved-offline")
        movedOnline.print("moved-online")

        failures += blackoutSeries(victim: order[order.count - 1])
        Console.line { out in
            out.write("latency-total samples ", min(sampleCount.load(ordering: .relaxed), capacity))
            out.write(" dropped ", dropped.load(ordering: .relaxed))
            out.write(" failures ", failures)
        }
        return failures == 0
    }

    /// Latencies gathered for one class, printed together.
    struct Collected {
        var ticks: [UInt32] = []

        func print(_ name: StaticString) {
            var start = 0
            repeat {
                let end = min(start + 24, ticks.count)
                Console.line { out in
                    out.write("latency-samples ")
                    out.write(name)
                    for index in start ..< end { out.write(" ", Int(ticks[index])) }
                }
                start = end
            } while start < ticks.count
        }
    }

    /// Starts recording from an empty table.
    private static func startRecording() {
        sampleCount.store(0, ordering: .relaxed)
        recording.store(true, ordering: .releasing)
    }

    /// Stops the storm, waits until every firing is handled, stops recording.
    private static func finishRecording() -> Bool {
        let drained = Deadline.wait(milliseconds: 1000, for: .otherCPUs) {
            for id in TestInterrupts.spis where InterruptCounters.firedCount(id) != InterruptCounters.handledCount(id) {
                return false
            }
            return true
        }
        recording.store(false, ordering: .releasing)
        if !drained { Console.line("FAIL: bench-latency: fired test SPIs not handled within 1 s") }
        return drained
    }

    /// One hotplug event under the storm. Samples fired while the operation
    /// ran go to `moved` when their SPI's route changed in the event, else
    /// to `steady`. Returns whether it went well and the event's span in ticks.
    private static func stormEvent(_ cpu: LogicalCPU, online: Bool, steady: inout Collected,
                                   moved: inout Collected) -> (Bool, UInt64) {
        let machine = Machine.current!
        let spis = TestInterrupts.spis
        var before: [Int] = []
        for id in spis { before.append(machine.routedCPU(of: id)?.index ?? -1) }
        startRecording()
        LatencyStorm.start()
        let started = arch_read_counter()
        let operation = online ? HotplugOperation.online : .offline
        let outcome = operation.check(on: cpu) { $0.write("bench-latency: ") }
        let ended = arch_read_counter()
        LatencyStorm.stop()
        let drained = finishRecording()
        var changed: [Bool] = []
        for (index, id) in spis.enumerated() { changed.append((machine.routedCPU(of: id)?.index ?? -1) != before[index]) }
        let slotOfFirst = InterruptCounters.layout.slot(of: spis[0]) ?? 0
        let count = min(sampleCount.load(ordering: .acquiring), capacity)
        for index in 0 ..< count {
            let sample = samples[index]
            guard sample.firedAt >= started && sample.firedAt <= ended else { continue }
            let position = Int(sample.slot) - slotOfFirst
            guard position >= 0 && position < spis.count else { continue }
            if changed[position] { moved.ticks.append(sample.ticks) } else { steady.ticks.append(sample.ticks) }
        }
        return (outcome != nil && drained, ended &- started)
    }

    /// The storm alone for `span` ticks: every sample fired in it is quiet.
    private static func quietRun(span: UInt64, into quiet: inout Collected) {
        startRecording()
        LatencyStorm.start()
        let started = arch_read_counter()
        while arch_read_counter() &- started < span {}
        let ended = arch_read_counter()
        LatencyStorm.stop()
        _ = finishRecording()
        let count = min(sampleCount.load(ordering: .acquiring), capacity)
        for index in 0 ..< count where samples[index].firedAt >= started && samples[index].firedAt <= ended {
            quiet.ticks.append(samples[index].ticks)
        }
    }

    /// The victim of the blackout run: read by the dying CPU at `cpuLeaving`
    /// after its request's mailbox exchange, written before the request.
    nonisolated(unsafe) static var blackoutVictim: LogicalCPU?

    /// On the dying CPU, interrupts masked (`KernelHooks.cpuLeaving`): every
    /// test SPI routed to it made pending, stamped. No output.
    static func fireRoutedToDyingCPU(_ cpu: Int) {
        guard let victim = blackoutVictim, victim.index == cpu else { return }
        let machine = Machine.current!
        for id in TestInterrupts.spis where machine.routedCPU(of: id) == victim {
            TestInterrupts.fire(id)
        }
    }

    /// k = 1, 2, 4, ... test SPIs asked onto `victim` alone, then `victim`
    /// offline (its SPIs made pending as it leaves) and online again, masks
    /// restored. One line per k.
    private static func blackoutSeries(victim: LogicalCPU) -> Int {
        let spis = TestInterrupts.spis
        let every = CPUMask.all(upTo: Machine.current.cpuCount)
        var failures = 0
        let savedHook = KernelHooks.cpuLeaving
        KernelHooks.cpuLeaving = { cpu in HotplugLatency.fireRoutedToDyingCPU(cpu) }
        defer { KernelHooks.cpuLeaving = savedHook }
        var requested = 1
        while requested <= spis.count {
            for index in 0 ..< requested { _ = InterruptAffinity.set(spis[index], to: CPUMask(single: victim)) }
            blackoutVictim = victim
            startRecording()
            let outcome = HotplugOperation.offline.check(on: victim) { $0.write("bench-latency: ") }
            if !finishRecording() || outcome == nil { failures += 1 }
            blackoutVictim = nil
            var longest: UInt32 = 0
            var sum: UInt64 = 0
            let count = min(sampleCount.load(ordering: .acquiring), capacity)
            for index in 0 ..< count {
                longest = max(longest, samples[index].ticks)
                sum += UInt64(samples[index].ticks)
            }
            let movedCount = outcome?.rebalance.descriptorsMoved ?? 0
            Console.line { out in
                out.write("latency-blackout requested ", requested)
                out.write(" moved ", movedCount)
                out.write(" pending ", count)
                out.write(" blackout-max ", Int(longest))
                out.write(" mean ", count == 0 ? 0 : Int(sum / UInt64(count)))
            }
            for index in 0 ..< requested { _ = InterruptAffinity.set(spis[index], to: every) }
            if HotplugOperation.online.check(on: victim, context: { $0.write("bench-latency: ") }) == nil {
                failures += 1
                break
            }
            requested *= 2
        }
        return failures
    }
}

/// The background storm of the latency runs: every online CPU but the
/// controller fires test SPIs from its idle loop (`IdleWork`), as the
/// stress test's storm does, through `TestInterrupts.fire` (stamped).
enum LatencyStorm {
    static let active = Atomic<Bool>(false)
    /// CPUs inside `step`: `stop` waits for none.
    static let stepping = Atomic<Int>(0)
    /// Per CPU: its next SPI; each entry written only by its own CPU.
    nonisolated(unsafe) static var cursors = UnsafeMutablePointer<Int>.allocate(capacity: 512)

    static func start() {
        active.store(true, ordering: .sequentiallyConsistent)
        IdleWork.startBackground { cpu in LatencyStorm.step(cpu) }
        let machine = Machine.current!
        for cpu in CPUs.online where cpu != CPUs.current {
            CPUInterface.sendSGI(KernelSGI.wake, to: machine.affinity(of: cpu))
        }
    }

    static func stop() {
        active.store(false, ordering: .sequentiallyConsistent)
        IdleWork.stopBackground()
        while stepping.load(ordering: .sequentiallyConsistent) != 0 {}
    }

    /// One firing from `cpu`'s idle loop, then a short pause.
    static func step(_ cpu: Int) {
        stepping.wrappingAdd(1, ordering: .sequentiallyConsistent)
        defer { stepping.wrappingSubtract(1, ordering: .sequentiallyConsistent) }
        let spis = TestInterrupts.spis
        guard active.load(ordering: .sequentiallyConsistent), !spis.isEmpty else { return }
        let start = cursors[cpu] &+ cpu &* 7
        for offset in 0 ..< spis.count where TestInterrupts.fire(spis[(start &+ offset) % spis.count]) {
            cursors[cpu] = (cursors[cpu] &+ offset &+ 1) % spis.count
            break
        }
        for _ in 0 ..< 512 { arch_isb() }
    }
}
