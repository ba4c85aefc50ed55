import HotplugCore

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
///
/// The sequences are the pure core's (`DistributorInitialisation`,
/// `SharedInterruptControl`), run on the MMIO frame; this driver adds the
/// deadline, the error report and the count of routing writes.
struct Distributor {
    let registers: MMIORegion
    let type: DistributorType
    /// One or two Security states, from `GICD_CTLR.DS` as this Non-secure
    /// kernel reads it; decides who owns redistributor power
    /// (`DistributorSecurity.kernelOwnsRedistributorPower`).
    let security: DistributorSecurity

    init(base: UInt64) {
        registers = MMIORegion(base: base)
        type = registers.read(DistributorRegister.GICD_TYPER)
        security = DistributorSecurity(distributorControl: registers.read(DistributorRegister.GICD_CTLR))
    }

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
                registers, type: type, routingTo: bootCPU, priority: InterruptPriority.kernelDefault,
                wait: Distributor.wait(until:))
            Distributor.routerWrites.add(outcome.routerWrites)
            return true
        } catch {
            Distributor.report(error)
            return false
        }
    }

    /// Says what went wrong, on one line.
    private static func report(_ error: GICError) {
        Console.line { out in
            out.write("error: gic: ")
            out.write(error.message)
        }
    }

    /// Level-sensitive or edge-triggered (`GICD_ICFGR` Int_config bit 1).
    /// Only changed while the interrupt is disabled (§12.9.12).
    func configure(_ id: InterruptID, edgeTriggered: Bool) {
        SharedInterruptControl.setTrigger(registers, id, edgeTriggered: edgeTriggered)
    }

    func enable(_ id: InterruptID) {
        SharedInterruptControl.enable(registers, id)
    }

    /// Disables `id` and waits for the disable to take effect
    /// (`GICD_CTLR.RWP`); says so if it does not by the deadline.
    func disable(_ id: InterruptID) {
        do throws(GICError) {
            try SharedInterruptControl.disable(registers, id, wait: Distributor.wait(until:))
        } catch {
            Distributor.report(error)
        }
    }

    func isEnabled(_ id: InterruptID) -> Bool {
        SharedInterruptControl.isEnabled(registers, id)
    }

    /// Makes the interrupt pending, as a device would (`GICD_ISPENDR`).
    func setPending(_ id: InterruptID) {
        SharedInterruptControl.setPending(registers, id)
    }

    func isPending(_ id: InterruptID) -> Bool {
        SharedInterruptControl.isPending(registers, id)
    }

    func isActive(_ id: InterruptID) -> Bool {
        SharedInterruptControl.isActive(registers, id)
    }

    /// Routes `id` to the one CPU with `affinity`: one `GICD_IROUTER` write,
    /// counted in `routerWrites` (every such write the kernel makes goes
    /// through here, so the count can be checked against QEMU's own trace).
    func route(_ id: InterruptID, to affinity: MPIDRAffinity) {
        SharedInterruptControl.route(registers, id, to: affinity)
        Distributor.routerWrites.add()
    }

    /// Every `GICD_IROUTER` write since boot, the start-up routes included.
    static let routerWrites = EventCounter()

    /// The routing register as the GIC holds it: the witness every check
    /// uses, never the descriptor table.
    func routing(of id: InterruptID) -> RoutingTarget {
        SharedInterruptControl.routing(registers, of: id)
    }
}
