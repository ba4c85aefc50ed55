import HotplugCore
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
///     latency-hist CLASS count N max T B:N B:N ...   (buckets: `Collected`;
///         CLASS: quiet, steady-offline, steady-online, moved-offline, moved-online)
///     latency-blackout requested K moved M pending P blackout-max T mean T
///     latency-total failures F
enum HotplugLatency {
    /// Histogram buckets per slot (`Collected.bucket`).
    static let bucketCount = 256

    /// Per layout slot: the stamp of the firing in flight, 0 for none.
    /// Allocated once (`run`, controller, before recording starts); an
    /// entry is written by the firer while it holds the slot's in-flight
    /// claim, before the firing's `GICD_ISPENDR` write (a DSB orders them),
    /// and read and cleared by the CPU that acknowledges the firing, before
    /// the handler releases the claim.
    nonisolated(unsafe) static var stamps = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
    /// Per slot, `bucketCount` counts: the latencies of the current run.
    /// Written by the hook under the slot's in-flight claim (one firing of a
    /// slot at a time, so one writer at a time; the claim's release and
    /// acquire order successive writers), read by the controller once the
    /// run has drained.
    nonisolated(unsafe) static var histograms = UnsafeMutablePointer<UInt32>.allocate(capacity: 1)
    /// Per slot: the run's largest latency and the sum of its latencies, as
    /// `histograms`.
    nonisolated(unsafe) static var longest = UnsafeMutablePointer<UInt32>.allocate(capacity: 1)
    nonisolated(unsafe) static var sums = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
    /// Whether firings are stamped now.
    static let recording = Atomic<Bool>(false)

    /// From `TestInterrupts.fire`, the in-flight claim held: stamps the
    /// firing if recording.
    @inline(__always)
    static func stampFiring(_ id: InterruptID) {
        guard recording.load(ordering: .relaxed), let slot = InterruptCounters.layout.slot(of: id) else { return }
        stamps[slot] = arch_read_counter()
        arch_dsb_ish()
    }

    /// `KernelHooks.interruptEntered`: IRQ path, interrupts masked. Bins
    /// the latency of a stamped firing into its slot's histogram.
    static func entered(_ intid: UInt32, _ cpu: Int) {
        let now = arch_read_counter()
        guard let slot = InterruptCounters.layout.slot(of: InterruptID(intid)) else { return }
        let stamp = stamps[slot]
        guard stamp != 0 else { return }
        stamps[slot] = 0
        let ticks = UInt32(truncatingIfNeeded: min(now &- stamp, UInt64(UInt32.max)))
        histograms[slot * bucketCount + Collected.bucket(ticks)] &+= 1
        longest[slot] = max(longest[slot], ticks)
        sums[slot] &+= UInt64(ticks)
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
        histograms = UnsafeMutablePointer<UInt32>.allocate(capacity: slotCount * bucketCount)
        longest = UnsafeMutablePointer<UInt32>.allocate(capacity: slotCount)
        sums = UnsafeMutablePointer<UInt64>.allocate(capacity: slotCount)
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
            out.write("latency-total failures ", failures)
        }
        return failures == 0
    }

    /// Latencies gathered for one class: a histogram with buckets of an
    /// eighth of an octave (exact below 16 ticks), printed as the nonzero
    /// buckets `index:count`; bucket `b` ≥ 16 holds ticks from
    /// `(8 + m) << (e − 3)` with `e = 4 + (b − 16) / 8`, `m = (b − 16) % 8`.
    struct Collected {
        var buckets = [Int](repeating: 0, count: 256)
        var count = 0
        var longest: UInt32 = 0

        static func bucket(_ ticks: UInt32) -> Int {
            guard ticks >= 16 else { return Int(ticks) }
            let exponent = 31 - ticks.leadingZeroBitCount
            let mantissa = Int((ticks >> UInt32(exponent - 3)) & 7)
            return 16 + (exponent - 4) * 8 + mantissa
        }

        var sum: UInt64 = 0

        /// Adds the current run's latencies of layout slot `slot`.
        mutating func add(slot: Int) {
            for bucket in 0 ..< HotplugLatency.bucketCount {
                let n = Int(HotplugLatency.histograms[slot * HotplugLatency.bucketCount + bucket])
                buckets[bucket] += n
                count += n
            }
            longest = max(longest, HotplugLatency.longest[slot])
            sum &+= HotplugLatency.sums[slot]
        }

        func print(_ name: StaticString) {
            Console.line { out in
                out.write("latency-hist ")
                out.write(name)
                out.write(" count ", count)
                out.write(" max ", Int(longest))
                for (index, n) in buckets.enumerated() where n > 0 {
                    out.write(" ", index)
                    out.write(":", n)
                }
            }
        }
    }

    /// Starts recording from empty histograms (nothing in flight).
    private static func startRecording() {
        let slotCount = InterruptCounters.layout.slotCount
        histograms.update(repeating: 0, count: slotCount * bucketCount)
        longest.update(repeating: 0, count: slotCount)
        sums.update(repeating: 0, count: slotCount)
        recording.store(true, ordering: .releasing)
    }

    /// Stops stamping, then waits until every firing is handled.
    private static func finishRecording() -> Bool {
        recording.store(false, ordering: .releasing)
        let drained = Deadline.wait(milliseconds: 1000, for: .otherCPUs) {
            for id in TestInterrupts.spis where InterruptCounters.firedCount(id) != InterruptCounters.handledCount(id) {
                return false
            }
            return true
        }
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
        for (index, id) in spis.enumerated() {
            guard let slot = InterruptCounters.layout.slot(of: id) else { continue }
            if changed[index] { moved.add(slot: slot) } else { steady.add(slot: slot) }
        }
        return (outcome != nil && drained, ended &- started)
    }

    /// The storm alone for `span` ticks: every sample fired in it is quiet.
    private static func quietRun(span: UInt64, into quiet: inout Collected) {
        startRecording()
        LatencyStorm.start()
        let started = arch_read_counter()
        while arch_read_counter() &- started < span {}
        LatencyStorm.stop()
        _ = finishRecording()
        for id in TestInterrupts.spis {
            if let slot = InterruptCounters.layout.slot(of: id) { quiet.add(slot: slot) }
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
            var run = Collected()
            for id in spis {
                if let slot = InterruptCounters.layout.slot(of: id) { run.add(slot: slot) }
            }
            let movedCount = outcome?.rebalance.descriptorsMoved ?? 0
            Console.line { out in
                out.write("latency-blackout requested ", requested)
                out.write(" moved ", movedCount)
                out.write(" pending ", run.count)
                out.write(" blackout-max ", Int(run.longest))
                out.write(" mean ", run.count == 0 ? 0 : Int(run.sum / UInt64(run.count)))
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
