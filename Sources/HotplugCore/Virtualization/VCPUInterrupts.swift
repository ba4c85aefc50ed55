// One vCPU's guest-bound interrupts as the hypervisor keeps them: each
// one's state machine (`GuestInterrupt`, Xen's model) and the vCPU's queue
// of interrupts waiting for a list register (`VirtualInterruptQueue`), with
// the hypervisor's sequences (an interrupt taken at EL2, the vCPU's exit,
// entry, leave and move) as one call each. Pure: the caller carries out the
// route writes and kicks it returns and saves/restores the vCPU's interface.

/// A `GICD_IROUTER` write to carry out: the physical SPI now names `cpu`.
public struct RouteWrite: Equatable, Sendable {
    public let physical: InterruptID
    public let cpu: LogicalCPU

    public init(physical: InterruptID, cpu: LogicalCPU) {
        self.physical = physical
        self.cpu = cpu
    }
}

/// What the hypervisor must do after a `VCPUInterrupts` event: route
/// writes (at most one per interrupt) and at most one kick (an SGI to the
/// pCPU running the vCPU, so that it exits and takes what waits for it).
public struct VCPUInterruptActions: Sendable {
    private var writes: InlineArray<16, RouteWrite> = InlineArray(repeating: RouteWrite(physical: InterruptID(0), cpu: LogicalCPU(0)))
    /// Route writes in `routes(at:)`.
    public private(set) var routeCount = 0
    /// The pCPU to send the kick to, if any.
    public private(set) var kick: LogicalCPU?

    public init() {}

    /// Route write `index`, below `routeCount`.
    public func route(at index: Int) -> RouteWrite {
        precondition(index >= 0 && index < routeCount, "VCPUInterruptActions: index out of range")
        return writes[index]
    }

    mutating func add(_ actions: GuestInterruptActions, for physical: InterruptID) {
        if let cpu = actions.route {
            writes[routeCount] = RouteWrite(physical: physical, cpu: cpu)
            routeCount += 1
        }
        if let cpu = actions.kick {
            kick = cpu
        }
    }
}

/// The guest-bound interrupts of one vCPU (at most `capacity`, fixed, no
/// allocation): used on the interrupt path under the vCPU's lock.
///
/// The caller's side of each event:
/// - `taken(_:on:context:)` in its IRQ handler at EL2, after the priority
///   drop, with the vCPU's context as it stands (live list registers read
///   back when the vCPU runs on this pCPU, which is then in its exit path;
///   the saved context otherwise);
/// - `exited(context:)` before re-entering the vCPU, `context` holding its
///   list registers read back; the caller writes back those that changed;
/// - `entered(context:)` before restoring a saved context onto the pCPU;
/// - `left(context:)` right after saving the vCPU's interface;
/// - `moved(to:)` with the vCPU stopped, when the scheduler places it on
///   another pCPU (the pCPU going offline included).
/// Each returns route writes and a kick to carry out once the lock is
/// dropped (a route write to an online pCPU only: the vCPU's placement).
public struct VCPUInterrupts: Sendable {
    /// Interrupts one vCPU can own.
    public static let capacity = 16

    public let vcpu: VCPUID
    private var interrupts: InlineArray<16, GuestInterrupt?> = InlineArray(repeating: nil)
    /// Interrupts bound, `interrupt(at:)` below this.
    public private(set) var count = 0
    /// Those waiting for a list register of the vCPU.
    public private(set) var queue = VirtualInterruptQueue()
    /// The pCPU the vCPU is placed on.
    public private(set) var cpu: LogicalCPU
    /// Whether it runs there now (its list registers live on the pCPU).
    public private(set) var isRunning = false

    /// A stopped vCPU placed on `cpu`, owning no interrupt yet.
    public init(vcpu: VCPUID, on cpu: LogicalCPU) {
        self.vcpu = vcpu
        self.cpu = cpu
    }

    /// Interrupt `index`, below `count`.
    public func interrupt(at index: Int) -> GuestInterrupt {
        precondition(index >= 0 && index < count, "VCPUInterrupts: index out of range")
        return interrupts[index]!
    }

    /// The index of the interrupt whose physical INTID is `physical`.
    public func index(of physical: InterruptID) -> Int? {
        for index in 0 ..< count where interrupts[index]!.physical == physical {
            return index
        }
        return nil
    }

    /// Why an interrupt cannot be bound.
    public enum BindError: Error, Equatable {
        case full
        case alreadyBound(InterruptID)
    }

