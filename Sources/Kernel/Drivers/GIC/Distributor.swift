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
    /// One or two Security states, from `GICD_CTLR.DS` as this Non-secure
    /// kernel reads it; decides who owns redistributor power
    /// (`DistributorSecurity.kernelOwnsRedistributorPower`).
    let security: DistributorSecurity

    init(base: UInt64) {
        registers = MMIORegion(base: base)
        type = DistributorType(rawValue: registers.read32(DistributorRegister.GICD_TYPER))
        security = DistributorSecurity(distributorControl: registers.read32(DistributorRegister.GICD_CTLR))
    }

    /// The priority every interrupt gets: mid-range, below the mask value
    /// `CPUInterface` programs.
    static let defaultPriority: UInt8 = 0xA0

    /// How long any one GIC register-write or power handshake may take.
    static let waitMilliseconds: UInt64 = 100

    /// The bounded wait the GIC sequences of the pure core poll through.
    static func wait(until condition: () -> Bool) -> Bool {
        Deadline.wait(milliseconds: waitMilliseconds, until: condition)
    }

    /// Brings the distributor to a known state with
    /// `DistributorInitialisation` (architecture checked, groups off, ARE on
    /// before any route, every SPI and extended SPI disabled, cleared,
    /// level-sensitive, group 1, default priority, routed to `bootCPU`; then
    /// group 1 on). Says why and returns false when it fails.
    func initialize(routingTo bootCPU: MPIDRAffinity) -> Bool {
        do throws(GICError) {
            let outcome = try DistributorInitialisation.run(
                registers, type: type, routingTo: bootCPU, priority: Distributor.defaultPriority,
                wait: Distributor.wait(until:))
            Distributor.routerWrites.add(outcome.routerWrites)
            return true
        } catch {
            Console.line { out in
                out.write("error: gic: ")
                out.write(error.message)
            }
            return false
        }
    }

    /// Waits for `GICD_CTLR.RWP` to clear (§12.9.4): the effects of a write
    /// to GICD_CTLR or GICD_ICENABLER are visible only then.
    func waitForRegisterWrite() -> Bool {
        do throws(GICError) {
            try DistributorInitialisation.waitForRegisterWrite(registers, Distributor.wait(until:))
            return true
        } catch {
            Console.line { out in
                out.write("error: gic: ")
                out.write(error.message)
            }
            return false
        }
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
        Distributor.routerWrites.add()
    }

    /// Every `GICD_IROUTER` write since boot, the start-up routes included.
    static let routerWrites = EventCounter()

    /// The routing register as the GIC holds it: the witness every check
    /// uses, never the descriptor table.
    func routing(of id: InterruptID) -> RoutingTarget {
        RoutingTarget(registerValue: registers.read64(DistributorRegister.routerOffset(for: id)))
    }
}

/// Volatile MMIO is the image's register file for the pure core's GIC
/// sequences (`DistributorInitialisation`, `RedistributorSequences`).
extension MMIORegion: RegisterFile {}
