// Property tests of both rebalance policies over random event sequences
// (swift-property-based, 10,000 cases per property, shrinking on).
//
// Each case is a machine of 2 to 32 CPUs, some online, and a table of 1 to
// 16 descriptors (some without a handler, some guest-bound, some with a
// requested mask of their own), then up to 30 events: a CPU going offline
// (never the last), one coming online, set-affinity of a descriptor to a
// non-empty mask, a handler starting, an end of interrupt (applying a
// deferred move). An event's numbers are read modulo what the state offers
// (the `pick`-th online CPU, the first descriptor in progress from index
// `pick` on), so any shorter or smaller sequence is still a valid case and
// the shrinker can cut a failure down to the few events that matter. A CPU
// going offline first ends the handlers running on it, as a CPU cannot
// leave with an interrupt active. Routing is read back from a simulated
// register file.
//
// Properties:
// - seed: after every event, `SeedPolicy`'s routing (register file),
//   requested masks, pending moves, cursor and write count equal
//   `PatchReferenceModel`'s;
// - balanced, all-CPU masks, hotplug events: counts of movable descriptors
//   per online CPU within one, route writes exactly `RebalanceBounds`'
//   minimum for the event (computed before it), nothing on an offline CPU,
//   guest-bound and handler-less descriptors never written;
// - balanced, random masks, every kind of event: no movable descriptor
//   routed to an offline CPU; a descriptor outside its mask only when no
//   CPU of the mask is online, `affinityBroken` set exactly then;
//   guest-bound descriptors never written, handler-less ones never written
//   by a rebalance;
// - balanced, the same cases: no deferred move aimed at an offline CPU.
//
// Rerunning a failure: the failure report ends with a line such as
//     Add `.fixedSeed("aKPPWDEafU0CGMDYHef/ETcbYUyjWQvRVP1DTNy6qJk=")` to the Test to reproduce this issue.
// Put that trait on the failing test, beside `.shrinking`:
//     @Test(.shrinking, .fixedSeed("aKPPWDEafU0CGMDYHef/ETcbYUyjWQvRVP1DTNy6qJk="))
// and run it alone:
//     swift test --scratch-path .build-property --filter PropertyPolicyTests/balancedKeepsMasks
// With a fixed seed the property runs that one case (and shrinks it again);
// the trait reports an issue even when the case passes, so never commit it.
// The other properties take the same trait: the CPU mask and cpu list ones
// are filtered as PropertyCPUMaskTests and PropertyCPUListTests.
import PropertyBased
import Testing
@testable import HotplugCore

// MARK: Generated cases

/// One descriptor of a case, before it is laid out.
struct DescriptorRecipe: Sendable, CustomStringConvertible {
    /// 0...4: a handler of ours; 5: no handler; 6: guest-bound (with a
    /// handler); 7: guest-bound without one.
    var kind: Int
    /// 0: every CPU (the default); 1: one CPU (`bits % cpus`); 2, 3: the
    /// CPUs of `bits` (every CPU if none of them exists).
    var maskKind: Int
    var bits: UInt32
    /// Picks the CPU it is routed to at the start.
    var start: Int

    static let kinds = 8
    static let maskKinds = 4

    var hasHandler: Bool { kind <= 4 || kind == 6 }
    var guestBound: Bool { kind >= 6 }

    func mask(cpus: Int) -> CPUMask {
        switch maskKind {
        case 0: return CPUMask.all(upTo: CPUMask.capacity)
        case 1: return CPUMask(single: LogicalCPU(Int(bits % UInt32(cpus))))
        default:
            let mask = CPUMask(bits: bits, below: cpus)
            return mask.isEmpty ? CPUMask.all(upTo: CPUMask.capacity) : mask
        }
    }

    var description: String {
        let what = guestBound ? (hasHandler ? "guest" : "guest-nohandler") : (hasHandler ? "h" : "nohandler")
        let mask = maskKind == 0 ? "" : maskKind == 1 ? " one:\(bits)" : " bits:0x\(String(bits, radix: 16))"
        return "\(what)\(mask) @\(start)"
    }
}

