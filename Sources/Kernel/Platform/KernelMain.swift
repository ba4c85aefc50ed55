/// The boot CPU's path through the kernel, from boot/start.S.
///
/// 1. Read the command line and the device tree (early output goes to the
///    semihosting console until the tree names the UART).
/// 2. Turn the MMU on, bring up the GIC and this CPU's GIC interfaces.
/// 3. Bring every other CPU online with PSCI CPU_ON (boot bring-up: no
///    rebalance), then mark the system active.
/// 4. Run the job the command line asks for; return its exit status.
@_cdecl("kernel_main")
func kernelMain(_ entryLevel: UInt64) -> UInt32 {
    let commandLine = KernelCommandLine.read(into: BootStorage.commandLine)

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
    Console.uart = PL011(registers: MMIORegion(base: platform.uart.registers.base))
    Console.line("GICv3 interrupt migration on CPU hotplug -- Embedded Swift image")

    guard let bootCPU = platform.logicalCPU(for: MPIDRAffinity(mpidr: arch_read_mpidr())) else {
        Console.line("error: the boot CPU's MPIDR is not in the device tree")
        return 2
    }
    let translation: MMU.Configuration
    switch MMU.configuration(for: platform) {
    case .success(let configuration):
        translation = configuration
    case .failure:
        Console.line("error: the device tree's memory map does not fit the identity map")
        return 2
    }
    MMU.enable(translation)

    let machine = Machine(
        platform: platform,
        distributor: Distributor(base: platform.gic.distributor.base),
        psci: PSCIFirmware(conduit: platform.psci.conduit),
        translation: translation,
        bootCPU: bootCPU,
        entryLevel: Int(entryLevel))
    Machine.current = machine
    HardwareReport.print(platform, entryLevel: entryLevel)

    if commandLine.contains(word: "test-fault") {
        Console.line("test-fault: loading from an address no memory answers")
        _ = arch_read_unmapped(1 << 47)
    }

    if let policy = commandLine.value(of: "policy"), !InterruptMigration.select(policy), InterruptMigration.isCompiledIn {
        Console.line { out in
            out.write("error: unknown policy '")
            out.write(bytes: policy)
            out.write("' (policies are seed, balanced)")
        }
        return 2
    }
    guard bringUpSystem() else { return 1 }
    // Armed only now, so that boot bring-up never meets it.
    if let fault = commandLine.value(of: "psci-fault"), !PSCIFault.arm(fault) {
        Console.line { out in
            out.write("error: unknown psci-fault '")
            out.write(bytes: fault)
            out.write("' (cpu-on-bad-mpidr, cpu-on-online, silent-start, affinity-info-stuck)")
        }
        return 2
    }

    if commandLine.contains(word: "bench") {
        OwnedInterrupts.claim()
        return Benchmark.run(seed: 1) ? 0 : 1
    }

    if let cpu = commandLine.number(of: "test-stall"), cpu < machine.cpuCount {
        Stress.stalledCPU = cpu + 1
    }

    let interactive = commandLine.contains(word: "console")
    if interactive || !commandLine.script.isEmpty {
        // The console: the kernel's interrupts claimed and spread, then the
        // script and/or the prompt. Does not return.
        OwnedInterrupts.claim()
        InterruptMigration.cpuCameUp(machine.bootCPU)
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

/// GIC, per-CPU tables, the boot CPU's own interfaces, then every other CPU.
private func bringUpSystem() -> Bool {
    let machine = Machine.current!
    let slots = InterruptSlots(machine.distributor.type)
    CPUs.setUp(count: machine.cpuCount)
    Hotplug.dyingProbes = AtomicTable(count: machine.cpuCount)
    Hotplug.offlinePathTicks = UnsafeMutablePointer<UInt64>.allocate(capacity: machine.cpuCount)
    Hotplug.offlinePathTicks.initialize(repeating: 0, count: machine.cpuCount)
    InterruptDescriptors.store = LockedDescriptorStore(layout: SharedInterruptLayout(machine.distributor.type))
    InterruptCounters.setUp(cpuCount: machine.cpuCount, slots: slots)
    SharedInterrupts.setUp(slots: slots)
    ConsoleInput.setUp()
    CPUStartBlock.setUp(count: machine.cpuCount, translation: machine.translation)
    Stress.setUp(cpuCount: machine.cpuCount)

    guard machine.distributor.initialize(routingTo: machine.affinity(of: machine.bootCPU)) else { return false }
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
    Hotplug.systemActive = true
    Console.line { out in
        out.write("smp: ", started)
        out.write(" of ", machine.cpuCount)
        out.write(" cpus online (PSCI ")
        let version = machine.psci.version()
        out.decimal(Int(version.major))
        out.write(".", Int(version.minor))
        out.write(")")
    }
    return started == machine.cpuCount
}

/// Static buffers the boot path fills before the heap is of any use.
enum BootStorage {
    nonisolated(unsafe) static let commandLine = UnsafeMutableRawBufferPointer.allocate(byteCount: 1024, alignment: 8)
}
