import HotplugCore

/// Guest-bound physical SPIs (Xen's model): each belongs to one vCPU and
/// is routed (`GICD_IROUTER`) to that vCPU's pCPU. Taken at EL2, it gets a
/// priority drop only — EOImode 1 leaves it active — and is presented to
/// its vCPU in a list register with the hardware bit and its physical
/// INTID, so the guest's own EOI deactivates the physical interrupt (IHI
/// 0069, the list registers' HW bit). A vCPU that is not loaded
/// on the pCPU that took it gets it queued, and takes it when it next runs.
///
/// Exactly once: from the EL2 acknowledge until the guest's deactivation
/// the physical SPI is active, so the distributor holds any new edge
/// pending and delivers nothing; meanwhile the one instance is either
/// waiting in its vCPU's `VirtualInterruptQueue` or in one list register of its vCPU,
/// which is saved and restored with the vCPU. Nothing is ever in both.
///
/// Moves: when the scheduler moves a vCPU its SPIs are routed to the new
/// pCPU at once, in flight or not (`route`). An SPI's active state is the
/// distributor's, not a CPU interface's (IHI 0069: only SGIs and PPIs keep
/// their state per PE, in the redistributors; ICC_DIR_EL1's description
/// has an SPI "de-activated by the Distributor"; QEMU's commit 7175a562
/// made its GICv2 model agree, for exactly this Xen case), so the guest's EOI on the new pCPU deactivates it
/// as well as one on the old would, and a new edge meanwhile waits pending
/// at the distributor for the new route. Unlike Xen's
/// GIC_IRQ_GUEST_MIGRATING, which keeps the old route until the guest's EOI
/// is seen, no guest-bound SPI is ever routed to a pCPU that is offline.
enum GuestInterrupts {
    /// The priority list registers present guest interrupts with.
    static let priority: UInt8 = 0xA0

    /// Per INTID below 1020: whether it is guest-bound, so that the IRQ path
    /// answers "not a guest's" for every other interrupt without taking the
    /// scheduler's lock (the storm's SPIs would all meet there). Set by
    /// `bind` on the boot CPU before the SPI is enabled at the distributor
    /// (whose acknowledge on another CPU follows that device write), and
    /// never cleared.
    nonisolated(unsafe) private static let isBound: UnsafeMutablePointer<Bool> = {
        let table = UnsafeMutablePointer<Bool>.allocate(capacity: 1020)
        table.initialize(repeating: false, count: 1020)
        return table
    }()

    /// Binds `id` to `vcpu` and routes it to the vCPU's pCPU; the caller
    /// configured and enabled it in the distributor.
    static func bind(_ id: InterruptID, to vcpu: VCPUID) {
        precondition(id.isShared && id.rawValue < 1020, "GuestInterrupts.bind: an SPI below 1020")
        isBound[Int(id.rawValue)] = true
        Scheduler.lock.withLock { state in
            state.bindings[state.bindingCount] = GuestBinding(physical: id, vcpu: VCPUs.index(of: vcpu), taken: 0)
            state.bindingCount += 1
            if let home = state.home(of: VCPUs.index(of: vcpu)) {
                Machine.current.distributor.route(id, to: Machine.current.affinity(of: home))
            }
        }
    }

