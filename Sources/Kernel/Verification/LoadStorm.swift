import HotplugCore
import Synchronization

/// `load-storm`: the load policy's goal measured (issue 15) under a skewed
/// storm whose epochs the timer closes (`LoadEpochClock`, `epoch-ms=N`).
///
/// The test SPIs get Zipf-distributed rates, the SPI of rank r firing
/// ⌊`zipfScale` / r⌋ times an epoch. Each epoch the controlling CPU fires
/// exactly one deck (every SPI its count, in rounds so the heavy ones are
/// spread through it), waits until every firing is handled, and then waits
/// for the timer to close the epoch: so every epoch holds the same counts,
/// whatever the host's speed, and the run repeats exactly under `-icount`.
/// An epoch that closes before its deck has drained is a failure (the
/// period is too short for the machine).
///
/// Phases of `epochsPerPhase` epochs, each started by an event: the storm
/// starting (rates unknown), a load shift (the ranks move to other SPIs),
/// one CPU offline, the same CPU online again. Measured in every epoch from
/// the per-CPU handled counts: the busiest online CPU's load against
/// `LoadBalanceGoal`'s bound, max(largest single rate, total / online).
/// Owed by the load policy: the goal from the second epoch of each phase
/// on ("within two epochs"), and no descriptor moved by the epoch closes
/// that follow the third epoch of a phase ("no moves after three stationary
/// epochs"). The other policies run the same storm, measured, owing nothing.
///
/// One line per epoch, read by the QEMU check and by scripts/bench_latency.py:
///
///     load-storm epoch PHASE K online LIST busiest B largest X total T bound L permille R moves M goal met|missed
///     load-storm cpu-load PHASE K L0 L1 ... (handled per CPU this epoch, - offline)
///
/// (X, T: the largest rate and the sum of the rates the deck fires; L =
/// max(X, ⌈T / online⌉); R = 1000·B/L; M = descriptors moved by the close
/// that ended epoch K.)
enum LoadStorm {
    /// The heaviest SPI's firings per epoch.
    static let zipfScale = 120
    static let epochsPerPhase = 6

    /// The events that start the phases.
    enum Phase: Int {
        case start = 0, shift, offline, online

        var name: StaticString {
            switch self {
            case .start: return "start"
            case .shift: return "shift"
            case .offline: return "offline"
            case .online: return "online"
            }
        }
    }

    /// The tallies of a run.
    struct Tally {
        var epochs = 0
        var goalOwed = 0
        var goalMet = 0
        var stationaryMoves = 0
        var failures = 0
        /// The largest busiest / bound ratio from the second epoch of a phase on, in permille.
        var worstPermille = 0
    }