/// One event of a case, before it is read against the state.
struct EventRecipe: Sendable, CustomStringConvertible {
    /// 0: offline; 1: online; 2: handler starts; 3: end of interrupt;
    /// 4: set-affinity.
    var kind: Int
    /// Which CPU: the `pick % n`-th of the `n` candidates. Which
    /// descriptor: the first that fits from index `pick % count` on.
    var pick: Int
    /// Set-affinity's mask (a CPU per bit).
    var bits: UInt32

    static let kinds = 5

    var description: String {
        ["off", "on", "start", "eoi", "affinity"][kind] + "#\(pick)" + (kind == 4 ? ":0x\(String(bits, radix: 16))" : "")
    }
}

/// A machine, a table and a sequence of events.
struct PolicyCase: Sendable, CustomStringConvertible {
    /// CPUs `0 ..< cpus` exist.
    var cpus: Int
    /// The CPUs online at the start (CPU 0 if none of these exists).
    var onlineBits: UInt32
    /// How many of the descriptors, at the end of the table, are extended SPIs.
    var extended: Int
    var descriptors: [DescriptorRecipe]
    var events: [EventRecipe]

    var description: String {
        "PolicyCase(cpus: \(cpus), online: \(CPUMask(bits: onlineBits, below: cpus).braced), extended: \(extended), "
            + "descriptors: \(descriptors), events: \(events))"
    }
}

/// Cases for the policies. `eventKinds` limits the kinds of event
/// (2: hotplug only); `masks` off gives every descriptor the all-CPU mask.
private func policyCases(eventKinds: Int, masks: Bool) -> Generator<PolicyCase, some Sequence & SendableMetatype> {
    let descriptor = zip(Gen.int(in: 0 ... DescriptorRecipe.kinds - 1),
                         Gen.int(in: 0 ... (masks ? DescriptorRecipe.maskKinds - 1 : 0)),
                         Gen<UInt32>.bitSet,
                         Gen.int(in: 0 ... 31))
        .map { DescriptorRecipe(kind: $0, maskKind: $1, bits: $2, start: $3) }
    let event = zip(Gen.int(in: 0 ... eventKinds - 1), Gen.int(in: 0 ... 31), Gen<UInt32>.bitSet)
        .map { EventRecipe(kind: $0, pick: $1, bits: $2) }
    return zip(Gen.int(in: 2 ... 32), Gen<UInt32>.bitSet, Gen.int(in: 0 ... 3),
               descriptor.array(of: 1 ... 16), event.array(of: 0 ... 30))
        .map { PolicyCase(cpus: $0, onlineBits: $1, extended: $2, descriptors: $3, events: $4) }
}

// MARK: The simulated machine

/// An event read against the state.
enum PolicyEvent: CustomStringConvertible {
    case offline(LogicalCPU)
    case online(LogicalCPU)
    case handlerStarts(Int)
    case endOfInterrupt(Int)
    case setAffinity(Int, CPUMask)

    var description: String {
        switch self {
        case .offline(let cpu): return "offline \(cpu.index)"
        case .online(let cpu): return "online \(cpu.index)"
        case .handlerStarts(let index): return "handler starts #\(index)"
        case .endOfInterrupt(let index): return "end of interrupt #\(index)"
        case .setAffinity(let index, let mask): return "set-affinity #\(index) \(mask.braced)"
        }
    }
}

/// What the cases of a property did, summed: evidence that the generated
/// sequences reach every path (deferred moves, broken and restored masks).
struct PolicyCoverage: CustomStringConvertible {
    var events = 0
    var offline = 0
    var online = 0
    var handlerStarts = 0
    var endsOfInterrupt = 0
    var setAffinities = 0
    /// Set-affinity refused: no CPU of the mask online.
    var refusedSetAffinities = 0
    /// Router writes made by rebalances.
    var rebalanceWrites = 0
    /// Moves deferred to end of interrupt, by rebalances or set-affinity.
    var deferredMoves = 0
    /// Deferred moves written at end of interrupt.
    var completedMoves = 0
    var brokenAffinities = 0
    var restoredAffinities = 0

