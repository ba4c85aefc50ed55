/// What one rebalance did, for the console, the benchmarks and the checks.
public struct RebalanceOutcome: Equatable, Sendable {
    /// `GICD_IROUTER` writes made (one per `InterruptRouter.route` call).
    public var routeWrites: Int
    /// Descriptors routed by the policy, now or (in progress) deferred to
    /// end of interrupt. For the seed policy this includes descriptors
    /// routed again to the CPU they were on, as the patch does.
    public var descriptorsMoved: Int
    /// Of `descriptorsMoved`, those deferred (no write yet).
    public var deferredMoves: Int
    /// Descriptors newly routed outside their requested mask because no CPU
    /// of it is online (the kernel says so on the console).
    public var brokenAffinities: Int
    /// Descriptors routed inside their requested mask again after having
    /// been broken.
    public var restoredAffinities: Int
    /// Descriptor visits (lock, look, unlock) over all passes: the cost that
    /// grows with the table rather than with what moves.
    public var descriptorsExamined: Int

    public init(routeWrites: Int = 0, descriptorsMoved: Int = 0, deferredMoves: Int = 0,
                brokenAffinities: Int = 0, restoredAffinities: Int = 0, descriptorsExamined: Int = 0) {
        self.routeWrites = routeWrites
        self.descriptorsMoved = descriptorsMoved
        self.deferredMoves = deferredMoves
        self.brokenAffinities = brokenAffinities
        self.restoredAffinities = restoredAffinities
        self.descriptorsExamined = descriptorsExamined
    }

    /// Nothing done.
    public static var none: RebalanceOutcome { RebalanceOutcome() }

    /// Adds one routing change to the tallies.
    mutating func record(_ change: AffinityChange) {
        switch change {
        case .routed, .routedOutsideMask:
            routeWrites += 1
            descriptorsMoved += 1
        case .deferred:
            deferredMoves += 1
            descriptorsMoved += 1
        case .noOnlineCPUInMask, .unchanged:
            break
        }
    }
}

/// Where shared interrupts go when a CPU leaves or joins: the patch's
/// `rebalance_irqs(from, up)`.
///
/// Calling context (as in the patch): for `up == false`, on the dying CPU
/// after its interrupts are cleared and it is marked offline; for
/// `up == true`, on the online notification of CPU `from`, only once the
/// system is active (never during boot bring-up). `online` is the online
/// mask after the event: `from` already removed, or already added.
///
/// Each descriptor is examined under its own lock, through the store; no
/// two descriptor locks are held at once. Implementations are generic over
/// the store and router (no existentials) and allocate nothing.
public protocol RebalancePolicy {
    mutating func rebalance<Store: DescriptorStore, Router: InterruptRouter>(
        from cpu: LogicalCPU,
        up: Bool,
        online: CPUMask,
        store: Store,
        router: inout Router
    ) -> RebalanceOutcome

    /// Routes changed in a way the store could not report (its
    /// `routingGeneration` did not advance, or it keeps none): a policy that
    /// keeps bookkeeping between events recounts at the next one. Changes
    /// made through a store with a generation need no such call.
    mutating func noteExternalRoutingChange()
}

extension RebalancePolicy {
    /// Nothing kept between events, nothing to forget.
    public mutating func noteExternalRoutingChange() {}
}

/// The policy slot the kernel keeps behind its routing lock: a
/// `PolicySelection` when interrupt migration is compiled in, a
/// `DisabledRebalance` when it is not (`make HOTPLUG=0`). The kernel picks
/// one of the two in its only `#if`; everything else goes through this
/// interface and needs no conditional code.
public protocol SelectablePolicy: RebalancePolicy {
    /// The state at boot: the default policy, or none.
    init()

    /// The policy in force; nil when there is none (migration compiled out).
    var inForce: RebalancePolicyKind? { get }

    /// Puts a fresh policy of `kind` in force; false, changing nothing, when
    /// there is no policy to choose.
    mutating func select(_ kind: RebalancePolicyKind) -> Bool

    /// The seed policy's round-robin cursor (the patch's `cpu_next`) while
    /// the seed policy is in force, so that a reference model can start
    /// from the same state; nil otherwise.
    var seedCursor: Int? { get }

    /// Whether the policy in force places by measured load, so that the
    /// kernel closes epochs for it (`recordHandled`, then `endEpoch`).
    var measuresLoad: Bool { get }

    /// Adds `handled` to what the interrupt at store index `position`
    /// handled in the epoch under way; nothing when no load is measured.
    mutating func recordHandled(_ handled: UInt32, at position: Int)

    /// Closes the epoch under way and re-places by the new rates, as
    /// `LoadPolicy.endEpoch`; `.none` when no load is measured. Calling
    /// context: as for `rebalance` on the way up (the routing lock held, on
    /// the controlling CPU, never on a dying CPU's path).
    mutating func endEpoch<Store: DescriptorStore, Router: InterruptRouter>(
        online: CPUMask,
        store: Store,
        router: inout Router
    ) -> RebalanceOutcome
}