    /// The IRQ path's question for every INTID it acknowledges at EL2: is
    /// it a guest's (or the scheduler's slice timer)? If so it is served
    /// here — presented or queued, priority dropped — and true comes back.
    static func take(_ id: InterruptID, on cpu: LogicalCPU) -> Bool {
        if id == Hypervisor.sliceTimer {
            GenericTimer.stop(.el2Physical)
            Scheduler.lock.withLock { $0.sliceOver[cpu.index] = true }
            CPUInterface.endOfInterrupt(id)
            return true
        }
        guard id.isShared, id.rawValue < 1020, isBound[Int(id.rawValue)] else { return false }
        var kick: LogicalCPU?
        let bound: Bool = Scheduler.lock.withLock { state in
            guard let binding = state.binding(of: id) else { return false }
            state.bindings[binding].taken += 1
            let vcpu = state.bindings[binding].vcpu
            state.blocked[vcpu] = false
            let value = ListRegister(hardware: id, virtual: id, priority: priority)
            if Int(state.loadedOn[vcpu]) == cpu.index {
                // Loaded here: its list registers are live on this pCPU.
                readBack(vcpu)
                _ = VCPUs.queues[vcpu].retire(from: VCPUs.registers[vcpu].interface)
                admit(id, VCPUs.queues[vcpu].add(value, context: VCPUs.registers[vcpu].interface))
                writeBack(vcpu, injecting: &state)
                return true
            }
            if state.loadedOn[vcpu] < 0 {
                // Saved: its list registers in memory are exact.
                admit(id, VCPUs.queues[vcpu].add(value, context: VCPUs.registers[vcpu].interface))
            } else {
                // Live on another pCPU, which reads them back before it
                // takes what waits: only the queue is checked here.
                admit(id, VCPUs.queues[vcpu].add(value, context: VirtualCPUInterfaceContext(for: VirtualInterfaceRegisters.implementation)))
            }
            let holder = state.loadedOn[vcpu] >= 0 ? LogicalCPU(Int(state.loadedOn[vcpu])) : state.home(of: vcpu)
            if let holder, holder != cpu { kick = holder }
            return true
        }
        guard bound else { return false }
        CPUInterface.dropPriority(id)
        if let kick { Scheduler.wake(kick) }
        return true
    }

    /// A guest-bound SPI is physically active from its EL2 acknowledge to
    /// the guest's deactivation, so it can neither wait twice nor be in a
    /// list register when taken again; the queue holds one of each at most.
    private static func admit(_ id: InterruptID, _ admission: VirtualInterruptAdmission) {
        guard admission != .queued else { return }
        Console.line { out in
            out.write("error: guest-bound INTID ", Int(id.rawValue))
            out.write(" taken while already with its vcpu")
        }
    }

    /// The loaded vCPU's live list registers (on the calling pCPU) read into
    /// its context: what the guest acknowledged and deactivated since entry.
    static func readBack(_ vcpu: Int) {
        let registers = VCPUs.registers + vcpu
        for index in 0 ..< registers.pointee.interface.listRegisterCount {
            registers.pointee.interface.listRegisters[index] = ListRegister(rawValue: arch_read_ich_lr(UInt64(index)))
        }
    }

    /// What waits goes into the free list registers of the loaded vCPU, and
    /// each list register that changed is written (only those: one write per
    /// interrupt presented).
    static func writeBack(_ vcpu: Int, injecting state: inout Scheduling) {
        let registers = VCPUs.registers + vcpu
        let before = registers.pointee.interface
        VCPUs.queues[vcpu].inject(into: &registers.pointee.interface)
        for index in 0 ..< before.listRegisterCount
        where registers.pointee.interface.listRegisters[index] != before.listRegisters[index] {
            arch_write_ich_lr(UInt64(index), registers.pointee.interface.listRegisters[index].rawValue)
        }
    }

    /// On the pCPU where `vcpu` is loaded, before it re-enters: its list
    /// registers read back, the deactivated ones retired, what waits put in.
    static func update(_ vcpu: Int, _ state: inout Scheduling) {
        readBack(vcpu)
        _ = VCPUs.queues[vcpu].retire(from: VCPUs.registers[vcpu].interface)
        writeBack(vcpu, injecting: &state)
    }

    /// How many times `id` was acknowledged at EL2 so far.
    static func takenCount(_ id: InterruptID) -> Int {
        Scheduler.lock.withLock { state in state.binding(of: id).map { state.bindings[$0].taken } ?? 0 }
    }

    /// Routes every SPI of `vcpu` to `cpu` (its new pCPU).
    static func route(vcpu: Int, to cpu: LogicalCPU, _ state: borrowing Scheduling) {
        let affinity = Machine.current.affinity(of: cpu)
        for index in 0 ..< state.bindingCount where state.bindings[index].vcpu == vcpu {
            Machine.current.distributor.route(state.bindings[index].physical, to: affinity)
        }
    }
}