    var description: String {
        "\(events) events (\(offline) offline, \(online) online, \(handlerStarts) handler starts, "
            + "\(endsOfInterrupt) ends of interrupt, \(setAffinities) set-affinity of which \(refusedSetAffinities) refused); "
            + "\(rebalanceWrites) rebalance writes, \(deferredMoves) deferred moves, \(completedMoves) completed at end of interrupt, "
            + "\(brokenAffinities) masks broken, \(restoredAffinities) restored"
    }

    static func += (lhs: inout PolicyCoverage, rhs: PolicyCoverage) {
        lhs.events += rhs.events
        lhs.offline += rhs.offline
        lhs.online += rhs.online
        lhs.handlerStarts += rhs.handlerStarts
        lhs.endsOfInterrupt += rhs.endsOfInterrupt
        lhs.setAffinities += rhs.setAffinities
        lhs.refusedSetAffinities += rhs.refusedSetAffinities
        lhs.rebalanceWrites += rhs.rebalanceWrites
        lhs.deferredMoves += rhs.deferredMoves
        lhs.completedMoves += rhs.completedMoves
        lhs.brokenAffinities += rhs.brokenAffinities
        lhs.restoredAffinities += rhs.restoredAffinities
    }
}

/// The machine a case runs on: online mask, descriptor table, register file.
struct PolicyWorld {
    let machine: CPUMask
    var online: CPUMask
    let table: DescriptorTable
    var registers = PropertyRegisterFile()
    /// What the events did so far.
    var coverage = PolicyCoverage()

    /// Lays out `testCase`: each movable descriptor routed to an online CPU
    /// of its mask (or, if the mask has none online, to any online CPU and
    /// marked broken), the others anywhere; registers preset to match.
    init(_ testCase: PolicyCase) {
        machine = CPUMask.all(upTo: testCase.cpus)
        let online = CPUMask(bits: testCase.onlineBits, below: testCase.cpus)
        self.online = online.isEmpty ? CPUMask(single: LogicalCPU(0)) : online
        let count = testCase.descriptors.count
        let extended = min(testCase.extended, count)
        table = DescriptorTable(layout: InterruptLayout(spiCount: count - extended, extendedSPICount: extended))
        for (index, recipe) in testCase.descriptors.enumerated() {
            let mask = recipe.mask(cpus: testCase.cpus)
            let online = self.online
            let machine = self.machine
            table.withDescriptor(at: index) { descriptor in
                descriptor.hasHandler = recipe.hasHandler
                if recipe.guestBound { descriptor.status.insert(.guestBound) }
                descriptor.requestedAffinity = mask
                let inMask = mask.intersection(online)
                if !descriptor.isMovable {
                    descriptor.effectiveTarget = machine.nth(recipe.start % machine.count)
                } else if inMask.isEmpty {
                    descriptor.effectiveTarget = online.nth(recipe.start % online.count)
                    descriptor.affinityBroken = true
                } else {
                    descriptor.effectiveTarget = inMask.nth(recipe.start % inMask.count)
                }
            }
            registers.preset(table[index].id, to: table[index].effectiveTarget)
        }
    }

    /// The table as laid out, for messages.
    var tableText: String {
        (0 ..< table.count).map { index in
            let descriptor = table[index]
            let what = descriptor.status.contains(.guestBound) ? "guest" : (descriptor.hasHandler ? "handler" : "no handler")
            let all = descriptor.requestedAffinity == CPUMask.all(upTo: CPUMask.capacity)
            return "#\(index) INTID \(descriptor.id.rawValue) \(what) mask \(all ? "all" : descriptor.requestedAffinity.braced) on \(cpuText(descriptor.effectiveTarget))"
        }.joined(separator: "; ")
    }

