/// The distributor's start-up sequence, run once on the boot CPU before any
/// other CPU starts (IHI 0069 §12.9.4 GICD_CTLR, and the SPI register
/// descriptions of §12.9; the order is Linux's `gic_dist_init` and Xen's
/// `gicv3_dist_init`, with the steps they leave out added).
///
/// 1. `GICD_PIDR2.ArchRev` must say GICv3 or GICv4, before anything is
///    written.
/// 2. `GICD_CTLR`: every group enable cleared first (ARE kept as found),
///    then `RWP` awaited: changing ARE while a group is enabled is
///    UNPREDICTABLE.
/// 3. ARE set, if the firmware has not already set it, and `RWP` awaited;
///    read back. ARE is never cleared: going from 1 to 0 is UNPREDICTABLE,
///    and with ARE clear `GICD_IROUTER<n>` is not used at all, so every
///    route written before this point could be lost.
/// 4. Every SPI and extended SPI disabled (`GICD_ICENABLER<n>`, `…nE`),
///    then `RWP` awaited: the disable is complete only then, and the trigger
///    configuration below may only change while an interrupt is disabled.
/// 5. Pending and active state cleared (`GICD_ICPENDR`, `GICD_ICACTIVER`);
///    group 1 Non-secure (`GICD_IGROUPR` = 1, `GICD_IGRPMODR` = 0);
///    level-sensitive (`GICD_ICFGR` = 0, Linux's and Xen's default; the
///    kernel reconfigures the interrupts it owns); default priority.
/// 6. Every SPI and extended SPI routed to the boot CPU (`GICD_IROUTER<n>`,
///    `…nE`), now that ARE is set.
/// 7. Group 1 enabled, ARE still set; `RWP` awaited.
///
/// The bit- and field-per-interrupt registers are written a whole word at a
/// time (32, 16 or 4 interrupts per write); only the 64-bit routing
/// registers take one write per interrupt. SPI ranges from `GICD_TYPER`
/// always end on a word boundary (32 × (ITLinesNumber + 1)), and so do
/// extended SPI ranges.
///
/// With two Security states (`DistributorSecurity.twoSecurityStates`) the
/// same writes are right from Non-secure state: the group and group-modifier
/// bits of Secure interrupts, and all of `GICD_IGRPMODR`, are RAZ/WI to us,
/// so the firmware's Secure interrupts are left as they are.
public enum DistributorInitialisation {
    /// What the sequence found and did.
    public struct Outcome: Equatable, Sendable {
        /// How many Security states the GIC has (`GICD_CTLR.DS`).
        public let security: DistributorSecurity
        /// Whether ARE was already set when the sequence began (left set by
        /// firmware, or by a previous boot); it is kept either way.
        public let affinityRoutingWasEnabled: Bool
        /// `GICD_IROUTER<n>` and `GICD_IROUTER<n>E` writes made: one per
        /// SPI and extended SPI.
        public let routerWrites: Int
    }

    /// Runs the sequence on the distributor `registers`, described by
    /// `type` (its `GICD_TYPER`), routing everything to the CPU with
    /// `bootCPU` affinity at `priority`. Every `RWP` wait goes through
    /// `wait`, which bounds it.
    ///
    /// - Throws: `distributorNotGICv3` before any write (the distributor is
    ///   left untouched); on a wait that ends unsatisfied,
    ///   `distributorWritePending`; when ARE does not read back set,
    ///   `affinityRoutingNotEnabled`. After a write the distributor is left
    ///   with every group disabled, so nothing is delivered half-configured.
    public static func run<Registers: RegisterFile>(
        _ registers: Registers,
        type: DistributorType,
        routingTo bootCPU: MPIDRAffinity,
        priority: UInt8,
        wait: HardwareWait
    ) throws(GICError) -> Outcome {
        let identification = registers.read(DistributorRegister.GICD_PIDR2)
        guard identification.isGICv3OrLater else { throw .distributorNotGICv3(identification) }

        let control = registers.read(DistributorRegister.GICD_CTLR)
        let security = DistributorSecurity(distributorControl: control)
        let affinityRoutingWasEnabled = control.contains(.ARE)

        // Groups off, ARE as found (bit 4 is ARE with one Security state,
        // ARE_NS in the Non-secure view of two: the same bit).
        registers.write(DistributorRegister.GICD_CTLR, control.intersection(.ARE))
        try waitForRegisterWrite(registers, wait)
        if !affinityRoutingWasEnabled {
            registers.write(DistributorRegister.GICD_CTLR, .ARE)
            try waitForRegisterWrite(registers, wait)
        }
        let routed = registers.read(DistributorRegister.GICD_CTLR)
        guard routed.contains(.ARE) else { throw .affinityRoutingNotEnabled(control: routed) }

        let ranges = SharedInterruptRanges(type)
        ranges.forEachWord(of: .GICD_ICENABLER) { register in registers.write(register, ~0) }
        try waitForRegisterWrite(registers, wait)

        ranges.forEachWord(of: .GICD_ICPENDR) { register in registers.write(register, ~0) }
        ranges.forEachWord(of: .GICD_ICACTIVER) { register in registers.write(register, ~0) }
        ranges.forEachWord(of: .GICD_IGROUPR) { register in registers.write(register, ~0) }
        ranges.forEachWord(of: .GICD_IGRPMODR) { register in registers.write(register, 0) }
        ranges.forEachConfigurationWord { register in registers.write(register, levelSensitive) }
        let priorities = InterruptPriority.word(priority)
        ranges.forEachPriorityWord { register in registers.write(register, priorities) }

        let route = RoutingTarget(affinity: bootCPU)
        var routerWrites = 0
        ranges.forEachInterrupt { id in
            registers.write(DistributorRegister.routerRegister(for: id), route)
            routerWrites += 1
        }

        // Group 1 on: EnableGrp1 with one Security state, EnableGrp1A (the
        // Non-secure group 1 enable, valid with ARE_NS set) in the
        // Non-secure view of two; both bit 1.
        registers.write(DistributorRegister.GICD_CTLR, [.ARE, .EnableGrp1])
        try waitForRegisterWrite(registers, wait)

        return Outcome(security: security, affinityRoutingWasEnabled: affinityRoutingWasEnabled, routerWrites: routerWrites)
    }

