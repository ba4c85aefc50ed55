import HotplugCore

/// The `cpus` table: each CPU's state (ours, and the firmware's through
/// AFFINITY_INFO), MPIDR, exception level and interrupts handled.
enum CPUReport {
    static func print() {
        let machine = Machine.current!
        Console.line("  CPU  state     psci      MPIDR   EL               interrupts")
        for index in 0 ..< machine.cpuCount {
            let cpu = LogicalCPU(index)
            let handled = InterruptCounters.handledCount(on: cpu)
            let firmware: StaticString
            switch machine.psci.affinityInfo(machine.affinity(of: cpu)) {
            case .success(let state): firmware = state.name
            case .failure(let error): firmware = error.name
            }
            Console.line { out in
                out.decimal(index, width: 5)
                out.write("  ")
                out.write(CPUs.state(of: cpu).name)
                out.tab(to: 17)
                out.write(firmware)
                out.tab(to: 27)
                out.hex(machine.affinity(of: cpu).rawValue, digits: 3)
                out.tab(to: 35)
                #if HYPERVISOR
                out.write("EL2")
                #else
                out.write("EL1")
                if machine.entryLevel == 2 { out.write(" (from EL2)") }
                #endif
                if cpu == ConsoleShell.cpu && ConsoleShell.isRunning { out.write(" console") }
                out.tab(to: 52)
                out.decimal(handled, width: 10)
            }
        }
    }
}
