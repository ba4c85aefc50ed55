/// What a routing operation on one descriptor did.
public enum AffinityChange: Equatable, Sendable {
    /// One `GICD_IROUTER` write: the interrupt now goes to this CPU, which is
    /// in its requested mask.
    case routed(LogicalCPU)
    /// One `GICD_IROUTER` write to a CPU outside the requested mask, because
    /// none of the mask's CPUs is online; `affinityBroken` is now set.
    case routedOutsideMask(LogicalCPU)
    /// The interrupt is in progress: the move to this CPU is recorded
    /// (`.movePending`, `deferredTarget`) and written at end of interrupt.
    case deferred(LogicalCPU)
    /// Set-affinity refused a mask with no online CPU; nothing changed.
    case noOnlineCPUInMask
    /// Nothing to do (no pending move at end of interrupt, or no CPU online
    /// at all); nothing changed.
    case unchanged

    /// Whether `GICD_IROUTER` was written.
    public var wroteRouter: Bool {
        switch self {
        case .routed, .routedOutsideMask: return true
        case .deferred, .noOnlineCPUInMask, .unchanged: return false
        }
    }

    /// The CPU the interrupt is (or, when deferred, will be) routed to.
    public var target: LogicalCPU? {
        switch self {
        case .routed(let cpu), .routedOutsideMask(let cpu), .deferred(let cpu): return cpu
        case .noOnlineCPUInMask, .unchanged: return nil
        }
    }
}

/// Routing of one descriptor: set-affinity, the move at end of interrupt,
/// and the plain retarget the balanced policy uses.
///
/// Calling context for every function here: the caller holds `descriptor`'s
/// lock (see `DescriptorStore`), and `online` is the online mask as it is at
/// that moment. None of them allocates.
public enum AffinitySetting {
    /// Set-affinity (Xen's `irq_set_affinity`): records `mask` as the
    /// requested affinity and routes the interrupt to one online CPU of it,
    /// picked by `choose` from `mask ∩ online` (by default its lowest CPU,
    /// which for a one-CPU mask is that CPU).
    ///
    /// The router is written even when the target does not change, as Xen's
    /// GICv3 driver does; the seed policy's write count depends on it.
    /// If the interrupt is in progress the move is deferred to end of
    /// interrupt (`.movePending` + `deferredTarget`) and nothing is written.
    /// If `mask ∩ online` is empty (or `choose` returns a CPU outside it) the
    /// descriptor is left unchanged and `.noOnlineCPUInMask` is returned.
    public static func setAffinity<Router: InterruptRouter>(
        _ descriptor: inout InterruptDescriptor,
        to mask: CPUMask,
        online: CPUMask,
        choose: (CPUMask) -> LogicalCPU? = { $0.first },
        router: inout Router
    ) -> AffinityChange {
        let candidates = mask.intersection(online)
        guard let cpu = choose(candidates), candidates.contains(cpu) else {
            return .noOnlineCPUInMask
        }
        descriptor.requestedAffinity = mask
        descriptor.affinityBroken = false
        return retarget(&descriptor, to: cpu, router: &router)
    }

    /// Moves the interrupt to `cpu` without touching its requested mask: one
    /// router write, or a deferred move if it is in progress. Sets or clears
    /// nothing else; the caller decides about `affinityBroken`.
    ///
    /// - Precondition: `cpu` is online (the caller's check).
    public static func retarget<Router: InterruptRouter>(
        _ descriptor: inout InterruptDescriptor,
        to cpu: LogicalCPU,
        router: inout Router
    ) -> AffinityChange {
        if descriptor.status.contains(.inProgress) {
            descriptor.status.insert(.movePending)
            descriptor.deferredTarget = cpu
            return .deferred(cpu)
        }
        router.route(descriptor.id, to: cpu)
        descriptor.effectiveTarget = cpu
        return .routed(cpu)
    }

    /// The move recorded while the interrupt was in progress, applied at its
    /// end of interrupt (after its handler has returned; the caller clears
    /// `.inProgress`, before or after this call).
    ///
    /// The target is the recorded `deferredTarget` if it is still online
    /// (and in the requested mask, unless no CPU of the mask is online);
    /// otherwise (the CPU went offline meanwhile) the lowest online CPU of the
    /// requested mask; otherwise the lowest online CPU, with `affinityBroken`
    /// set. Clears `.movePending` and `deferredTarget`. Without a pending move,
    /// or with no CPU online at all, nothing changes.
    public static func completeDeferredMove<Router: InterruptRouter>(
        _ descriptor: inout InterruptDescriptor,
        online: CPUMask,
        router: inout Router
    ) -> AffinityChange {
        guard descriptor.status.contains(.movePending), let fallback = online.first else {
            return .unchanged
        }
        descriptor.status.remove(.movePending)
        let recorded = descriptor.deferredTarget
        descriptor.deferredTarget = nil

        let inMask = descriptor.requestedAffinity.intersection(online)
        let target: LogicalCPU
        if let recorded, online.contains(recorded),
           descriptor.requestedAffinity.contains(recorded) || inMask.isEmpty {
            target = recorded
        } else if let first = inMask.first {
            target = first
        } else {
            target = fallback
        }
        // Outside the mask only when no CPU of the mask is online.
        let honoursMask = descriptor.requestedAffinity.contains(target)
        descriptor.affinityBroken = !honoursMask
        router.route(descriptor.id, to: target)
        descriptor.effectiveTarget = target
        return honoursMask ? .routed(target) : .routedOutsideMask(target)
    }
}