    static func run() -> Bool {
        guard InterruptMigration.isCompiledIn else {
            Console.line("error: load-storm needs interrupt migration, which this image was built without (HOTPLUG=0)")
            return false
        }
        guard LoadEpochClock.periodTicks != 0 else {
            Console.line("error: load-storm needs epochs closed by the timer: add epoch-ms=N (e.g. APPEND=epoch-ms=50)")
            return false
        }
        let machine = Machine.current!
        let spis = TestInterrupts.spis
        let controller = CPUs.current
        // The CPU the offline phase takes down: the highest one that is not the controller.
        var victim = controller
        for index in 0 ..< machine.cpuCount where LogicalCPU(index) != controller { victim = LogicalCPU(index) }
        guard victim != controller else {
            Console.line("error: load-storm needs at least two cpus")
            return false
        }
        Console.line { out in
            out.write("load-storm: policy ")
            out.write(InterruptMigration.policyName)
            out.write(", cpus ", machine.cpuCount)
            out.write(", test SPIs ", spis.count)
            out.write(", Zipf rates ", zipfScale)
            out.write("/rank per epoch, epoch ", Int(LoadEpochClock.periodTicks))
            out.write(" counter ticks, ", epochsPerPhase)
            out.write(" epochs per phase")
        }
        InterruptMigration.routingLock.withLock { $0.printsNotes = false }
        defer { InterruptMigration.routingLock.withLock { $0.printsNotes = true } }

        var tally = Tally()
        var loads = [Int](repeating: 0, count: machine.cpuCount)
        var before = [Int](repeating: 0, count: machine.cpuCount)
        // Start at an epoch boundary.
        var closed = LoadEpochClock.closed.load(ordering: .acquiring)
        guard waitForClose(after: closed, &tally) else { return false }
        closed = LoadEpochClock.closed.load(ordering: .acquiring)

        for phase in [Phase.start, .shift, .offline, .online] {
            switch phase {
            case .offline:
                guard HotplugOperation.offline.check(on: victim, context: { $0.write("load-storm: ") }) != nil else {
                    return false
                }
            case .online:
                guard HotplugOperation.online.check(on: victim, context: { $0.write("load-storm: ") }) != nil else {
                    return false
                }
            case .start, .shift:
                break
            }
            // A hotplug operation closed the epoch itself.
            closed = LoadEpochClock.closed.load(ordering: .acquiring)
            for epoch in 1 ... epochsPerPhase {
                let movedBefore = LoadEpochClock.moved.load(ordering: .acquiring)
                snapshot(&before, spis: spis)
                guard fireDeck(phase == .start ? 0 : 1, spis: spis) else {
                    tally.failures += 1
                    return report(tally)
                }
                snapshot(&loads, spis: spis)
                for cpu in 0 ..< loads.count { loads[cpu] -= before[cpu] }
                if LoadEpochClock.closed.load(ordering: .acquiring) != closed {
                    Console.line { out in
                        out.write("FAIL: load-storm ")
                        out.write(phase.name)
                        out.write(" epoch ", epoch)
                        out.write(": the timer closed the epoch before its deck was handled; make epoch-ms longer")
                    }
                    tally.failures += 1
                    return report(tally)
                }
                guard waitForClose(after: closed, &tally) else { return report(tally) }
                closed = LoadEpochClock.closed.load(ordering: .acquiring)
                let moves = Int(LoadEpochClock.moved.load(ordering: .acquiring) &- movedBefore)
                judge(phase, epoch, loads: loads, moves: moves, &tally)
            }
        }
        return report(tally)
    }

    /// The firings per epoch of the SPI at `index` of the test SPIs under
    /// `pattern`: Zipf by rank, the ranks laid over the SPIs by a stride
    /// (pattern 0) or the reverse of it (pattern 1, the load shift).
    static func weight(of index: Int, count: Int, pattern: Int) -> Int {
        // A stride coprime with the count visits every SPI once.
        var stride = 7
        while gcd(stride, count) != 1 { stride += 2 }
        var rank = 0
        for r in 0 ..< count where (r * stride) % count == index { rank = r }
        if pattern == 1 { rank = count - 1 - rank }
        return zipfScale / (rank + 1)
    }

    private static func gcd(_ a: Int, _ b: Int) -> Int {
        b == 0 ? a : gcd(b, a % b)
    }

    /// One deck: every SPI fired its weight's worth of times, in passes
    /// over the SPIs that fire each one still owed and not in flight (so the
    /// heavy ones spread through the deck and the controller never waits on
    /// one interrupt while others could fire); then waits until every firing
    /// is handled. False after a FAIL line.
    private static func fireDeck(_ pattern: Int, spis: [InterruptID]) -> Bool {
        var owed = [Int](repeating: 0, count: spis.count)
        var left = 0
        for index in 0 ..< spis.count {
            owed[index] = weight(of: index, count: spis.count, pattern: pattern)
            left += owed[index]
        }
        while left > 0 {
            var firedThisPass = false
            for index in 0 ..< spis.count where owed[index] > 0 && TestInterrupts.fire(spis[index]) {
                owed[index] -= 1
                left -= 1
                firedThisPass = true
            }
            if firedThisPass { continue }
            // Everything owed is in flight: wait (bounded) for one to be handled.
            let progressed = Deadline.wait(milliseconds: 500, for: .otherCPUs) {
                for index in 0 ..< spis.count where owed[index] > 0
                    && InterruptCounters.firedCount(spis[index]) == InterruptCounters.handledCount(spis[index]) {
                    return true
                }
                return false
            }
            guard progressed else {
                Console.line { out in
                    out.write("FAIL: load-storm: test SPIs still in flight after ", Deadline.reported(500, for: .otherCPUs))
                    out.write(" ms")
                }
                return false
            }
        }
        let drained = Deadline.wait(milliseconds: 500, for: .otherCPUs) {
            for id in spis where InterruptCounters.firedCount(id) != InterruptCounters.handledCount(id) { return false }
            return true
        }
        if !drained { Console.line("FAIL: load-storm: a deck was not handled whole") }
        return drained
    }

