import HotplugCore

/// The hypervisor's start: domains made and their vCPUs placed, and each
/// pCPU's EL2 part of joining.
enum Hypervisor {
    /// The EL2 physical timer's PPI (the device tree's "arm,armv8-timer"):
    /// the scheduler's slice. Set once at start, read-only afterwards.
    nonisolated(unsafe) static var sliceTimer = InterruptID(1023)

    /// Domains and vCPUs a machine may have here.
    static let maximumDomains = 8

    /// Why the guests cannot start, said in one line.
    enum StartError: Error {
        case counts
        case memory(GuestMemory.AllocationError)
        case noTimer
        case stageTwo
    }

    /// Makes `domains` domains of `vcpusPerDomain` vCPUs each, each with its
    /// own RAM (from the device tree's memory), stage-2 map, VMID and a copy
    /// of the guest kernel, and places the vCPUs round robin on the online
    /// pCPUs other than `console`'s (which never idles). Boot CPU, once,
    /// after every pCPU is online and before any runs a guest.
    static func start(domains: Int, vcpusPerDomain: Int, console: LogicalCPU) -> Result<Void, StartError> {
        guard domains >= 1, domains <= maximumDomains, vcpusPerDomain >= 1, vcpusPerDomain <= GuestLayout.maximumVCPUs,
              domains * vcpusPerDomain <= VCPUPlacement.capacity else { return .failure(.counts) }
        guard let timer = Machine.current.platform.timer else { return .failure(.noTimer) }
        sliceTimer = GenericTimer.interrupt(of: .el2Physical, in: timer)
        let memory: [UInt64]
        switch GuestMemory.allocate(domains, in: Machine.current.platform) {
        case .success(let bases): memory = bases
        case .failure(let error): return .failure(.memory(error))
        }
        let implementation = VirtualInterfaceRegisters.implementation
        VCPUs.perDomain = vcpusPerDomain
        VCPUs.count = domains * vcpusPerDomain
        VCPUs.domainCount = domains
        VCPUs.domains = UnsafeMutablePointer<Domain>.allocate(capacity: domains)
        VCPUs.registers = UnsafeMutablePointer<VCPURegisters>.allocate(capacity: VCPUs.count)
        VCPUs.queues = UnsafeMutablePointer<VirtualInterruptQueue>.allocate(capacity: VCPUs.count)
        VCPUs.queues.initialize(repeating: VirtualInterruptQueue(), count: VCPUs.count)
        for index in 0 ..< domains {
            GuestMemory.load(into: memory[index])
            guard let base = StageTwo.map(memory: memory[index], vmid: UInt8(index + 1)) else { return .failure(.stageTwo) }
            (VCPUs.domains + index).initialize(to: Domain(
                index: index, memory: memory[index], translationTableBase: base,
                firstVCPU: index * vcpusPerDomain, vcpuCount: vcpusPerDomain))
            for vcpu in 0 ..< vcpusPerDomain {
                (VCPUs.registers + index * vcpusPerDomain + vcpu).initialize(to: VCPURegisters(
                    index: vcpu, translationTableBase: base, implementation: implementation))
            }
            arch_write_vttbr(base)
            arch_isb()
            arch_invalidate_guest_tlb()
        }
        var online = CPUs.online
        Scheduler.lock.withLock { state in
            state.reserved = console.index
            let targets = state.available(online: online)
            var cpu = targets.first!
            for index in 0 ..< VCPUs.count {
                state.placement.add(VCPUs.name(of: index), on: cpu)
                cpu = targets.cycle(after: cpu) ?? cpu
            }
        }
        online.remove(console)
        for cpu in online { Scheduler.wake(cpu) }
        return .success(())
    }

    /// A pCPU's EL2 set-up on joining (`CPULifecycle.join`): stage-2
    /// control (`VTCR_EL2`), the slice timer off and its PPI enabled in this
    /// pCPU's redistributor. Interrupts masked.
    static func join(_ cpu: LogicalCPU) {
        arch_write_vtcr(StageTwo.translationControl)
        GenericTimer.stop(.el2Physical)
        if let timer = Machine.current.platform.timer {
            _ = GenericTimer.enablePrivateInterrupt(GenericTimer.interrupt(of: .el2Physical, in: timer), on: cpu)
        }
        arch_isb()
    }
}