    /// `recipe` read against the state; `nil` when nothing fits (the last
    /// online CPU, no offline CPU, nothing in progress...).
    func resolve(_ recipe: EventRecipe) -> PolicyEvent? {
        switch recipe.kind {
        case 0:
            guard online.count > 1 else { return nil }
            return .offline(online.nth(recipe.pick % online.count)!)
        case 1:
            let offline = machine.subtracting(online)
            guard !offline.isEmpty else { return nil }
            return .online(offline.nth(recipe.pick % offline.count)!)
        case 2:
            // Only ours are taken by our handlers; an active one is not
            // acknowledged again before its end of interrupt.
            return descriptor(from: recipe.pick) { $0.isMovable && !$0.status.contains(.inProgress) }.map(PolicyEvent.handlerStarts)
        case 3:
            return descriptor(from: recipe.pick) { $0.status.contains(.inProgress) }.map(PolicyEvent.endOfInterrupt)
        default:
            // The kernel refuses set-affinity on a guest's interrupt.
            let index = recipe.pick % table.count
            guard !table[index].status.contains(.guestBound) else { return nil }
            let mask = CPUMask(bits: recipe.bits, below: machine.count)
            return .setAffinity(index, mask.isEmpty ? CPUMask(single: LogicalCPU(recipe.pick % machine.count)) : mask)
        }
    }

    /// The first descriptor at or after `pick % count` (wrapping round) that
    /// `fits`. Counting from a fixed index rather than among the fitting ones
    /// keeps an event on the same descriptor when the shrinker removes
    /// others.
    func descriptor(from pick: Int, where fits: (InterruptDescriptor) -> Bool) -> Int? {
        for offset in 0 ..< table.count {
            let index = (pick + offset) % table.count
            if fits(table[index]) { return index }
        }
        return nil
    }

    mutating func handlerStarts(_ index: Int) {
        coverage.handlerStarts += 1
        table.withDescriptor(at: index) { $0.status.insert(.inProgress) }
    }

    /// The handler returned: clear in-progress and apply a pending move, as
    /// the kernel's IRQ path does.
    @discardableResult
    mutating func endOfInterrupt(_ index: Int) -> AffinityChange {
        let online = self.online
        let change = table.withDescriptor(at: index) { descriptor in
            descriptor.status.remove(.inProgress)
            return AffinitySetting.completeDeferredMove(&descriptor, online: online, router: &registers)
        }
        coverage.endsOfInterrupt += 1
        if change.wroteRouter { coverage.completedMoves += 1 }
        return change
    }

    /// The handlers running on `cpu` (in progress, routed there): ended
    /// before `cpu` goes offline.
    func handlersRunning(on cpu: LogicalCPU) -> [Int] {
        (0 ..< table.count).filter { table[$0].status.contains(.inProgress) && table[$0].effectiveTarget == cpu }
    }

    /// Set-affinity choosing with `choose`, as the console does.
    @discardableResult
    mutating func setAffinity(_ index: Int, to mask: CPUMask, choose: (CPUMask) -> LogicalCPU?) -> AffinityChange {
        let online = self.online
        let change = table.withDescriptor(at: index) { descriptor in
            AffinitySetting.setAffinity(&descriptor, to: mask, online: online, choose: choose, router: &registers)
        }
        coverage.setAffinities += 1
        if change == .noOnlineCPUInMask { coverage.refusedSetAffinities += 1 }
        if case .deferred = change { coverage.deferredMoves += 1 }
        return change
    }

    /// Hotplug of `cpu` and the policy's rebalance; the writes it made.
    mutating func hotplug<Policy: RebalancePolicy>(_ cpu: LogicalCPU, up: Bool, policy: inout Policy)
        -> (outcome: RebalanceOutcome, writes: ArraySlice<(id: InterruptID, cpu: LogicalCPU)>) {
        if up { online.insert(cpu) } else { online.remove(cpu) }
        let before = registers.writes.count
        let outcome = policy.rebalance(from: cpu, up: up, online: online, store: table, router: &registers)
        if up { coverage.online += 1 } else { coverage.offline += 1 }
        coverage.rebalanceWrites += outcome.routeWrites
        coverage.deferredMoves += outcome.deferredMoves
        coverage.brokenAffinities += outcome.brokenAffinities
        coverage.restoredAffinities += outcome.restoredAffinities
        return (outcome, registers.writes[before...])
    }