    /// Per CPU: the test SPIs it has handled so far.
    private static func snapshot(_ counts: inout [Int], spis: [InterruptID]) {
        for cpu in 0 ..< counts.count {
            var total = 0
            for id in spis { total += InterruptCounters.handledCount(id, on: LogicalCPU(cpu)) }
            counts[cpu] = total
        }
    }

    /// Waits (bounded: 20 periods) for the timer to close the epoch.
    private static func waitForClose(after closed: UInt64, _ tally: inout Tally) -> Bool {
        let periodMilliseconds = Int(LoadEpochClock.periodTicks * 1000 / max(1, GenericTimer.frequency)) + 1
        let limit = 20 * periodMilliseconds
        if Deadline.wait(milliseconds: UInt64(limit), for: .otherCPUs,
                         until: { LoadEpochClock.closed.load(ordering: .acquiring) != closed }) {
            return true
        }
        Console.line { out in
            out.write("FAIL: load-storm: no epoch closed within ", limit)
            out.write(" ms (ticks deferred ", Int(LoadEpochClock.deferred.load(ordering: .relaxed)))
            out.write(")")
        }
        tally.failures += 1
        return false
    }

    /// The epoch's verdict, printed.
    private static func judge(_ phase: Phase, _ epoch: Int, loads: [Int], moves: Int, _ tally: inout Tally) {
        let spis = TestInterrupts.spis
        var largest = 0
        var total = 0
        for index in 0 ..< spis.count {
            let rate = weight(of: index, count: spis.count, pattern: phase == .start ? 0 : 1)
            largest = max(largest, rate)
            total += rate
        }
        let online = CPUs.online
        var busiest = 0
        for cpu in online { busiest = max(busiest, loads[cpu.index]) }
        let met = LoadBalanceGoal.isMet(busiest: UInt64(busiest), largest: UInt64(largest), total: UInt64(total),
                                        onlineCPUs: online.count)
        let bound = Int(LoadBalanceGoal.lowerBound(largest: UInt64(largest), total: UInt64(total),
                                                   onlineCPUs: online.count))
        let permille = bound == 0 ? 0 : busiest * 1000 / bound
        tally.epochs += 1
        // Only the load policy owes the goal; the others are measured beside it.
        if epoch >= 2 {
            tally.worstPermille = max(tally.worstPermille, permille)
        }
        if epoch >= 2 && InterruptMigration.policyInForce == .load {
            tally.goalOwed += 1
            if met { tally.goalMet += 1 } else { tally.failures += 1 }
        }
        // The close after epoch 3 and later: three stationary epochs behind it.
        if epoch >= 3 && moves > 0 && InterruptMigration.policyInForce == .load {
            tally.stationaryMoves += moves
            tally.failures += 1
        }
        Console.line { out in
            out.write("load-storm epoch ")
            out.write(phase.name)
            out.write(" ", epoch)
            out.write(" online ")
            out.write(online.cpuList)
            out.write(" busiest ", busiest)
            out.write(" largest ", largest)
            out.write(" total ", total)
            out.write(" bound ", bound)
            out.write(" permille ", permille)
            out.write(" moves ", moves)
            out.write(met ? " goal met" : " goal missed")
        }
        Console.line { out in
            out.write("load-storm cpu-load ")
            out.write(phase.name)
            out.write(" ", epoch)
            for cpu in 0 ..< loads.count {
                if online.contains(LogicalCPU(cpu)) {
                    out.write(" ", loads[cpu])
                } else {
                    out.write(" -")
                }
            }
        }
    }

    private static func report(_ tally: Tally) -> Bool {
        Console.line { out in
            out.write("load-storm: epochs ", tally.epochs)
            out.write(", goal met in ", tally.goalMet)
            out.write(" of ", tally.goalOwed)
            out.write(" epochs owed (from the second after each event), worst busiest/bound permille ",
                      tally.worstPermille)
            out.write(", moves after three stationary epochs ", tally.stationaryMoves)
            out.write(", failures ", tally.failures)
        }
        return tally.failures == 0
    }
}
