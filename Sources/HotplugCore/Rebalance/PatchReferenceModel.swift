/// A deliberately plain restatement of the patch ("arm/irq: Migrate IRQs
/// during CPU up/down operations", v6 2/5), sharing no code with
/// `SeedPolicy`, used to predict the seed policy's routing after any
/// sequence of events: by the host tests, and by the image to check what it
/// reads back from `GICD_IROUTER`.
///
/// Each step is commented with the line of the patch it mirrors. Two rules
/// are not in the patch itself but in the rest of the series as this
/// project states it: set-affinity on an in-progress interrupt records a
/// pending move instead of writing, and end of interrupt applies that move
/// to a CPU that is online then (`AffinitySetting.completeDeferredMove`).
/// A third is this project's own (see `SeedPolicy`): on the way down an
/// interrupt routed to the dying CPU moves even when its mask does not name
/// that CPU, so that none is left on an offline CPU.
public struct PatchReferenceModel {
    /// One shared interrupt, as the patch sees it.
    public struct Interrupt: Equatable {
        /// `desc->action != NULL`.
        public var hasHandler: Bool
        /// `test_bit(_IRQ_GUEST, &desc->status)`.
        public var guestBound: Bool
        /// `test_bit(_IRQ_MOVE_PENDING, &desc->status)`.
        public var movePending: Bool
        /// The handler is running (the move is deferred to end of interrupt).
        public var inProgress: Bool
        /// `desc->affinity`.
        public var affinity: CPUMask
        /// The CPU `GICD_IROUTER` names; `nil` if never written.
        public var target: LogicalCPU?
        /// Where a pending move goes at end of interrupt.
        public var deferredTarget: LogicalCPU?

        public init(hasHandler: Bool, guestBound: Bool = false, movePending: Bool = false,
                    inProgress: Bool = false, affinity: CPUMask, target: LogicalCPU?,
                    deferredTarget: LogicalCPU? = nil) {
            self.hasHandler = hasHandler
            self.guestBound = guestBound
            self.movePending = movePending
            self.inProgress = inProgress
            self.affinity = affinity
            self.target = target
            self.deferredTarget = deferredTarget
        }
    }

    /// Every SPI, then every extended SPI, in INTID order: the order of the
    /// patch's two `for ( irq = ... )` loops.
    public var interrupts: [Interrupt]

    /// `static int cpu_next;` (zero-initialised, as a C static is).
    public var cpuNext: Int = 0

    /// Router writes so far (each `irq_set_affinity` that reached the GIC
    /// driver, and each move applied at end of interrupt).
    public var routeWrites: Int = 0

    public init(interrupts: [Interrupt]) {
        self.interrupts = interrupts
    }

    /// A model of the descriptors of `store` as they are now.
    public init<Store: DescriptorStore>(snapshotOf store: Store) {
        var interrupts: [Interrupt] = []
        for index in 0 ..< store.count {
            let descriptor = store.withDescriptor(at: index) { $0 }
            interrupts.append(Interrupt(hasHandler: descriptor.hasHandler,
                                        guestBound: descriptor.status.contains(.guestBound),
                                        movePending: descriptor.status.contains(.movePending),
                                        inProgress: descriptor.status.contains(.inProgress),
                                        affinity: descriptor.requestedAffinity,
                                        target: descriptor.effectiveTarget,
                                        deferredTarget: descriptor.deferredTarget))
        }
        self.init(interrupts: interrupts)
    }

    /// `void rebalance_irqs(unsigned int from, bool up)`; `online` is
    /// `cpu_online_map` at the time of the call.
    public mutating func rebalanceIRQs(from: LogicalCPU, up: Bool, online: CPUMask) {
        // if ( cpumask_empty(&cpu_online_map) ) return;
        if online.isEmpty {
            return
        }
        // for ( irq = NR_LOCAL_IRQS; irq < NR_IRQS; irq++ ) balance_irq(irq, from, up);
        // for ( irq = ESPI_BASE_INTID; irq < ESPI_MAX_INTID; irq++ ) balance_irq(irq, from, up);
        for index in 0 ..< interrupts.count {
            balanceIRQ(index, from: from, up: up, online: online)
        }
    }

