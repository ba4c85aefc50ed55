import HotplugCore

/// The boot CPU's path through the kernel, from boot/start.S.
///
/// 1. Read the command line and the device tree (early output goes to the
///    semihosting console until the tree names the UART).
/// 2. Turn the MMU on, bring up the GIC and this CPU's GIC interfaces.
/// 3. Bring every other CPU online with PSCI CPU_ON (boot bring-up: no
///    rebalance), then mark the system active.
/// 4. Run the job the command line asks for; return its exit status.
@_cdecl("kernel_main")
func kernelMain(_ entryLevel: UInt64, _ bootStatus: UInt64) -> UInt32 {
    guard cpuInterfaceIsUsable(bootStatus: bootStatus) else { return 2 }

    // Nothing here allocates until the image is known to lie in RAM: the
    // heap is part of the image.
    let platform: PlatformDescription
    switch DeviceTreeBlob.platform() {
    case .success(let found):
        platform = found
    case .failure(let error):
        Console.line { out in
            out.write("error: no usable device tree at the start of RAM (")
            out.hex(linker_ram_start())
            out.write("): ")
            out.write(error.message)
        }
        return 2
    }
    let translation: MMU.Translation
    switch MMU.translation(for: platform) {
    case .success(let built):
        translation = built
    case .failure(.imageOutsideMemory(let placement)):
        Console.line { out in
            out.write("error: the device tree's memory does not hold the image (")
            out.hex(placement.start)
            out.write("-")
            out.hex(placement.end)
            out.write(": code, data, stacks and heap); give the machine more memory")
        }
        return 2
    case .failure(.plan):
        Console.line("error: the device tree's memory map does not fit the identity map")
        return 2
    }
    MMU.switchTo(translation)

    let commandLine = KernelCommandLine.read(into: BootStorage.commandLine)
    Console.attach(PL011(registers: MMIORegion(base: platform.uart.registers.base)))
    Console.line("GICv3 interrupt migration on CPU hotplug -- Embedded Swift image")

    guard let bootCPU = platform.logicalCPU(for: MPIDRAffinity(mpidr: arch_read_mpidr())) else {
        Console.line("error: the boot CPU's MPIDR is not in the device tree")
        return 2
    }
    guard Deadline.configure(commandLine) else { return 2 }
    // The fault-injection build's switches (refused by the default build),
    // then the first PSCI call: PSCI_VERSION, before anything relies on it.
    guard let psciNode = FaultInjection.configure(commandLine, psci: platform.psci),
          let psci = PSCIFirmware.discover(psciNode) else { return 2 }

    let machine = Machine(
        platform: platform,
        distributor: Distributor(base: platform.gic.distributor.base),
        psci: psci,
        translation: translation,
        bootCPU: bootCPU,
        entryLevel: Int(entryLevel))
    Machine.current = machine
    HardwareReport.print(platform, entryLevel: entryLevel)

    FaultInjection.takeDeliberateFault(commandLine)

    if let policy = commandLine.value(of: "policy"), InterruptMigration.isCompiledIn {
        guard let kind = RebalancePolicyKind(parsing: policy) else {
            Console.line { out in
                out.write("error: unknown policy '")
                out.write(bytes: policy)
                out.write("' (policies are ")
                out.write(RebalancePolicyKind.names)
                out.write(")")
            }
            return 2
        }
        _ = InterruptMigration.select(kind)
    }
    let lpis = commandLine.number(of: "lpis") ?? ITS.kernelLPIs
    guard lpis >= 1 && lpis <= ITS.kernelLPIs else {
        Console.line { out in out.write("error: lpis=N takes 1 to ", ITS.kernelLPIs) }
        return 2
    }
    guard bringUpSystem(lpis: lpis) else { return 1 }
    guard LoadEpochClock.configure(commandLine) else { return 2 }
    #if HYPERVISOR
    guard startGuests(commandLine, console: machine.bootCPU) else { return 2 }
    #endif
    // Armed only now, so that boot bring-up never meets them.
    guard FaultInjection.arm(commandLine) else { return 2 }
    Stress.firesLPIs = commandLine.contains(word: "stress-lpis")

    #if HYPERVISOR
    if commandLine.contains(word: "guest-check") {
        return GuestInflightCheck.run() == 0 ? 0 : 1
    }
    #endif
    if commandLine.contains(word: "lpi-check") {
        return LPICheck.run(commandLine) == 0 ? 0 : 1
    }

    if commandLine.contains(word: "load-storm") {
        TestInterrupts.claim()
        _ = InterruptMigration.rebalance(.up(machine.bootCPU))
        return LoadStorm.run() ? 0 : 1
    }

    if commandLine.contains(word: "bench-latency") {
        TestInterrupts.claim()
        return HotplugLatency.run() ? 0 : 1
    }

    if commandLine.contains(word: "bench") {
        TestInterrupts.claim()
        return Benchmark.run(seed: 1) ? 0 : 1
    }

    let interactive = commandLine.contains(word: "console")
    if interactive || !commandLine.script.isEmpty {
        // The console: the kernel's interrupts (and the test SPIs) claimed
        // and spread, then the script and/or the prompt. Does not return.
        TestInterrupts.claim()
        _ = InterruptMigration.rebalance(.up(machine.bootCPU))
        ConsoleShell.start(script: commandLine.script, interactive: interactive)
    }

    var failures = PlatformCheck.run()
    if !commandLine.contains(word: "platform-only") {
        failures += Demonstration.run()
    }
    Console.line { out in
        out.write(failures == 0 ? "result: all checks passed" : "result: FAILED, ")
        if failures != 0 {
            out.decimal(failures)
            out.write(" failed checks")
        }
    }
    return failures == 0 ? 0 : 1
}

