/// What went wrong while programming the GIC: each case is one clear line
/// for the boot log (`message`), never a hang or a trap.
///
/// Waits end by the caller's deadline (`HardwareWait`); a wait that ends
/// unsatisfied becomes one of the `…Pending` / `…Asleep` / `…Awake` cases.
public enum GICError: Error, Equatable {
    /// `GICD_PIDR2.ArchRev` is neither 3 nor 4: no GICv3 distributor at the
    /// address the device tree gives.
    case distributorNotGICv3(PeripheralID2)
    /// `GICR_PIDR2.ArchRev` of the first frame of the redistributor region
    /// at `regionBase` is neither 3 nor 4: no redistributors there.
    case redistributorRegionNotGICv3(regionBase: UInt64, PeripheralID2)
    /// No frame in any redistributor region has this affinity in its
    /// `GICR_TYPER`.
    case noRedistributor(MPIDRAffinity)
    /// `GICD_CTLR.RWP` was still set at the deadline.
    case distributorWritePending
    /// `GICR_CTLR.RWP` of the redistributor at `frame` was still set at the
    /// deadline.
    case redistributorWritePending(frame: UInt64)
    /// `GICD_CTLR` read back without ARE after it was written with ARE set
    /// (`control` is the value read).
    case affinityRoutingNotEnabled(control: DistributorControl)
    /// `GICR_WAKER.ChildrenAsleep` of the redistributor at `frame` did not
    /// clear after ProcessorSleep was cleared (or, with two Security states,
    /// after the firmware brought the CPU up).
    case redistributorStillAsleep(frame: UInt64)
    /// `GICR_WAKER.ChildrenAsleep` of the redistributor at `frame` did not
    /// set after ProcessorSleep was set.
    case redistributorStillAwake(frame: UInt64)

    /// One line saying what is wrong.
    public var message: String {
        switch self {
        case let .distributorNotGICv3(id):
            return "GICD_PIDR2 \(hex(id.rawValue)) has ArchRev \(id.architectureRevision), not 3 (GICv3) or 4 (GICv4): no GICv3 distributor there"
        case let .redistributorRegionNotGICv3(base, id):
            return "GICR_PIDR2 at redistributor region \(hex(base)) reads \(hex(id.rawValue)), ArchRev \(id.architectureRevision), not 3 or 4: no redistributor there"
        case let .noRedistributor(affinity):
            return "no redistributor frame has affinity \(hex(affinity.rawValue)) in its GICR_TYPER"
        case .distributorWritePending:
            return "GICD_CTLR.RWP did not clear by its deadline"
        case let .redistributorWritePending(frame):
            return "GICR_CTLR.RWP of the redistributor at \(hex(frame)) did not clear by its deadline"
        case let .affinityRoutingNotEnabled(control):
            return "GICD_CTLR reads \(hex(control.rawValue)) after ARE was written: affinity routing is off"
        case let .redistributorStillAsleep(frame):
            return "GICR_WAKER.ChildrenAsleep of the redistributor at \(hex(frame)) did not clear by its deadline"
        case let .redistributorStillAwake(frame):
            return "GICR_WAKER.ChildrenAsleep of the redistributor at \(hex(frame)) did not set by its deadline"
        }
    }

    private func hex<T: BinaryInteger>(_ value: T) -> String {
        "0x" + String(value, radix: 16)
    }
}
