import HotplugCore

/// The LPI delivery check (`lpi-check` on the command line): every kernel
/// LPI made pending once with the ITS `INT` command, then each checked to
/// have been acknowledged exactly once, on the CPU its collection targets
/// (the counters are written on the IRQ path by the acknowledging CPU:
/// the hardware's answer, not the kernel's table). Then every CPU but the
/// boot CPU goes offline in turn and comes back. After each event the move
/// is printed and checked: no collection targets an offline CPU; under the
/// balanced policy the move commands equal the pure core's lower bound and
/// per-CPU LPI counts differ by at most one. While a CPU goes offline a
/// probe LPI is made pending on it with its interrupts masked
/// (`KernelHooks.cpuLeaving`): it must be handled exactly once more,
/// elsewhere, after the move. Every LPI is fired again after each offline
/// and once more at the end.
enum LPICheck {
    /// The probe of the CPU going offline: its EventID (-1: none), and its
    /// handled count before. Written on the dying CPU, read by the
    /// controller after AFFINITY_INFO says OFF (the dying CPU's DSB SY
    /// before CPU_OFF publishes it).
    nonisolated(unsafe) static var probe = (event: -1, before: UInt32(0))

    /// Runs every round; returns the failures. `lpi-move=movi` on the
    /// command line makes the balanced policy move every LPI with its own
    /// MOVI (the per-LPI shape), to measure it against the bulk one.
    static func run(_ commandLine: BootArguments) -> Int {
        guard let state = ITS.state else {
            Console.line("FAIL: lpi check: no LPIs (no ITS, or it was not set up)")
            return 1
        }
        if let shape = commandLine.value(of: "lpi-move") {
            guard ConsoleText.equals(shape, "movi") else {
                Console.line("error: lpi-move= takes movi (one MOVI per LPI on every offline)")
                return 1
            }
            ITS.bulkMovesAllowed = false
        }
        let balanced = InterruptMigration.policyInForce == .balanced
        let compiledIn = InterruptMigration.isCompiledIn
        var extra = [Int](repeating: 0, count: ITS.mappedEvents)
        var expected = 1
        var failures = round(expected, extra, state)
        let machine = Machine.current!
        let keptBefore = ITS.tablesKept.count
        KernelHooks.cpuLeaving = { cpu in LPICheck.fireProbe(on: cpu) }
        var cycled = 0
        for index in 0 ..< machine.cpuCount where LogicalCPU(index) != machine.bootCPU {
            let cpu = LogicalCPU(index)
            probe = (event: -1, before: 0)
            guard case .success = Hotplug.takeOffline(cpu) else {
                Console.line { out in out.write("FAIL: lpi check: cpu ", index); out.write(" did not go offline") }
                failures += 1
                continue
            }
            failures += moved(cpu, up: false, balanced: balanced, compiledIn: compiledIn, state)
            failures += probed(off: cpu, compiledIn: compiledIn, &extra)
            if compiledIn {
                expected += 1
                failures += round(expected, extra, state)
            }
            guard case .success = Hotplug.bringOnline(cpu) else {
                Console.line { out in out.write("FAIL: lpi check: cpu ", index); out.write(" did not come back") }
                failures += 1
                continue
            }
            failures += moved(cpu, up: true, balanced: balanced, compiledIn: compiledIn, state)
            cycled += 1
        }
        KernelHooks.cpuLeaving = nil
        Console.line { out in
            out.write("lpi check: ", cycled)
            out.write(" cpus offline and back, LPI tables kept (GICR_CTLR.EnableLPIs still set) on ",
                      ITS.tablesKept.count - keptBefore)
        }
        expected += 1
        failures += round(expected, extra, state)
        Console.line { out in
            out.write("lpi check: ITS commands since boot: MAPC ", ITS.mapcsIssued.count)
            out.write(", MOVI ", ITS.movisIssued.count)
            out.write(", MOVALL ", ITS.movallsIssued.count)
            out.write(", all ", ITS.commandsIssued.count)
        }
        CheckSummary.print("lpi check", failures: failures)
        return failures
    }

    /// On the dying CPU (`KernelHooks.cpuLeaving`, interrupts masked, its
    /// group 1 off): makes the first LPI its collections hold pending on
    /// its redistributor with INT.
    static func fireProbe(on cpu: Int) {
        for event in 0 ..< ITS.mappedEvents where ITS.cpu(ofEvent: event) == cpu {
            probe = (event: event, before: ITS.handled.load(event))
            _ = ITS.fire(event ..< event + 1)
            return
        }
    }

