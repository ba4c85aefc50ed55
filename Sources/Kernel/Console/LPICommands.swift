import HotplugCore

/// The console's commands on LPIs (`fire`, `irq-affinity`, the LPI part of
/// `irqs`): the same words as for SPIs, answered through the ITS. An INTID
/// in the LPI range that the ITS does not map is refused with one `error:`
/// line naming the mapped range.
enum LPICommands {
    /// The EventID of `id` when the ITS maps it; otherwise says why not.
    static func event(of id: InterruptID) -> Int? {
        let event = Int(id.rawValue) - LPITableSizing.firstLPI
        guard ITS.isEnabled else {
            Console.line { out in
                out.write("error: INTID ", Int(id.rawValue))
                out.write(" is an LPI, and this machine has no ITS in use (no LPIs)")
            }
            return nil
        }
        guard event >= 0 && event < ITS.mappedEvents else {
            Console.line { out in
                out.write("error: INTID ", Int(id.rawValue))
                out.write(" is not an LPI the ITS maps (LPIs are ", LPITableSizing.firstLPI)
                out.write("-", LPITableSizing.firstLPI + ITS.mappedEvents - 1)
                out.write(")")
            }
            return nil
        }
        return event
    }

    /// Fires the LPI `count` times with the ITS `INT` command, one at a
    /// time (each waits for the previous to be handled), and reports where.
    static func fire(_ id: InterruptID, count: Int) -> Bool {
        guard let event = event(of: id) else { return false }
        let before = Int(ITS.handled.load(event))
        var fired = 0
        for _ in 0 ..< count {
            guard ITS.fire(event ..< event + 1) else { break }
            fired += 1
            _ = Deadline.wait(milliseconds: 500, for: .otherCPUs) { Int(ITS.handled.load(event)) - before >= fired }
        }
        let handled = Int(ITS.handled.load(event)) - before
        Console.line { out in
            out.write("INTID ", Int(id.rawValue))
            out.write(": fired ", fired)
            out.write(", handled ", handled)
            out.write(", on cpu ", Int(ITS.handledOn.load(event)))
            out.write(" (its collection targets cpu ", ITS.cpu(ofEvent: event))
            out.write(")")
        }
        return ConsoleCommands.firingsComplete(id, count: count, fired: fired, handled: handled)
    }

    /// `irq-affinity LPI`: its requested affinity and the CPU its
    /// collection targets.
    static func showAffinity(_ id: InterruptID) -> Bool {
        guard let event = event(of: id) else { return false }
        let mask = ITS.affinity(ofEvent: event)
        let cpu = ITS.cpu(ofEvent: event)
        Console.line { out in
            out.write("INTID ", Int(id.rawValue))
            out.write(": requested ")
            out.write(mask.cpuList)
            out.write(", collection ", Int(ITS.collectionOf.load(event)))
            out.write(" targets cpu ", cpu)
            if !mask.contains(LogicalCPU(cpu)) { out.write(", affinity broken: no cpu of the mask is online") }
        }
        return true
    }

    /// `irq-affinity LPI CPULIST`: as for SPIs (`ITS.setAffinity`).
    static func setAffinity(_ id: InterruptID, _ mask: CPUMask) -> Bool {
        guard let event = event(of: id) else { return false }
        switch ITS.setAffinity(event, to: mask) {
        case .routed(let cpu, let moved):
            Console.line { out in
                out.write("INTID ", Int(id.rawValue))
                out.write(": requested ")
                out.write(mask.cpuList)
                out.write(moved ? ", moved with MOVI to cpu " : ", stays on cpu ", cpu)
            }
            return true
        case .noOnlineCPU:
            Console.line { out in
                out.write("error: INTID ", Int(id.rawValue))
                out.write(": no cpu of ")
                out.write(mask.cpuList)
                out.write(" is online; affinity unchanged")
            }
        case .tooManyAffinities:
            Console.line { out in
                out.write("error: INTID ", Int(id.rawValue))
                out.write(": LPIs already use ", ITS.affinitySlots)
                out.write(" distinct affinities besides the default; affinity unchanged")
            }
        case .failed:
            Console.line { out in
                out.write("error: INTID ", Int(id.rawValue))
                out.write(": the ITS did not take the move; affinity unchanged")
            }
        }
        return false
    }

    /// The LPI part of `irqs`: per CPU the LPIs handled and the LPIs its
    /// collections hold (not one row per LPI), then each LPI with a
    /// requested affinity.
    static func printSummary() {
        guard ITS.isEnabled else { return }
        let cpus = ITS.primaryCollection.count
        let online = CPUs.online
        var owned = [Int](repeating: 0, count: cpus)
        var collections = [Int](repeating: 0, count: cpus)
        for event in 0 ..< ITS.mappedEvents { owned[ITS.cpu(ofEvent: event)] += 1 }
        for icid in 0 ..< ITS.collectionTarget.count where ITS.collectionTarget.load(icid) != ITS.freeCollection {
            collections[Int(ITS.collectionTarget.load(icid))] += 1
        }
        Console.line { out in
            out.write("  LPIs ", LPITableSizing.firstLPI)
            out.write("-", LPITableSizing.firstLPI + ITS.mappedEvents - 1)
            out.write(" (", ITS.mappedEvents)
            out.write(" through the ITS): per cpu")
        }
        Console.line { out in
            out.write("    cpu       handled  LPIs held  collections")
        }
        for cpu in 0 ..< cpus {
            Console.line { out in
                out.write(online.contains(LogicalCPU(cpu)) ? "    CPU" : "    off")
                out.decimal(cpu, width: 3)
                out.decimal(Int(ITS.handledPerCPU.load(cpu)), width: 12)
                out.decimal(owned[cpu], width: 11)
                out.decimal(collections[cpu], width: 13)
            }
        }
        for event in 0 ..< ITS.mappedEvents where ITS.affinityOf.load(event) != 0 {
            let mask = ITS.affinity(ofEvent: event)
            let cpu = ITS.cpu(ofEvent: event)
            Console.line { out in
                out.write("    LPI ", LPITableSizing.firstLPI + event)
                out.write(": requested ")
                out.write(mask.cpuList)
                out.write(mask.contains(LogicalCPU(cpu)) ? ", on cpu " : ", ! on cpu ", cpu)
            }
        }
    }
}
