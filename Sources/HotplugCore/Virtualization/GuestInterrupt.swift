// A guest-bound physical SPI in Xen's model, as a pure state machine: the
// hypervisor takes it at EL2 on the pCPU it is routed to, hands it to its
// vCPU through a list register with the hardware bit, and the guest's
// deactivation deactivates the physical interrupt. When the vCPU moves
// (the scheduler, or its pCPU going offline) while the interrupt is in
// flight, the interrupt is marked migrating and its physical route
// (`GICD_IROUTER`) follows only once the guest has deactivated it: Xen's
// `GIC_IRQ_GUEST_MIGRATING` (`vgic_migrate_irq`, `gic_update_one_lr`).

/// Where a guest-bound interrupt is, as the hypervisor knows it.
public enum GuestInterruptState: Equatable, Sendable {
    /// Not in flight: physically inactive, nothing for the guest.
    case idle
    /// Taken at EL2 (physically active), waiting in the vCPU's software
    /// queue for the vCPU to run on its pCPU and take it into a list register.
    case queued
    /// In a list register of the vCPU (live on its pCPU or saved with it),
    /// pending: the guest has not acknowledged it.
    case pendingInListRegister
    /// In a list register, active: the guest acknowledged it and has not
    /// (as far as the hypervisor has read back) deactivated it.
    case activeInListRegister

    /// Whether a list register holds it.
    public var isInListRegister: Bool { self == .pendingInListRegister || self == .activeInListRegister }
}

/// What the hypervisor must do after an event, at most one of each.
public struct GuestInterruptActions: Equatable, Sendable {
    /// Write `GICD_IROUTER` of the physical INTID to name this pCPU.
    public var route: LogicalCPU?
    /// Write this value into a free list register of the vCPU, on the pCPU
    /// running it (the only place its list registers are live).
    public var listRegister: ListRegister?
    /// Send this pCPU an SGI: the vCPU running there exits, finds the
    /// interrupt queued and takes it into a list register on re-entry.
    public var kick: LogicalCPU?

    public init(route: LogicalCPU? = nil, listRegister: ListRegister? = nil, kick: LogicalCPU? = nil) {
        self.route = route
        self.listRegister = listRegister
        self.kick = kick
    }

    /// Nothing to do.
    public static let none = GuestInterruptActions()
}

/// One guest-bound physical SPI bound to one vCPU, with the hypervisor's
/// knowledge of it: its state, where its vCPU is, where it is routed.
///
/// The events are what the hypervisor observes; the guest's acknowledge
/// and deactivation are done by the hardware (the virtual CPU interface
/// and, through `HW`, the distributor) and seen only when the hypervisor
/// reads the list register back (`vcpuExited`, `vcpuLeft`). That gap is
/// why the route waits: the physical interrupt is inactive as soon as the
/// guest deactivates it and may fire again (to the old route) before the
/// hypervisor knows. Taken again then, it is remembered (`takenAgain`, Xen's
/// `GIC_IRQ_GUEST_QUEUED`) and queued once the list register is read back
/// empty, so it is delivered exactly once, on its vCPU.
///
/// Invariants: not `migrating` means `route` is the vCPU's pCPU; `idle`
/// means not `migrating` and not `takenAgain`. So once idle the route is
/// the vCPU's pCPU, which the scheduler keeps online.
public struct GuestInterrupt: Sendable {
    /// The physical SPI (pINTID of the list register).
    public let physical: InterruptID
    /// The INTID the guest sees (vINTID).
    public let virtual: InterruptID
    /// Its vCPU, for life.
    public let vcpu: VCPUID
    /// The virtual priority it is presented with.
    public let priority: UInt8

    public private(set) var state: GuestInterruptState = .idle
    /// The vCPU moved while it was in a list register: the route changes
    /// when the guest's deactivation is read back.
    public private(set) var migrating = false
    /// Taken at EL2 again after the guest deactivated it but before the
    /// hypervisor read that back.
    public private(set) var takenAgain = false
    /// The pCPU `GICD_IROUTER` names (as last written by these actions).
    public private(set) var route: LogicalCPU
    /// The pCPU its vCPU is placed on.
    public private(set) var vcpuCPU: LogicalCPU
    /// Whether the vCPU is running there (its list registers live on it).
    public private(set) var vcpuRunning = false

    /// An idle interrupt of `vcpu`, placed (not running) on `cpu`, already
    /// routed there.
    public init(physical: InterruptID, virtual: InterruptID, vcpu: VCPUID, priority: UInt8, on cpu: LogicalCPU) {
        precondition(physical.isShared, "GuestInterrupt: a guest-bound interrupt is an SPI")
        self.physical = physical
        self.virtual = virtual
        self.vcpu = vcpu
        self.priority = priority
        route = cpu
        vcpuCPU = cpu
    }

    /// The list register that presents it to the guest: hardware, pending,
    /// group 1.
    public var listRegisterValue: ListRegister {
        ListRegister(hardware: physical, virtual: virtual, priority: priority)
    }

    /// Queued: into a list register now if the vCPU runs (the caller is on
    /// its pCPU), else wait for `vcpuEntered`.
    private mutating func queue(takenOn cpu: LogicalCPU) -> GuestInterruptActions {
        guard vcpuRunning else {
            state = .queued
            return .none
        }
        if cpu == vcpuCPU {
            state = .pendingInListRegister
            return GuestInterruptActions(listRegister: listRegisterValue)
        }
        state = .queued
        return GuestInterruptActions(kick: vcpuCPU)
    }