    /// Per-CPU counts of movable descriptors, each on the CPU its register names.
    var registerLoad: CPULoad {
        var load = CPULoad()
        for index in 0 ..< table.count where table[index].isMovable {
            if let cpu = registers.target(of: table[index].id) {
                load.add(cpu)
            }
        }
        return load
    }
}

// MARK: Seed policy against the patch

/// Set-affinity as the patch's world does it (Xen's `irq_set_affinity`
/// with the lowest online CPU of the mask): the model's side of a
/// `.setAffinity` event. Refused, changing nothing, if no CPU of the mask
/// is online.
private func modelSetAffinity(_ model: inout PatchReferenceModel, _ index: Int, to mask: CPUMask, online: CPUMask) {
    guard let cpu = mask.intersection(online).first else { return }
    model.interrupts[index].affinity = mask
    if model.interrupts[index].inProgress {
        model.interrupts[index].movePending = true
        model.interrupts[index].deferredTarget = cpu
    } else {
        model.interrupts[index].target = cpu
        model.routeWrites += 1
    }
}

/// Runs a case under the seed policy and the reference model side by side;
/// the first difference, with the events that led to it.
func checkSeed(_ testCase: PolicyCase, coverage: inout PolicyCoverage) -> String? {
    var world = PolicyWorld(testCase)
    var model = PatchReferenceModel(snapshotOf: world.table)
    var policy = SeedPolicy()
    var trace: [String] = []
    defer { coverage += world.coverage }

    func difference() -> String? {
        if world.registers.writes.count != model.routeWrites {
            return "\(world.registers.writes.count) router writes, model \(model.routeWrites)"
        }
        if policy.cpuNext != model.cpuNext { return "cursor \(policy.cpuNext), model \(model.cpuNext)" }
        for index in 0 ..< world.table.count {
            let descriptor = world.table[index]
            let predicted = model.interrupts[index]
            let routed = world.registers.target(of: descriptor.id)
            let name = "#\(index) (INTID \(descriptor.id.rawValue))"
            if routed != predicted.target { return "\(name) routed to \(cpuText(routed)), model \(cpuText(predicted.target))" }
            if descriptor.requestedAffinity != predicted.affinity {
                return "\(name) mask \(descriptor.requestedAffinity.braced), model \(predicted.affinity.braced)"
            }
            if descriptor.status.contains(.movePending) != predicted.movePending || descriptor.deferredTarget != predicted.deferredTarget {
                return "\(name) pending move \(descriptor.status.contains(.movePending)) to \(cpuText(descriptor.deferredTarget)), "
                    + "model \(predicted.movePending) to \(cpuText(predicted.deferredTarget))"
            }
            if descriptor.status.contains(.inProgress) != predicted.inProgress { return "\(name) in progress \(!predicted.inProgress)" }
        }
        return nil
    }

    for recipe in testCase.events {
        guard let event = world.resolve(recipe) else { continue }
        trace.append(event.description)
        world.coverage.events += 1
        switch event {
        case .offline(let cpu):
            for index in world.handlersRunning(on: cpu) {
                world.endOfInterrupt(index)
                model.endOfInterrupt(index, online: world.online)
            }
            _ = world.hotplug(cpu, up: false, policy: &policy)
            model.rebalanceIRQs(from: cpu, up: false, online: world.online)
        case .online(let cpu):
            _ = world.hotplug(cpu, up: true, policy: &policy)
            model.rebalanceIRQs(from: cpu, up: true, online: world.online)
        case .handlerStarts(let index):
            world.handlerStarts(index)
            model.handlerStarts(index)
        case .endOfInterrupt(let index):
            world.endOfInterrupt(index)
            model.endOfInterrupt(index, online: world.online)
        case .setAffinity(let index, let mask):
            world.setAffinity(index, to: mask, choose: { $0.first })
            modelSetAffinity(&model, index, to: mask, online: world.online)
        }
        if let difference = difference() {
            return "after \(trace.joined(separator: ", ")): \(difference)\nstart: \(PolicyWorld(testCase).tableText)"
        }
    }
    return nil
}