/// The GICv3 CPU interface is used through its system registers only
/// (IHI 0069 §12.1): the CPU must implement them (`ID_AA64PFR0_EL1.GIC`),
/// and when the image came from EL2 the boot stub must have been able to
/// open them to EL1 (`ICC_SRE_EL2.SRE` read back as 1). The stub cannot
/// print, so it reports what it found in `bootStatus`.
private func cpuInterfaceIsUsable(bootStatus: UInt64) -> Bool {
    if bootStatus & UInt64(BOOT_STATUS_GIC_SYSTEM_REGISTERS_ABSENT) != 0 {
        Console.line { out in
            out.write("error: this CPU has no GIC system-register interface (ID_AA64PFR0_EL1.GIC = 0); ")
            out.write("the kernel needs a GICv3 CPU interface (QEMU: -M virt,gic-version=3)")
        }
        return false
    }
    if bootStatus & UInt64(BOOT_STATUS_EL2_SRE_DID_NOT_STICK) != 0 {
        Console.line("error: ICC_SRE_EL2.SRE reads back 0: EL2 cannot open the GIC system registers to EL1")
        return false
    }
    return true
}

/// GIC, per-CPU tables, the boot CPU's own interfaces, then every other CPU.
private func bringUpSystem(lpis: Int) -> Bool {
    let machine = Machine.current!
    CPUs.setUp(count: machine.cpuCount)
    Redistributor.setUp(count: machine.cpuCount)
    IdleWork.setUp(count: machine.cpuCount)
    Hotplug.setUp(cpuCount: machine.cpuCount)
    InterruptDescriptors.store = LockedDescriptorStore(layout: InterruptLayout(machine.distributor.type))
    InterruptCounters.setUp(cpuCount: machine.cpuCount)
    SharedInterrupts.setUp()
    CPUStartBlock.setUp(count: machine.cpuCount, translation: machine.translation)
    Stress.setUp(cpuCount: machine.cpuCount)

    guard machine.distributor.initialize(routingTo: machine.affinity(of: machine.bootCPU)) else { return false }
    ITS.setUp(machine)
    guard CPULifecycle.join(machine.bootCPU) else { return false }
    arch_unmask_interrupts()

    var started = 1
    for index in 0 ..< machine.cpuCount where LogicalCPU(index) != machine.bootCPU {
        if case .failure(let error) = Hotplug.bringOnline(LogicalCPU(index)) {
            Console.line { out in
                out.write("error: boot bring-up of cpu ", index)
                out.write(": ")
                error.describe(&out)
            }
        } else {
            started += 1
        }
    }
    Hotplug.markSystemActive()
    ITS.mapKernelLPIs(count: lpis)
    Console.line { out in
        out.write("smp: ", started)
        out.write(" of ", machine.cpuCount)
        out.write(" cpus online (PSCI ")
        PSCIFirmware.writeVersion(machine.psci.version, &out)
        out.write(")")
    }
    return started == machine.cpuCount
}

