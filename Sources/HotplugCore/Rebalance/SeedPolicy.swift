/// The patch's policy (`POLICY=seed`), reproduced exactly: Xen's
/// `rebalance_irqs` and `balance_irq` from "arm/irq: Migrate IRQs during CPU
/// up/down operations" (v6 2/5).
///
/// Every SPI, then every extended SPI, in INTID order; skipped: no handler,
/// guest-bound, move pending; on a CPU going down, also skipped unless the
/// requested mask contains that CPU or the interrupt is routed to it (see
/// below). Each other descriptor gets the next
/// online CPU from one global round-robin cursor (`cpumask_cycle`) and goes
/// through set-affinity with that one CPU as its mask, so its requested mask
/// becomes that CPU and the router is written even when the target is the
/// same as before. On a CPU coming up every eligible descriptor is re-spread.
///
/// The patch's gap, kept here on purpose: a descriptor whose move was
/// deferred to a CPU (its handler running on another) is skipped when that
/// CPU goes down, so its pending move stays aimed at an offline CPU until
/// its end of interrupt, where `AffinitySetting.completeDeferredMove` falls
/// back to an online CPU. Nothing is misrouted meanwhile, but the kernel's
/// invariant check reports it; `BalancedPolicy` re-aims such moves.
///
/// One rule added to the patch, so that no interrupt is left on an offline
/// CPU: on the way down, a descriptor routed to the dying CPU moves even if
/// its requested mask does not name that CPU. The patch's test of the mask
/// stands for "routed there" only while every descriptor is routed inside
/// its mask, which the patch alone keeps; a descriptor is routed outside it
/// when no CPU of the mask was online at the time (its affinity broken by an
/// end of interrupt, `AffinitySetting.completeDeferredMove`, or by
/// `BalancedPolicy` before a switch of policy at run time). Without the rule
/// such a descriptor stays routed to the CPU that went down and is never
/// delivered again. `PatchReferenceModel` states the same rule.
public struct SeedPolicy: RebalancePolicy {
    /// Xen's `static int cpu_next`: the CPU picked last. Starts at 0, so the
    /// first pick is the first online CPU after CPU 0.
    public var cpuNext: Int

    public init(cpuNext: Int = 0) {
        self.cpuNext = cpuNext
    }

    public mutating func rebalance<Store: DescriptorStore, Router: InterruptRouter>(
        from cpu: LogicalCPU,
        up: Bool,
        online: CPUMask,
        store: Store,
        router: inout Router
    ) -> RebalanceOutcome {
        var outcome = RebalanceOutcome.none
        if online.isEmpty {
            return outcome
        }
        for index in 0 ..< store.count {
            outcome.descriptorsExamined += 1
            let change = store.withDescriptor(at: index) { descriptor -> AffinityChange in
                guard descriptor.hasHandler,
                      !descriptor.status.contains(.guestBound),
                      !descriptor.status.contains(.movePending) else {
                    return .unchanged
                }
                if !up && !descriptor.requestedAffinity.contains(cpu) && descriptor.effectiveTarget != cpu {
                    return .unchanged
                }
                // Never nil: `online` is not empty.
                let next = online.cycle(afterIndex: cpuNext)!
                cpuNext = next.index
                return AffinitySetting.setAffinity(&descriptor, to: CPUMask(single: next),
                                                   online: online, router: &router)
            }
            outcome.record(change)
        }
        return outcome
    }
}
