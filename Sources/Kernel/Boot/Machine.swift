import HotplugCore

/// The machine as discovered at boot: set once on the boot CPU, before any
/// secondary CPU starts, and read-only afterwards (so it needs no lock).
///
/// Small on purpose: `Machine.current` is copied by every user, so the
/// device tree's description (about 5 KiB with its 512-entry CPU table) is
/// kept behind a pointer and read in place.
struct Machine {
    private let platformStorage: UnsafeMutablePointer<PlatformDescription>

    /// Everything the device tree said, read in place.
    var platform: PlatformDescription {
        _read { yield platformStorage.pointee }
    }
    /// The GIC Distributor, with `GICD_TYPER` read.
    let distributor: Distributor
    /// PSCI through the device tree's conduit.
    let psci: PSCIFirmware
    /// What each CPU programs to turn its MMU on.
    let translation: MMU.Translation
    /// The CPU that ran `kernel_main` (found by MPIDR, not assumed CPU 0).
    let bootCPU: LogicalCPU
    /// The exception level the boot CPU entered at (1, or 2 with
    /// virtualization=on); every CPU then runs at EL1.
    let entryLevel: Int

    init(platform: PlatformDescription, distributor: Distributor, psci: PSCIFirmware,
         translation: MMU.Translation, bootCPU: LogicalCPU, entryLevel: Int) {
        platformStorage = UnsafeMutablePointer<PlatformDescription>.allocate(capacity: 1)
        platformStorage.initialize(to: platform)
        self.distributor = distributor
        self.psci = psci
        self.translation = translation
        self.bootCPU = bootCPU
        self.entryLevel = entryLevel
    }

    /// The global instance; nil only before `kernel_main` sets it, once, on
    /// the boot CPU before any other CPU starts. Read-only afterwards.
    nonisolated(unsafe) static var current: Machine!

    var cpuCount: Int { platform.cpuCount }

    /// The console UART. Its receive side is used through this; its
    /// transmit side belongs to `Console.lock`.
    var uart: PL011 {
        PL011(registers: MMIORegion(base: platformStorage.pointee.uart.registers.base))
    }

    func affinity(of cpu: LogicalCPU) -> MPIDRAffinity {
        platformStorage.pointee.affinity(of: cpu)
    }

    /// The logical CPU a `GICD_IROUTER` value names, if any.
    func cpu(routedBy target: RoutingTarget) -> LogicalCPU? {
        platformStorage.pointee.logicalCPU(for: target.affinity)
    }

    /// The CPU `id` is routed to, read back from its `GICD_IROUTER`: the
    /// hardware's answer, which every check uses instead of the table's.
    func routedCPU(of id: InterruptID) -> LogicalCPU? {
        cpu(routedBy: distributor.routing(of: id))
    }
}