// MARK: Balanced policy invariants

/// A move deferred to end of interrupt that is aimed at an offline CPU.
private func deferredMoveProblem(_ world: PolicyWorld) -> String? {
    for index in 0 ..< world.table.count {
        let descriptor = world.table[index]
        if let deferred = descriptor.deferredTarget, !world.online.contains(deferred) {
            return "#\(index) (INTID \(descriptor.id.rawValue)) has a deferred move to offline CPU \(deferred.index)"
        }
    }
    return nil
}

/// The invariants that hold after every event under the balanced policy,
/// whatever the masks (pending moves aside: `deferredMoveProblem`); the
/// first broken one.
private func balancedInvariantProblem(_ world: PolicyWorld, guestRouting: [UInt32: LogicalCPU?]) -> String? {
    for index in 0 ..< world.table.count {
        let descriptor = world.table[index]
        let name = "#\(index) (INTID \(descriptor.id.rawValue))"
        let routed = world.registers.target(of: descriptor.id)
        if let guest = guestRouting[descriptor.id.rawValue], routed != guest {
            return "guest-bound \(name) rerouted to \(cpuText(routed))"
        }
        guard descriptor.isMovable else { continue }
        guard let routed else { return "\(name) not routed" }
        if descriptor.effectiveTarget != routed { return "\(name) table says \(cpuText(descriptor.effectiveTarget)), register \(routed.index)" }
        if !world.online.contains(routed) { return "\(name) routed to offline CPU \(routed.index)" }
        // A pending move settles the mask at end of interrupt.
        guard !descriptor.status.contains(.movePending) else { continue }
        let mask = descriptor.requestedAffinity
        if mask.isDisjoint(with: world.online) {
            if !descriptor.affinityBroken { return "\(name) outside its mask \(mask.braced) (no CPU of it online) but not marked broken" }
        } else {
            if !mask.contains(routed) { return "\(name) on CPU \(routed.index), outside its mask \(mask.braced) which has an online CPU" }
            if descriptor.affinityBroken { return "\(name) inside its mask \(mask.braced) but marked broken" }
        }
    }
    return nil
}

/// The routing of every guest-bound descriptor, which nothing may change.
private func guestRouting(_ world: PolicyWorld) -> [UInt32: LogicalCPU?] {
    var routing: [UInt32: LogicalCPU?] = [:]
    for index in 0 ..< world.table.count where world.table[index].status.contains(.guestBound) {
        routing[world.table[index].id.rawValue] = world.registers.target(of: world.table[index].id)
    }
    return routing
}

/// A rebalance wrote only movable descriptors, and as many writes as it says.
private func rebalanceWriteProblem(_ world: PolicyWorld, _ outcome: RebalanceOutcome,
                                   _ writes: ArraySlice<(id: InterruptID, cpu: LogicalCPU)>) -> String? {
    if outcome.routeWrites != writes.count { return "outcome says \(outcome.routeWrites) writes, register file saw \(writes.count)" }
    for write in writes {
        let descriptor = world.table.withDescriptor(for: write.id) { $0 }!
        if !descriptor.isMovable { return "the rebalance wrote INTID \(write.id.rawValue), which is not ours to move" }
    }
    return nil
}

