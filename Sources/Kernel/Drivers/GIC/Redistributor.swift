import HotplugCore

/// One CPU's GICv3 Redistributor (IHI 0069 §12.10-12.11): its RD_base frame
/// (control, `GICR_TYPER`, `GICR_WAKER`) and SGI_base frame (SGI/PPI
/// state). Found by walking the frames of every redistributor region the
/// device tree gives, each region's `GICR_PIDR2` checked first, with the
/// device tree's `redistributor-stride` when it has one, and matching
/// `GICR_TYPER`'s affinity to the CPU's MPIDR, stopping at the frame marked
/// Last — never by index, since frame order is the GIC's, not the device
/// tree's (`RedistributorType.locate`).
///
/// Only its own CPU touches a redistributor after start-up (wake on the way
/// up, sleep on the way down), so it needs no lock. The sequences themselves
/// are the pure core's `RedistributorSequences`, run on the MMIO frame.
struct Redistributor {
    let frame: MMIORegion

    /// The redistributor of the CPU with `affinity`: a walk of every frame.
    init(serving affinity: MPIDRAffinity, in gic: GICDescription) throws(GICError) {
        let base = try RedistributorType.locate(affinity, in: gic, frame: MMIORegion.init(base:))
        frame = MMIORegion(base: base)
    }

    private init(base: UInt64) {
        frame = MMIORegion(base: base)
    }

    /// Per CPU: its RD_base once found, 0 before. Sized on the boot CPU
    /// before any other CPU starts; an entry is written by the CPU that
    /// first looks it up (its own join, as a rule) with one aligned 64-bit
    /// store of the one value the walk can give, so a racing reader sees
    /// either 0 (and walks) or that value.
    nonisolated(unsafe) private static var bases = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)

    static func setUp(count: Int) {
        bases = UnsafeMutablePointer<UInt64>.allocate(capacity: count)
        bases.initialize(repeating: 0, count: count)
    }

    /// The redistributor of logical CPU `cpu`, walked for once and then
    /// remembered, so the hotplug path (sleep, the ITS's SYNC targets) does
    /// not walk every frame again.
    static func of(_ cpu: LogicalCPU, in machine: Machine) throws(GICError) -> Redistributor {
        let known = bases[cpu.index]
        if known != 0 { return Redistributor(base: known) }
        let found = try Redistributor(serving: machine.affinity(of: cpu), in: machine.platform.gic)
        bases[cpu.index] = found.frame.base
        return found
    }

    /// Lets the redistributor forward interrupts to this CPU; who writes
    /// `GICR_WAKER` depends on `security` (see `RedistributorSequences.wake`).
    func wake(security: DistributorSecurity) throws(GICError) {
        try RedistributorSequences.wake(frame, frame: frame.base, security: security, wait: Distributor.wait(until:))
    }

    /// Tells the redistributor this CPU is about to power off, when that is
    /// the kernel's job (one Security state); returns whether it was.
    /// Runs on the dying CPU with its group 1 enable already clear.
    @discardableResult
    func sleep(security: DistributorSecurity) throws(GICError) -> Bool {
        try RedistributorSequences.sleep(frame, frame: frame.base, security: security, wait: Distributor.wait(until:))
    }

    /// SGIs and PPIs disabled, deactivated (`GICR_CTLR.RWP` awaited), group
    /// 1, default priority; SGIs enabled again, PPIs left disabled.
    func configurePrivateInterrupts() throws(GICError) {
        try RedistributorSequences.configurePrivateInterrupts(
            frame, frame: frame.base, priority: InterruptPriority.kernelDefault, wait: Distributor.wait(until:))
    }
}