    /// Gives the vCPU the physical SPI `physical`, presented as `virtual`:
    /// idle, routed to the vCPU's pCPU (the one route write returned).
    /// Bound before the SPI is enabled; for life.
    public mutating func bind(physical: InterruptID, virtual: InterruptID,
                              priority: UInt8) throws(BindError) -> RouteWrite {
        guard index(of: physical) == nil else { throw .alreadyBound(physical) }
        guard count < VCPUInterrupts.capacity else { throw .full }
        var interrupt = GuestInterrupt(physical: physical, virtual: virtual, vcpu: vcpu, priority: priority, on: cpu)
        if isRunning {
            _ = interrupt.vcpuEntered()
        }
        interrupts[count] = interrupt
        count += 1
        return RouteWrite(physical: physical, cpu: cpu)
    }

    /// Hands a list register value `GuestInterrupt` asked for to the queue.
    private mutating func present(_ actions: GuestInterruptActions, context: VirtualCPUInterfaceContext) {
        guard let value = actions.listRegister else { return }
        let admission = queue.add(value, context: context)
        precondition(admission == .queued, "VCPUInterrupts: the queue refused an interrupt its state machine released")
    }

    /// The hypervisor acknowledged `physical` at EL2 on `here`, the pCPU
    /// `GICD_IROUTER` names. Nil when it is not this vCPU's.
    public mutating func taken(_ physical: InterruptID, on here: LogicalCPU,
                               context: VirtualCPUInterfaceContext) -> VCPUInterruptActions? {
        guard let index = index(of: physical) else { return nil }
        let actions = interrupts[index]!.taken(on: here)
        present(actions, context: context)
        var result = VCPUInterruptActions()
        result.add(actions, for: physical)
        return result
    }

    /// The running vCPU exited: `context` holds its list registers read
    /// back. Deactivated ones are retired, every interrupt learns its state
    /// (a migrating one whose guest has deactivated it gets its route
    /// write), and waiting ones go into free list registers of `context`.
    public mutating func exited(context: inout VirtualCPUInterfaceContext) -> VCPUInterruptActions {
        precondition(isRunning, "VCPUInterrupts.exited: the vCPU is not running")
        _ = queue.retire(from: context)
        var result = VCPUInterruptActions()
        for index in 0 ..< count {
            let virtual = interrupts[index]!.virtual
            let actions = interrupts[index]!.vcpuExited(listRegister: queue.state(of: virtual, in: context))
            present(actions, context: context)
            result.add(actions, for: interrupts[index]!.physical)
        }
        queue.inject(into: &context)
        return result
    }

    /// The vCPU is about to run on its pCPU: what was taken for it while it
    /// did not run goes into `context` (its saved interface, restored next).
    public mutating func entered(context: inout VirtualCPUInterfaceContext) -> VCPUInterruptActions {
        precondition(!isRunning, "VCPUInterrupts.entered: already running")
        isRunning = true
        var result = VCPUInterruptActions()
        for index in 0 ..< count {
            let actions = interrupts[index]!.vcpuEntered()
            present(actions, context: context)
            result.add(actions, for: interrupts[index]!.physical)
        }
        queue.inject(into: &context)
        return result
    }

    /// The vCPU stopped running: `context` is its interface just saved.
    public mutating func left(context: VirtualCPUInterfaceContext) -> VCPUInterruptActions {
        precondition(isRunning, "VCPUInterrupts.left: the vCPU is not running")
        isRunning = false
        _ = queue.retire(from: context)
        var result = VCPUInterruptActions()
        for index in 0 ..< count {
            let virtual = interrupts[index]!.virtual
            let actions = interrupts[index]!.vcpuLeft(listRegister: queue.state(of: virtual, in: context))
            result.add(actions, for: interrupts[index]!.physical)
        }
        return result
    }

    /// The stopped vCPU is placed on `target`: idle interrupts are routed
    /// there now; those in flight follow when the guest deactivates them.
    public mutating func moved(to target: LogicalCPU) -> VCPUInterruptActions {
        precondition(!isRunning, "VCPUInterrupts.moved: a running vCPU is saved first")
        cpu = target
        var result = VCPUInterruptActions()
        for index in 0 ..< count {
            result.add(interrupts[index]!.vcpuMoved(to: target), for: interrupts[index]!.physical)
        }
        return result
    }
}