    /// `static void balance_irq(int irq, unsigned int from, bool up)`.
    mutating func balanceIRQ(_ index: Int, from: LogicalCPU, up: Bool, online: CPUMask) {
        let irq = interrupts[index]
        // if ( likely(!desc->action) ) goto out;
        if !irq.hasHandler {
            return
        }
        // if ( likely(test_bit(_IRQ_GUEST, ...) || test_bit(_IRQ_MOVE_PENDING, ...)) ) goto out;
        if irq.guestBound || irq.movePending {
            return
        }
        // if ( !up && !cpumask_test_cpu(from, desc->affinity) ) goto out;
        // (this project's rule: unless the interrupt is routed to `from`)
        if !up && !irq.affinity.contains(from) && irq.target != from {
            return
        }
        // cpu_next = cpumask_cycle(cpu_next, &cpu_online_map);
        cpuNext = PatchReferenceModel.cpumaskCycle(cpuNext, online)
        // irq_set_affinity(desc, cpumask_of(cpu_next));
        irqSetAffinity(index, cpu: LogicalCPU(cpuNext))
    }

    /// `irq_set_affinity(desc, cpumask_of(cpu))`: the mask becomes that CPU;
    /// the GIC driver writes the router (even to the same CPU) unless the
    /// interrupt is in progress, when the move waits for end of interrupt.
    mutating func irqSetAffinity(_ index: Int, cpu: LogicalCPU) {
        interrupts[index].affinity = CPUMask(single: cpu)
        if interrupts[index].inProgress {
            interrupts[index].movePending = true
            interrupts[index].deferredTarget = cpu
        } else {
            interrupts[index].target = cpu
            routeWrites += 1
        }
    }

    /// `cpumask_cycle(n, mask)`: the first CPU of `mask` after `n`, wrapping
    /// round to the first CPU of `mask`. Spelt out with `contains` only.
    static func cpumaskCycle(_ n: Int, _ mask: CPUMask) -> Int {
        var cpu = n + 1
        while cpu < CPUMask.capacity {
            if mask.contains(LogicalCPU(cpu)) {
                return cpu
            }
            cpu += 1
        }
        cpu = 0
        while cpu < CPUMask.capacity {
            if mask.contains(LogicalCPU(cpu)) {
                return cpu
            }
            cpu += 1
        }
        return CPUMask.capacity    // empty mask: Xen's nr_cpu_ids; never reached here
    }

    /// The handler of interrupt `index` starts (it was acknowledged).
    public mutating func handlerStarts(_ index: Int) {
        interrupts[index].inProgress = true
    }

    /// End of interrupt for `index`: the handler is done, and a pending move
    /// is written, to the recorded CPU if it is online (and in the mask, or
    /// no CPU of the mask is online), else to the lowest online CPU of the
    /// mask, else to the lowest online CPU.
    public mutating func endOfInterrupt(_ index: Int, online: CPUMask) {
        interrupts[index].inProgress = false
        if !interrupts[index].movePending || online.isEmpty {
            return
        }
        let irq = interrupts[index]
        let maskHasOnlineCPU = PatchReferenceModel.lowestCPU(in: irq.affinity, online: online) != nil
        var target: Int
        if let recorded = irq.deferredTarget, online.contains(recorded),
           irq.affinity.contains(recorded) || !maskHasOnlineCPU {
            target = recorded.index
        } else if let lowest = PatchReferenceModel.lowestCPU(in: irq.affinity, online: online) {
            target = lowest
        } else {
            target = PatchReferenceModel.lowestCPU(in: online, online: online)!
        }
        interrupts[index].movePending = false
        interrupts[index].deferredTarget = nil
        interrupts[index].target = LogicalCPU(target)
        routeWrites += 1
    }

    /// The lowest CPU in both masks, found with `contains` only.
    static func lowestCPU(in mask: CPUMask, online: CPUMask) -> Int? {
        for cpu in 0 ..< CPUMask.capacity where mask.contains(LogicalCPU(cpu)) && online.contains(LogicalCPU(cpu)) {
            return cpu
        }
        return nil
    }
}
