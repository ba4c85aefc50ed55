/// How many Security states the GIC has, as `GICD_CTLR.DS` (bit 6) tells a
/// Non-secure caller, and what follows for this kernel (IHI 0069 §12.9.4,
/// GICD_CTLR; §12.11.43, GICR_WAKER).
///
/// The image runs Non-secure, at EL1 or EL2. `GICD_CTLR` then has one of two
/// views:
/// - DS = 1 (QEMU `virt` without `secure=on`): one Security state, one view;
///   bit 6 reads 1, bit 4 is ARE, bit 1 EnableGrp1, bit 0 EnableGrp0.
/// - DS = 0: two Security states, and a Non-secure access sees the
///   Non-secure view, in which bit 6 is RES0 (so DS reads 0), bit 4 is
///   ARE_NS, bit 1 EnableGrp1A (Non-secure group 1, with ARE_NS set) and bit
///   0 the legacy EnableGrp1; group 0, Secure group 1 and ARE_S are the
///   Secure firmware's and invisible to us.
///
/// Either way the bits this kernel writes (ARE at 4, the group-1 enable at
/// 1) sit at the same places, so one sequence serves both; what differs is
/// who may touch `GICR_WAKER` (see `kernelOwnsRedistributorPower`).
public enum DistributorSecurity: Equatable, Sendable {
    /// `GICD_CTLR.DS` = 1: one Security state; every register is ours.
    case singleSecurityState
    /// `GICD_CTLR.DS` = 0, seen from Non-secure state: the Secure side
    /// (firmware at EL3) owns group 0, Secure group 1 and redistributor
    /// power.
    case twoSecurityStates

    /// Decodes `GICD_CTLR` as read by a Non-secure caller.
    public init(distributorControl: DistributorControl) {
        self = distributorControl.contains(.DS) ? .singleSecurityState : .twoSecurityStates
    }

    /// Whether this kernel itself sets and clears `GICR_WAKER.ProcessorSleep`
    /// when a CPU goes offline or comes online.
    ///
    /// With two Security states `GICR_WAKER` is RAZ/WI to Non-secure
    /// accesses (§12.11.43): a write of ProcessorSleep is ignored, so waiting
    /// for ChildrenAsleep afterwards could only time out. The firmware does
    /// the power-down handshake inside PSCI CPU_OFF and the wake-up before it
    /// enters us after CPU_ON (as Linux and Xen rely on: neither touches
    /// `GICR_WAKER` on CPU hotplug then). With one Security state there is no
    /// Secure side to do it, the register is ours, and the specification's
    /// rule applies to us: ProcessorSleep set and ChildrenAsleep awaited
    /// before the PE powers down, the reverse after it powers up.
    public var kernelOwnsRedistributorPower: Bool {
        self == .singleSecurityState
    }
}