/// Runs a case under the balanced policy with every kind of event and
/// random masks; the first broken invariant, with the events before it.
/// `deferredMoves`: check only that no pending move is aimed at an offline
/// CPU; otherwise every other invariant.
func checkBalanced<Policy: RebalancePolicy>(_ testCase: PolicyCase, policy: Policy = BalancedPolicy(), deferredMoves: Bool = false,
                                            coverage: inout PolicyCoverage) -> String? {
    func invariantProblem(_ world: PolicyWorld, guestRouting: [UInt32: LogicalCPU?]) -> String? {
        deferredMoves ? deferredMoveProblem(world) : balancedInvariantProblem(world, guestRouting: guestRouting)
    }
    var world = PolicyWorld(testCase)
    let guests = guestRouting(world)
    var policy = policy
    var trace: [String] = []
    defer { coverage += world.coverage }
    if let problem = invariantProblem(world, guestRouting: guests) {
        return "at the start: \(problem)\nstart: \(world.tableText)"
    }
    for recipe in testCase.events {
        guard let event = world.resolve(recipe) else { continue }
        trace.append(event.description)
        world.coverage.events += 1
        var problem: String? = nil
        switch event {
        case .offline(let cpu):
            for index in world.handlersRunning(on: cpu) {
                world.endOfInterrupt(index)
            }
            let (outcome, writes) = world.hotplug(cpu, up: false, policy: &policy)
            problem = rebalanceWriteProblem(world, outcome, writes)
        case .online(let cpu):
            let (outcome, writes) = world.hotplug(cpu, up: true, policy: &policy)
            problem = rebalanceWriteProblem(world, outcome, writes)
        case .handlerStarts(let index):
            world.handlerStarts(index)
        case .endOfInterrupt(let index):
            world.endOfInterrupt(index)
        case .setAffinity(let index, let mask):
            // The console picks the least loaded CPU of the mask (by the
            // register file) under the balanced policy.
            let load = world.registerLoad
            world.setAffinity(index, to: mask, choose: { load.leastLoaded(in: $0) })
        }
        if let problem = problem ?? invariantProblem(world, guestRouting: guests) {
            return "after \(trace.joined(separator: ", ")): \(problem)\nstart: \(PolicyWorld(testCase).tableText)"
        }
    }
    return nil
}

/// Runs a case with all-CPU masks and hotplug events only: first a settling
/// rebalance as if the lowest online CPU had just come up, then the events.
/// Each must make exactly `RebalanceBounds`' minimum of writes (computed
/// before it) and leave the counts within one.
func checkBalancedDefaultMasks<Policy: RebalancePolicy>(_ testCase: PolicyCase, policy: Policy = BalancedPolicy(),
                                                        coverage: inout PolicyCoverage) -> String? {
    var world = PolicyWorld(testCase)
    let guests = guestRouting(world)
    var policy = policy
    var trace: [String] = []
    defer { coverage += world.coverage }

    /// One hotplug event and its checks.
    func run(_ event: PolicyEvent) -> String? {
        let expected: Int
        let hotplug: (outcome: RebalanceOutcome, writes: ArraySlice<(id: InterruptID, cpu: LogicalCPU)>)
        switch event {
        case .offline(let cpu):
            expected = RebalanceBounds.minimumMovesForOffline(from: cpu, store: world.table)
            hotplug = world.hotplug(cpu, up: false, policy: &policy)
        case .online(let cpu):
            var counts = world.registerLoad
            let after = world.online.union(CPUMask(single: cpu))
            expected = RebalanceBounds.minimumMovesForOnline(counts: after.map { counts.count(of: $0) })
            hotplug = world.hotplug(cpu, up: true, policy: &policy)
        default:
            return "hotplug events only here, got \(event)"
        }
        if let problem = rebalanceWriteProblem(world, hotplug.outcome, hotplug.writes)
            ?? balancedInvariantProblem(world, guestRouting: guests) {
            return problem
        }
        if hotplug.writes.count != expected {
            return "\(hotplug.writes.count) route writes, the minimum is \(expected)"
        }
        var load = world.registerLoad
        let spread = load.spread(online: world.online)
        if spread.max - spread.min > 1 {
            return "counts per online CPU " + world.online.map { "\($0.index):\(load.count(of: $0))" }.joined(separator: " ")
        }
        return nil
    }

    // Settle: boot code routed everything somewhere; spread it as the
    // online notification of the lowest online CPU would.
    trace.append("settle on \(world.online.braced)")
    var problem = run(.online(world.online.first!))
    for recipe in testCase.events where problem == nil {
        guard let event = world.resolve(recipe) else { continue }
        trace.append(event.description)
        world.coverage.events += 1
        problem = run(event)
    }
    guard let problem else { return nil }
    return "after \(trace.joined(separator: ", ")): \(problem)\nstart: \(PolicyWorld(testCase).tableText)"
}