#if HYPERVISOR
/// The guests the command line asks for (`domains=N vcpus=M`, 2 and 2 by
/// default), started once every pCPU is online; one `error:` line if they
/// cannot be.
private func startGuests(_ commandLine: BootArguments, console: LogicalCPU) -> Bool {
    let domains = commandLine.value(of: "domains") == nil ? 2 : commandLine.number(of: "domains")
    let vcpus = commandLine.value(of: "vcpus") == nil ? 2 : commandLine.number(of: "vcpus")
    let result: Result<Void, Hypervisor.StartError>
    if let domains, let vcpus {
        result = Hypervisor.start(domains: domains, vcpusPerDomain: vcpus, console: console)
    } else {
        result = .failure(.counts)
    }
    switch result {
    case .success:
        // Every vCPU's guest has its CPU interface on before anything is
        // fired at it (its boot marker in the guest record).
        let up = Deadline.wait(milliseconds: 5000, for: .otherCPUs) {
            Scheduler.lendConsoleCPU()
            for index in 0 ..< VCPUs.count {
                let vcpu = VCPUs.name(of: index)
                if !VCPUs.domains[vcpu.domain].record.isUp(vcpu: vcpu.vcpu) { return false }
            }
            return true
        }
        guard up else {
            Console.line { out in
                out.write("error: the guests' vcpus did not all come up within ", Deadline.reported(5000, for: .otherCPUs))
                out.write(" ms (the guest record's boot markers)")
            }
            return false
        }
        Console.line { out in
            out.write("hypervisor: ", domains!)
            out.write(" domains of ", vcpus!)
            out.write(" vcpus, all up; ")
            out.write("list registers ", VirtualInterfaceRegisters.implementation.listRegisterCount)
            out.write(", slice timer INTID ", Int(Hypervisor.sliceTimer.rawValue))
        }
        return true
    case .failure(.counts):
        Console.line { out in
            out.write("error: domains= and vcpus= take 1-", Hypervisor.maximumDomains)
            out.write(" domains of 1-", GuestLayout.maximumVCPUs)
            out.write(" vcpus (at most ", VCPUPlacement.capacity)
            out.write(" vcpus in all)")
        }
    case .failure(.stageTwo):
        Console.line("error: stage-2 tables for the guests cannot be built on this PE (ID_AA64MMFR0_EL1.PARange)")
    case .failure(.noTimer):
        Console.line("error: the device tree names no EL2 physical timer interrupt (arm,armv8-timer)")
    case .failure(.memory(.outOfMemory(let needed, let available))):
        Console.line { out in
            out.write("error: guest memory: ")
            out.hex(needed)
            out.write(" bytes needed above the image, ")
            out.hex(available)
            out.write(" available; give the machine more memory")
        }
    }
    return false
}
#endif

/// Static buffers the boot path fills before the heap is of any use.
enum BootStorage {
    /// Filled once by the boot CPU before any other CPU starts, read-only
    /// afterwards (a raw buffer is not `Sendable`, hence the annotation).
    nonisolated(unsafe) static let commandLine = UnsafeMutableRawBufferPointer.allocate(byteCount: 1024, alignment: 8)
}