    /// The hypervisor acknowledged the physical interrupt at EL2 on `cpu`
    /// (`ICC_IAR1_EL1`, with EOImode 1 so it stays active for the guest to
    /// deactivate).
    ///
    /// - Idle: if its vCPU runs on `cpu`, a list register is written there;
    ///   otherwise it is queued for the vCPU, whose pCPU is kicked if the
    ///   vCPU runs elsewhere (forwarded: the route lags a migration).
    /// - In a list register: the guest deactivated it unseen and it fired
    ///   again: remembered in `takenAgain`; the vCPU's pCPU is kicked when
    ///   that is another one so the list register is read back soon. On
    ///   the vCPU's own pCPU the interrupt was itself an exit, and
    ///   `vcpuExited` follows before the vCPU re-enters.
    ///
    /// - Precondition: `cpu` is `route` (the distributor delivers nowhere
    ///   else) and the interrupt is not queued (it is physically active).
    public mutating func taken(on cpu: LogicalCPU) -> GuestInterruptActions {
        precondition(cpu == route, "GuestInterrupt.taken: not on the routed pCPU")
        precondition(state != .queued && !takenAgain, "GuestInterrupt.taken: physically active")
        if state.isInListRegister {
            takenAgain = true
            return vcpuRunning && vcpuCPU != cpu ? GuestInterruptActions(kick: vcpuCPU) : .none
        }
        return queue(takenOn: cpu)
    }

    /// The vCPU starts running on its pCPU (its context restored): a queued
    /// interrupt goes into a list register.
    public mutating func vcpuEntered() -> GuestInterruptActions {
        precondition(!vcpuRunning, "GuestInterrupt.vcpuEntered: already running")
        vcpuRunning = true
        guard state == .queued else { return .none }
        state = .pendingInListRegister
        return GuestInterruptActions(listRegister: listRegisterValue)
    }

    /// The list register read back: the guest's acknowledge and
    /// deactivation become known. Deactivated: a migrating interrupt is
    /// routed to the vCPU's pCPU now, and one taken again meanwhile is
    /// queued.
    private mutating func readBack(_ read: VirtualInterruptState) -> GuestInterruptActions {
        guard state.isInListRegister else { return .none }
        switch read {
        case .pending:
            return .none
        case .active, .pendingAndActive:
            state = .activeInListRegister
            return .none
        case .invalid:
            var actions = GuestInterruptActions.none
            if migrating {
                migrating = false
                if route != vcpuCPU {
                    route = vcpuCPU
                    actions.route = vcpuCPU
                }
            }
            state = takenAgain ? .queued : .idle
            takenAgain = false
            return actions
        }
    }

    /// The running vCPU exited to EL2 on its pCPU (any trap, a physical
    /// interrupt taken there, a kick, a maintenance interrupt) and is about
    /// to re-enter: the hypervisor read this interrupt's list register back
    /// as `read` (`.invalid` when none holds it), and a queued interrupt goes
    /// into a list register before the re-entry.
    public mutating func vcpuExited(listRegister read: VirtualInterruptState) -> GuestInterruptActions {
        precondition(vcpuRunning, "GuestInterrupt.vcpuExited: the vCPU is not running")
        var actions = readBack(read)
        if state == .queued {
            state = .pendingInListRegister
            actions.listRegister = listRegisterValue
        }
        return actions
    }

    /// The vCPU stops running (descheduled, or about to move): its list
    /// registers are saved, this interrupt's read as `read`. A queued
    /// interrupt stays queued for its next `vcpuEntered`.
    public mutating func vcpuLeft(listRegister read: VirtualInterruptState) -> GuestInterruptActions {
        precondition(vcpuRunning, "GuestInterrupt.vcpuLeft: the vCPU is not running")
        vcpuRunning = false
        return readBack(read)
    }

    /// The scheduler placed the (stopped) vCPU on `cpu`. Idle or queued,
    /// the route follows at once (nothing of it is in a list register);
    /// in a list register, it is marked migrating and the route follows on
    /// the guest's deactivation, which the list register carries with the
    /// vCPU.
    public mutating func vcpuMoved(to cpu: LogicalCPU) -> GuestInterruptActions {
        precondition(!vcpuRunning, "GuestInterrupt.vcpuMoved: a running vCPU is saved first")
        vcpuCPU = cpu
        if state.isInListRegister {
            migrating = true
            return .none
        }
        migrating = false
        guard route != cpu else { return .none }
        route = cpu
        return GuestInterruptActions(route: cpu)
    }

    /// `cpu` went offline, its vCPUs already moved off it (`vcpuMoved`).
    /// Nothing more is needed: an idle interrupt already follows its vCPU,
    /// and one still routed to `cpu` is in flight, physically active, so it
    /// cannot fire until the guest deactivates it, when its route moves.
    /// Should it fire in that gap, the distributor holds it pending until
    /// the route changes. Returns `.none`; kept as an event so the rule is
    /// stated once and checked.
    public mutating func pcpuWentOffline(_ cpu: LogicalCPU) -> GuestInterruptActions {
        precondition(vcpuCPU != cpu, "GuestInterrupt.pcpuWentOffline: its vCPU is still there")
        precondition(route != cpu || migrating, "GuestInterrupt.pcpuWentOffline: routed there without reason")
        return .none
    }
}