// MARK: The properties

/// Runs `check` over `propertyCases` generated cases, summing what they
/// did; after a full run that passed (exactly `propertyCases` cases, not a
/// fixed-seed rerun of one case nor a failure and its shrinking) `reached`
/// must hold of the sum, so that a generator gone degenerate is noticed.
private func policyProperty<Shrinks: Sequence & SendableMetatype>(
    _ cases: Generator<PolicyCase, Shrinks>,
    check: (PolicyCase, inout PolicyCoverage) -> String?,
    reached: (PolicyCoverage) -> Bool
) async {
    var count = 0
    var coverage = PolicyCoverage()
    await propertyCheck(count: propertyCases, input: cases) { testCase in
        count += 1
        let problem = check(testCase, &coverage)
        #expect(problem == nil, "\(problem ?? "")")
    }
    if count == propertyCases {
        #expect(reached(coverage), "the sequences did not reach every path: \(coverage)")
    }
}

@Suite("Rebalance policy properties")
struct PropertyPolicyTests {
    /// The seed policy equals the patch's reference model after every event.
    @Test(.shrinking)
    func seedMatchesPatchModel() async {
        await policyProperty(policyCases(eventKinds: EventRecipe.kinds, masks: true),
                             check: { checkSeed($0, coverage: &$1) },
                             reached: { $0.rebalanceWrites > 50_000 && $0.deferredMoves > 5_000 && $0.completedMoves > 2_000 })
    }

    /// All-CPU masks, hotplug only: balanced within one, minimum writes.
    @Test(.shrinking)
    func balancedIsBalancedWithMinimumWrites() async {
        await policyProperty(policyCases(eventKinds: 2, masks: false),
                             check: { checkBalancedDefaultMasks($0, coverage: &$1) },
                             reached: { $0.offline > 20_000 && $0.online > 20_000 && $0.rebalanceWrites > 50_000 })
    }

    /// Random masks, every kind of event: routing online, masks kept or
    /// broken exactly when they must be, nothing not ours written.
    @Test(.shrinking)
    func balancedKeepsMasks() async {
        await policyProperty(policyCases(eventKinds: EventRecipe.kinds, masks: true),
                             check: { checkBalanced($0, coverage: &$1) },
                             reached: { $0.brokenAffinities > 2_000 && $0.restoredAffinities > 2_000 && $0.deferredMoves > 2_000
                                 && $0.completedMoves > 1_000 && $0.refusedSetAffinities > 500 })
    }

    /// Random masks, every kind of event: no pending move aimed at an
    /// offline CPU. The balanced policy's down path re-aims a move deferred
    /// to the dying CPU (the seed policy, like the patch, does not). Shrunk
    /// case this once found: 2 CPUs, CPU 0 online with two descriptors; the
    /// handler of #0 starts, CPU 1 comes online (the rebalance defers #0's
    /// move to CPU 1), CPU 1 goes offline; kept as
    /// `RebalanceBalancedPolicyTests.testPendingMoveToDyingCPUIsReaimedWithoutWrite`.
    @Test(.shrinking)
    func balancedLeavesNoDeferredMoveOnOfflineCPU() async {
        await policyProperty(policyCases(eventKinds: EventRecipe.kinds, masks: true),
                             check: { checkBalanced($0, deferredMoves: true, coverage: &$1) },
                             reached: { $0.deferredMoves > 2_000 })
    }
}
