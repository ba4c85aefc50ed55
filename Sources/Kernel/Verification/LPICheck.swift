/// The LPI delivery check (`lpi-check` on the command line): every kernel
/// LPI made pending once with the ITS `INT` command, then each checked to
/// have been acknowledged exactly once, on the CPU its collection names
/// (the counters are written on the IRQ path by the acknowledging CPU:
/// the hardware's answer, not the kernel's table). Then every CPU but the
/// boot CPU goes offline in turn: while it is offline its LPIs must have
/// moved (MOVI count against the lower bound printed), no collection may
/// name an offline CPU, and every LPI is fired again; then it comes back
/// (its redistributor keeps its LPI tables), and a last round follows.
enum LPICheck {
    /// Runs every round; returns the failures.
    static func run() -> Int {
        guard let state = ITS.state else {
            Console.line("FAIL: lpi check: no LPIs (no ITS, or it was not set up)")
            return 1
        }
        var expected = 1
        var failures = round(expected, state)
        let machine = Machine.current!
        let keptBefore = ITS.tablesKept.count
        var cycled = 0
        for index in 0 ..< machine.cpuCount where LogicalCPU(index) != machine.bootCPU {
            let cpu = LogicalCPU(index)
            guard case .success = Hotplug.takeOffline(cpu) else {
                Console.line { out in out.write("FAIL: lpi check: cpu ", index); out.write(" did not go offline") }
                failures += 1
                continue
            }
            failures += moved(off: cpu, state)
            expected += 1
            failures += round(expected, state)
            guard case .success = Hotplug.bringOnline(cpu) else {
                Console.line { out in out.write("FAIL: lpi check: cpu ", index); out.write(" did not come back") }
                failures += 1
                continue
            }
            cycled += 1
        }
        Console.line { out in
            out.write("lpi check: ", cycled)
            out.write(" cpus offline and back, LPI tables kept (GICR_CTLR.EnableLPIs still set) on ",
                      ITS.tablesKept.count - keptBefore)
        }
        expected += 1
        failures += round(expected, state)
        CheckSummary.print("lpi check", failures: failures)
        return failures
    }

    /// After `cpu` went offline: prints its move (MOVI commands against
    /// the lower bound) and the LPIs per collection; fails when the move
    /// was not recorded for it or a collection still names it.
    static func moved(off cpu: LogicalCPU, _ state: ITS.State) -> Int {
        let move = ITS.lastMove
        var failures = move.cpu == cpu.index && move.movis >= move.lowerBound ? 0 : 1
        var perCPU = [Int](repeating: 0, count: ITS.collectionMapped.count)
        for event in 0 ..< state.events { perCPU[Int(ITS.collectionOf.load(event))] += 1 }
        if perCPU[cpu.index] != 0 { failures += 1 }
        Console.line { out in
            out.write("lpi check offline cpu ", cpu.index)
            out.write(": ", move.movis)
            out.write(" MOVI commands, lower bound ", move.lowerBound)
            out.write(", LPIs per cpu")
            for count in perCPU { out.write(" ", count) }
        }
        return failures
    }

    /// Fires every LPI once more and checks each has now been handled
    /// `expected` times, the last on its collection's CPU.
    static func round(_ expected: Int, _ state: ITS.State) -> Int {
        let events = state.events
        let commandsBefore = ITS.commandsIssued.count
        guard ITS.fire(0 ..< events) else {
            Console.line("FAIL: lpi check: the INT commands were not all read by the ITS")
            return 1
        }
        let commands = ITS.commandsIssued.count - commandsBefore
        var handledTotal = 0
        _ = Deadline.wait(milliseconds: 5000, for: .otherCPUs) {
            handledTotal = 0
            for event in 0 ..< events { handledTotal += Int(ITS.handled.load(event)) }
            return handledTotal >= events * expected
        }
        var failures = 0
        let online = CPUs.online
        for event in 0 ..< events {
            let count = Int(ITS.handled.load(event))
            let collection = Int(ITS.collectionOf.load(event))
            let on = Int(ITS.handledOn.load(event))
            if count != expected || on != collection || !online.contains(LogicalCPU(collection)) {
                failures += 1
                if failures <= 8 {
                    Console.line { out in
                        out.write("FAIL: LPI ", LPITableSizing.firstLPI + event)
                        out.write(": handled ", count)
                        out.write(" times, last on cpu ", on)
                        out.write(", its collection names cpu ", collection)
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
