import HotplugCore

/// Set-affinity from the console or a job, on any CPU: record
/// the requested mask and route to one online CPU of it, under the
/// descriptor's lock (the pure `AffinitySetting` does the work). If the
/// interrupt's handler is running somewhere, the move is deferred to its end
/// of interrupt.
enum InterruptAffinity {
    enum Refusal: Error {
        /// The GIC does not implement this INTID.
        case notImplemented(InterruptID)
        /// A guest's interrupt: not ours to move.
        case guestBound(InterruptID)
        /// No CPU of the mask is online; nothing changed.
        case noOnlineCPU(InterruptID, CPUMask)

        func describe(_ out: inout ConsoleWriter) {
            switch self {
            case .notImplemented(let id):
                out.write("INTID ", Int(id.rawValue))
                out.write(" is not implemented by this GIC (SPIs ")
                InterruptAffinity.describeRange(&out)
                out.write(")")
            case .guestBound(let id):
                out.write("INTID ", Int(id.rawValue))
                out.write(" is bound to a guest; its affinity is the guest's")
            case .noOnlineCPU(let id, let mask):
                out.write("no cpu of '")
                out.write(mask.cpuList)
                out.write("' is online; INTID ", Int(id.rawValue))
                out.write(" keeps its affinity")
            }
        }
    }

    static func describeRange(_ out: inout ConsoleWriter) {
        let layout = InterruptDescriptors.store.layout
        if let spis = layout.spis {
            out.decimal(Int(spis.lowerBound))
            out.write("-", Int(spis.upperBound))
        }
        if let extended = layout.extendedSPIs {
            out.write(", eSPIs ", Int(extended.lowerBound))
            out.write("-", Int(extended.upperBound))
        }
    }

    /// Whether the GIC implements `id` as an SPI or eSPI.
    static func isImplemented(_ id: InterruptID) -> Bool {
        InterruptDescriptors.store.layout.index(of: id) != nil
    }

    /// Sets `id`'s affinity to `mask`. The target within the mask: for the
    /// balanced policy the least loaded online CPU, counting loads without
    /// `id` itself and keeping its current CPU on a tie (so a change never
    /// unbalances); for the seed policy the first online CPU, as Xen's GIC
    /// driver picks.
    static func set(_ id: InterruptID, to mask: CPUMask) -> Result<AffinityChange, Refusal> {
        guard isImplemented(id) else { return .failure(.notImplemented(id)) }
        let change: AffinityChange? = InterruptMigration.routingLock.withLock { state in
            let balanced = state.policy.inForce == .balanced
            var load = balanced ? Invariants.load() : CPULoad()
            let online = CPUs.online
            var router = GICRouter()
            return InterruptDescriptors.store.withDescriptor(for: id) { descriptor in
                if descriptor.status.contains(.guestBound) { return nil }
                let current = descriptor.isMovable ? descriptor.effectiveTarget : nil
                if let current { load.remove(current) }
                return AffinitySetting.setAffinity(&descriptor, to: mask, online: online,
                                                   choose: { candidates in
                                                       guard balanced, let least = load.leastLoaded(in: candidates) else {
                                                           return candidates.first
                                                       }
                                                       if let current, candidates.contains(current), load[current] <= load[least] {
                                                           return current
                                                       }
                                                       return least
                                                   },
                                                   router: &router)
            } ?? nil
        }
        guard let change else { return .failure(.guestBound(id)) }
        if change == .noOnlineCPUInMask { return .failure(.noOnlineCPU(id, mask)) }
        return .success(change)
    }
}