    /// After `cpu` went offline: the probe must have been handled exactly
    /// once more, on an online CPU. With migration compiled out it stays
    /// pending in the offline CPU's pending table: it must not have been
    /// handled yet, and is counted once when the CPU is back.
    static func probed(off cpu: LogicalCPU, compiledIn: Bool, _ extra: inout [Int]) -> Int {
        let (event, before) = probe
        guard event >= 0 else {
            Console.line { out in out.write("FAIL: lpi check: no probe LPI fired on cpu ", cpu.index) }
            return 1
        }
        let wanted = compiledIn ? before + 1 : before
        _ = Deadline.wait(milliseconds: 1000, for: .otherCPUs) { ITS.handled.load(event) >= before + 1 }
        let count = ITS.handled.load(event)
        let on = Int(ITS.handledOn.load(event))
        let failed = count != wanted || (compiledIn && (on == cpu.index || !CPUs.online.contains(LogicalCPU(on))))
        extra[event] += 1
        Console.line { out in
            if failed { out.write("FAIL: ") }
            out.write("lpi check probe LPI ", LPITableSizing.firstLPI + event)
            out.write(" pending on dying cpu ", cpu.index)
            out.write(": handled ", Int(count) - Int(before))
            out.write(" more")
            if count > before { out.write(", last on cpu ", on) }
        }
        return failed ? 1 : 0
    }

    /// After `cpu` went offline or came online: prints the move (its
    /// commands against the lower bound, its ticks) and the LPIs per CPU;
    /// fails when the move was not recorded for this event, a collection
    /// targets an offline CPU, or, under the balanced policy, the commands
    /// are not the lower bound or the online CPUs' counts differ by more
    /// than one.
    static func moved(_ cpu: LogicalCPU, up: Bool, balanced: Bool, compiledIn: Bool, _ state: ITS.State) -> Int {
        let move = ITS.lastMove
        var failures = 0
        if compiledIn {
            if move.cpu != cpu.index || move.up != up { failures += 1 }
            let wanted = !up && !ITS.bulkMovesAllowed ? move.perLPI : move.lowerBound
            if balanced && move.commands != wanted { failures += 1 }
        }
        let online = CPUs.online
        var perCPU = [Int](repeating: 0, count: ITS.primaryCollection.count)
        for event in 0 ..< ITS.mappedEvents { perCPU[ITS.cpu(ofEvent: event)] += 1 }
        var lowest = Int.max
        var highest = 0
        for index in 0 ..< perCPU.count {
            if !online.contains(LogicalCPU(index)) {
                if compiledIn && perCPU[index] != 0 { failures += 1 }
                continue
            }
            lowest = Swift.min(lowest, perCPU[index])
            highest = Swift.max(highest, perCPU[index])
        }
        if compiledIn && balanced && highest - lowest > 1 { failures += 1 }
        Console.line { out in
            if failures > 0 { out.write("FAIL: ") }
            let event: StaticString = up ? "lpi check online cpu " : "lpi check offline cpu "
            out.write(event, cpu.index)
            out.write(": ", move.commands)
            out.write(" move commands (MOVI ", move.movi)
            out.write(", MAPC ", move.mapc)
            out.write(", MOVALL ", move.movall)
            out.write("), lower bound ", move.lowerBound)
            out.write(", ", Int(move.ticks))
            out.write(" ticks, LPIs per cpu")
            for count in perCPU { out.write(" ", count) }
        }
        return failures
    }

    /// Fires every LPI once more and checks each has now been handled
    /// `expected` times (plus its probes), the last on its collection's CPU.
    static func round(_ expected: Int, _ extra: [Int], _ state: ITS.State) -> Int {
        let events = ITS.mappedEvents
        let commandsBefore = ITS.commandsIssued.count
        guard ITS.fire(0 ..< events) else {
            Console.line("FAIL: lpi check: the INT commands were not all read by the ITS")
            return 1
        }
        let commands = ITS.commandsIssued.count - commandsBefore
        var wantedTotal = 0
        for event in 0 ..< events { wantedTotal += expected + extra[event] }
        var handledTotal = 0
        _ = Deadline.wait(milliseconds: 5000, for: .otherCPUs) {
            handledTotal = 0
            for event in 0 ..< events { handledTotal += Int(ITS.handled.load(event)) }
            return handledTotal >= wantedTotal
        }
        var failures = 0
        let online = CPUs.online
        for event in 0 ..< events {
            let count = Int(ITS.handled.load(event))
            let cpu = ITS.cpu(ofEvent: event)
            let on = Int(ITS.handledOn.load(event))
            if count != expected + extra[event] || on != cpu || !online.contains(LogicalCPU(cpu)) {
                failures += 1
                if failures <= 8 {
                    Console.line { out in
                        out.write("FAIL: LPI ", LPITableSizing.firstLPI + event)
                        out.write(": handled ", count)
                        out.write(" times, last on cpu ", on)
                        out.write(", its collection targets cpu ", cpu)
                    }
                }
            }
        }
        Console.line { out in
            out.write("lpi check round ", expected)
            out.write(" (", online.count)
            out.write(" cpus online)")
            out.write(": fired ", events)
            out.write(" with ", commands)
            out.write(" INT commands, handled ", handledTotal)
            out.write(" in all, per cpu")
            for cpu in 0 ..< ITS.handledPerCPU.count {
                out.write(" ", Int(ITS.handledPerCPU.load(cpu)))
            }
            out.write("; ", failures)
            out.write(" LPIs not handled exactly once more on their collection's cpu")
        }
        return failures
    }
}