    /// `GICD_ICFGR` word value making 16 interrupts level-sensitive
    /// (Int_config bit 1 of each field clear).
    public static let levelSensitive: UInt32 = 0

    /// Waits for `GICD_CTLR.RWP` to clear: writes to `GICD_CTLR` and
    /// `GICD_ICENABLER<n>` have taken effect throughout the GIC only then.
    public static func waitForRegisterWrite<Registers: RegisterFile>(
        _ registers: Registers, _ wait: HardwareWait
    ) throws(GICError) {
        let done = wait { !registers.read(DistributorRegister.GICD_CTLR).contains(.RWP) }
        guard done else { throw .distributorWritePending }
    }
}

/// The SPIs and extended SPIs a distributor implements, walked register word
/// by register word.
struct SharedInterruptRanges {
    let spis: ClosedRange<UInt32>?
    let extendedSPIs: ClosedRange<UInt32>?

    init(_ type: DistributorType) {
        spis = type.spis
        extendedSPIs = type.extendedSPIs
    }

    /// Calls `body` with the first INTID of every group of `width`
    /// consecutive interrupts, over both ranges.
    private func forEachGroup(of width: Int, _ body: (InterruptID) -> Void) {
        if let spis {
            for raw in stride(from: spis.lowerBound, through: spis.upperBound, by: width) {
                body(InterruptID(raw))
            }
        }
        if let extendedSPIs {
            for raw in stride(from: extendedSPIs.lowerBound, through: extendedSPIs.upperBound, by: width) {
                body(InterruptID(raw))
            }
        }
    }

    /// Every register of a one-bit-per-interrupt array that holds an
    /// implemented SPI or extended SPI (the `…nE` array for the latter).
    func forEachWord(of array: BitPerInterruptRegister, _ body: (Register<UInt32>) -> Void) {
        forEachGroup(of: array.spis.interruptsPerRegister) { id in
            body(DistributorRegister.bitRegister(array, for: id).register)
        }
    }

    /// Every `GICD_ICFGR<n>` / `GICD_ICFGR<n>E` register (16 interrupts
    /// each).
    func forEachConfigurationWord(_ body: (Register<UInt32>) -> Void) {
        forEachGroup(of: DistributorRegister.GICD_ICFGR.interruptsPerRegister) { id in
            body(DistributorRegister.configurationRegister(for: id).register)
        }
    }

    /// Every `GICD_IPRIORITYR<n>` / `GICD_IPRIORITYR<n>E` register (4
    /// interrupts each).
    func forEachPriorityWord(_ body: (Register<UInt32>) -> Void) {
        forEachGroup(of: DistributorRegister.GICD_IPRIORITYR.interruptsPerRegister) { id in
            body(DistributorRegister.priorityRegister(for: id).register)
        }
    }

    /// Every implemented SPI and extended SPI.
    func forEachInterrupt(_ body: (InterruptID) -> Void) {
        forEachGroup(of: 1, body)
    }
}
