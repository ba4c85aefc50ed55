/// The LPI delivery check (`lpi-check` on the command line): every kernel
/// LPI made pending once with the ITS `INT` command, then each checked to
/// have been acknowledged exactly once, on the CPU its collection names
/// (the counters are written on the IRQ path by the acknowledging CPU:
/// the hardware's answer, not the kernel's table).
enum LPICheck {
    /// Fires every LPI and checks its delivery; returns the failures.
    static func run() -> Int {
        guard let state = ITS.state else {
            Console.line("FAIL: lpi check: no LPIs (no ITS, or it was not set up)")
            return 1
        }
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
            return handledTotal >= events
        }
        var failures = 0
        for event in 0 ..< events {
            let count = Int(ITS.handled.load(event))
            let expected = Int(ITS.collectionOf.load(event))
            let on = Int(ITS.handledOn.load(event)) - 1
            if count != 1 || on != expected {
                failures += 1
                if failures <= 8 {
                    Console.line { out in
                        out.write("FAIL: LPI ", LPITableSizing.firstLPI + event)
                        out.write(": handled ", count)
                        out.write(" times, last on cpu ", on)
                        out.write(", its collection names cpu ", expected)
                    }
                }
            }
        }
        Console.line { out in
            out.write("lpi check: fired ", events)
            out.write(" with ", commands)
            out.write(" INT commands, handled ", handledTotal)
            out.write(", per cpu")
            for cpu in 0 ..< ITS.handledPerCPU.count {
                out.write(" ", Int(ITS.handledPerCPU.load(cpu)))
            }
        }
        Console.line { out in
            out.write("lpi check: ")
            out.write(failures == 0 ? "passed" : "FAILED")
            out.write(" (", failures)
            out.write(" LPIs not handled exactly once on their collection's cpu)")
        }
        return failures
    }
}
