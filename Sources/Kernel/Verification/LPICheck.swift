/// The LPI delivery check (`lpi-check` on the command line): every kernel
/// LPI made pending once with the ITS `INT` command, then each checked to
/// have been acknowledged exactly once, on the CPU its collection names
/// (the counters are written on the IRQ path by the acknowledging CPU:
/// the hardware's answer, not the kernel's table). Then every CPU but the
/// boot CPU goes offline and back, and the LPIs are fired again: a CPU
/// that comes back keeps its redistributor's LPI tables.
enum LPICheck {
    /// Runs both rounds; returns the failures.
    static func run() -> Int {
        guard let state = ITS.state else {
            Console.line("FAIL: lpi check: no LPIs (no ITS, or it was not set up)")
            return 1
        }
        var failures = round(1, state)
        let machine = Machine.current!
        let keptBefore = ITS.tablesKept.count
        var cycled = 0
        for index in 0 ..< machine.cpuCount where LogicalCPU(index) != machine.bootCPU {
            let cpu = LogicalCPU(index)
            guard case .success = Hotplug.takeOffline(cpu), case .success = Hotplug.bringOnline(cpu) else {
                Console.line { out in out.write("FAIL: lpi check: cpu ", index); out.write(" did not go offline and back") }
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
        failures += round(2, state)
        CheckSummary.print("lpi check", failures: failures)
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
        for event in 0 ..< events {
            let count = Int(ITS.handled.load(event))
            let collection = Int(ITS.collectionOf.load(event))
            let on = Int(ITS.handledOn.load(event)) - 1
            if count != expected || on != collection {
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
