/// The machine as discovered at boot: set once on the boot CPU, before any
/// secondary CPU starts, and read-only afterwards (so it needs no lock).
struct Machine {
    /// Everything the device tree said.
    let platform: PlatformDescription
    /// The GIC Distributor, with `GICD_TYPER` read.
    let distributor: Distributor
    /// PSCI through the device tree's conduit.
    let psci: PSCIFirmware
    /// What each CPU programs to turn its MMU on.
    let translation: MMU.Configuration
    /// The CPU that ran `kernel_main` (found by MPIDR, not assumed CPU 0).
    let bootCPU: LogicalCPU
    /// The exception level the boot CPU entered at (1, or 2 with
    /// virtualization=on); every CPU then runs at EL1.
    let entryLevel: Int

    /// The global instance; nil only before `kernel_main` sets it.
    nonisolated(unsafe) static var current: Machine!

    var cpuCount: Int { platform.cpuCount }

    func affinity(of cpu: LogicalCPU) -> MPIDRAffinity {
        platform.affinity(of: cpu)
    }
}
