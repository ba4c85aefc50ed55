/// The GICv3 Distributor (IHI 0069 §12.9): SPI and extended-SPI state and
/// routing. Set up once on the boot CPU; afterwards every CPU may call the
/// per-interrupt operations, each of which touches only that interrupt's
/// bits (the set/clear-enable and set/clear-pending registers are
/// write-one-to-act, so no read-modify-write races between CPUs), and whose
/// callers hold the interrupt's descriptor lock where the change must be
/// consistent with the descriptor (routing).
///
/// Routing never broadcasts: `GICD_IROUTER.Interrupt_Routing_Mode` is always
/// 0 and every route is read back and checked.
struct Distributor {
    let registers: MMIORegion
    let type: DistributorType

    init(base: UInt64) {
        registers = MMIORegion(base: base)
        type = DistributorType(rawValue: registers.read32(DistributorRegister.GICD_TYPER))
    }

    /// The priority every interrupt gets: mid-range, below the mask value
    /// `CPUInterface` programs.
    static let defaultPriority: UInt8 = 0xA0

    /// Brings the distributor to a known state (IHI 0069 §4.1, "Programmers'
    /// model" start-up): disabled, then every SPI and extended SPI group 1,
    /// default priority, disabled, not pending, routed to `bootCPU`; then
    /// affinity routing and group 1 enabled.
    func initialize(routingTo bootCPU: MPIDRAffinity) -> Bool {
        registers.write32(DistributorRegister.GICD_CTLR, 0)
        guard waitForRegisterWrite() else { return false }
        forEachSharedInterrupt { id in
            let (offset, bit) = DistributorRegister.bitRegister(base: .GICD_ICENABLER, for: id)
            registers.write32(offset, 1 << bit)
            let (pendingOffset, _) = DistributorRegister.bitRegister(base: .GICD_ICPENDR, for: id)
            registers.write32(pendingOffset, 1 << bit)
            setGroup1(id)
            registers.writeByte(DistributorRegister.priorityOffset(for: id), Distributor.defaultPriority)
            route(id, to: bootCPU)
        }
        guard waitForRegisterWrite() else { return false }
        registers.write32(DistributorRegister.GICD_CTLR, DistributorControl.ARE | DistributorControl.EnableGrp1)
        return waitForRegisterWrite()
    }

    /// Calls `body` for every SPI and extended SPI this GIC implements (from
    /// `GICD_TYPER`, never a fixed count).
    func forEachSharedInterrupt(_ body: (InterruptID) -> Void) {
        if let spis = type.sharedInterrupts {
            for raw in spis { body(InterruptID(raw)) }
        }
        if let extended = type.extendedSPIs {
            for raw in extended { body(InterruptID(raw)) }
        }
    }

    private func setGroup1(_ id: InterruptID) {
        let (offset, bit) = DistributorRegister.bitRegister(base: .GICD_IGROUPR, for: id)
        registers.write32(offset, registers.read32(offset) | 1 << bit)
        let (modifierOffset, _) = DistributorRegister.bitRegister(base: .GICD_IGRPMODR, for: id)
        registers.write32(modifierOffset, registers.read32(modifierOffset) & ~(1 << bit))
    }

    /// Waits for `GICD_CTLR.RWP` to clear (§12.9.4): the effects of a write
    /// to GICD_CTLR or GICD_ICENABLER are visible only then.
    func waitForRegisterWrite() -> Bool {
        let done = Deadline.wait(milliseconds: 100) {
            registers.read32(DistributorRegister.GICD_CTLR) & DistributorControl.RWP == 0
        }
        if !done { Console.line("error: GICD_CTLR.RWP did not clear within 100 ms") }
        return done
    }

    /// Level-sensitive or edge-triggered (`GICD_ICFGR` Int_config bit 1).
    /// Only changed while the interrupt is disabled (§12.9.12).
    func configure(_ id: InterruptID, edgeTriggered: Bool) {
        let (offset, shift) = DistributorRegister.configurationRegister(for: id)
        var value = registers.read32(offset)
        value &= ~(UInt32(0b10) << shift)
        if edgeTriggered { value |= UInt32(0b10) << shift }
        registers.write32(offset, value)
    }

    func enable(_ id: InterruptID) {
        let (offset, bit) = DistributorRegister.bitRegister(base: .GICD_ISENABLER, for: id)
        registers.write32(offset, 1 << bit)
    }

    func disable(_ id: InterruptID) {
        let (offset, bit) = DistributorRegister.bitRegister(base: .GICD_ICENABLER, for: id)
        registers.write32(offset, 1 << bit)
        _ = waitForRegisterWrite()
    }

    func isEnabled(_ id: InterruptID) -> Bool {
        let (offset, bit) = DistributorRegister.bitRegister(base: .GICD_ISENABLER, for: id)
        return registers.read32(offset) & 1 << bit != 0
    }

    /// Makes the interrupt pending, as a device would (`GICD_ISPENDR`).
    func setPending(_ id: InterruptID) {
        let (offset, bit) = DistributorRegister.bitRegister(base: .GICD_ISPENDR, for: id)
        registers.write32(offset, 1 << bit)
    }

    func isPending(_ id: InterruptID) -> Bool {
        let (offset, bit) = DistributorRegister.bitRegister(base: .GICD_ISPENDR, for: id)
        return registers.read32(offset) & 1 << bit != 0
    }

    func isActive(_ id: InterruptID) -> Bool {
        let (offset, bit) = DistributorRegister.bitRegister(base: .GICD_ISACTIVER, for: id)
        return registers.read32(offset) & 1 << bit != 0
    }

    /// Routes `id` to the one CPU with `affinity`: one `GICD_IROUTER` write,
    /// counted in `routerWrites` (every such write the kernel makes goes
    /// through here, so the count can be checked against QEMU's own trace).
    func route(_ id: InterruptID, to affinity: MPIDRAffinity) {
        registers.write64(DistributorRegister.routerOffset(for: id), RoutingTarget(affinity: affinity).registerValue)
        Distributor.routerWrites.increment(0)
    }

    /// Every `GICD_IROUTER` write since boot.
    nonisolated(unsafe) static var routerWrites = AtomicTable(count: 1)

    /// The routing register as the GIC holds it: the witness every check
    /// uses, never the descriptor table.
    func routing(of id: InterruptID) -> RoutingTarget {
        RoutingTarget(registerValue: registers.read64(DistributorRegister.routerOffset(for: id)))
    }
}
