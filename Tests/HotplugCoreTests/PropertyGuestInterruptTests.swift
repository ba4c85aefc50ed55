// Property test of `GuestInterrupt` against a simulated machine over random
// event sequences (swift-property-based, `sequenceCases` cases, shrinking on).
//
// The machine is 2 to 8 pCPUs, some online, one vCPU and its guest-bound
// SPI. The hardware side is simulated: the distributor's pending and active
// bits and `GICD_IROUTER`; the interrupt's list register in the vCPU's
// context (live while it runs, saved with it otherwise); the guest, which
// acknowledges a pending list register and deactivates an active one (with
// HW 1, deactivating the physical interrupt). The hypervisor side is
// `GuestInterrupt`, whose actions the machine carries out. Events: the
// device fires (an edge: a fire while pending is merged, as the
// distributor does); the distributor delivers to the route (only to an
// online pCPU; the hypervisor takes it there, which is an exit if its vCPU
// runs there); the guest acknowledges or deactivates; the vCPU exits and
// re-enters, is descheduled, scheduled, moved to an online pCPU; a pCPU
// goes offline (its vCPU moved first) or online. At the end the machine
// runs until nothing is in flight.
//
// Properties, after every event and at the end:
// - every fire is acknowledged by the guest exactly once (never more
//   acknowledgements than fires; equal once drained);
// - a list register is written only on the pCPU running the vCPU, only
//   when its list registers hold no copy of the interrupt, with HW 1 and
//   the physical INTID;
// - a route is only ever written to an online pCPU, and the hypervisor's
//   idea of the route is the distributor's;
// - idle, the interrupt is routed to its vCPU's pCPU, which is online.
import PropertyBased
import Testing
@testable import HotplugCore

/// One vCPU (`starts` holds its one start) and one interrupt.
typealias GuestInterruptCase = VCPUCase<GuestEvent>

struct GuestEvent: Sendable, CustomStringConvertible {
    var kind: Int
    var pick: Int

    static let names = ["fire", "deliver", "ack", "deactivate", "exit", "deschedule", "schedule", "move", "offline", "online"]
    /// Generated kinds: the ten, then fire, deliver, ack and deactivate
    /// again, so the interrupt is in flight more often.
    static let generated = names.count + 4

    /// The event this is: kinds past the ten fold onto the first four.
    var effectiveKind: Int { kind >= GuestEvent.names.count ? kind - GuestEvent.names.count : kind }
    var description: String { GuestEvent.names[effectiveKind] + (effectiveKind >= 7 ? "#\(pick)" : "") }
}

private let guestCases = zip(
    Gen.int(in: 2 ... 8), Gen<UInt32>.bitSet, Gen.int(in: 0 ... 7),
    zip(Gen.int(in: 0 ... GuestEvent.generated - 1), Gen.int(in: 0 ... 7)).map { GuestEvent(kind: $0, pick: $1) }.array(of: 0 ... 80)
).map { GuestInterruptCase(cpus: $0, onlineBits: $1, starts: [$2], events: $3) }

/// What the sequences reached, summed over every case.
struct GuestCoverage {
    var fires = 0
    var migrations = 0
    var takenAgain = 0
    var forwarded = 0
    var offlineInFlight = 0
}

/// The simulated machine around one `GuestInterrupt`.
struct GuestMachine: EventDrivenMachine {
    let machine: CPUMask
    var online: CPUMask
    var hypervisor: GuestInterrupt
    /// The interrupt's list register in the vCPU's context.
    var listRegister: VirtualInterruptState = .invalid
    var physicalPending = false
    var physicalActive = false
    /// `GICD_IROUTER`.
    var route: LogicalCPU
    var fires = 0
    var acknowledgements = 0
    var problem: String?
    var coverage = GuestCoverage()

    init(_ testCase: GuestInterruptCase) {
        self.init(cpus: testCase.cpus, online: testCase.online, vcpu: VCPUID(domain: 1, vcpu: 0), on: testCase.start(0),
                  physical: InterruptID(222), virtual: InterruptID(54))
    }

    /// The interrupt `physical` (seen as `virtual`) of `vcpu`, placed on `cpu`.
    init(cpus: Int, online: CPUMask, vcpu: VCPUID, on cpu: LogicalCPU, physical: InterruptID, virtual: InterruptID) {
        machine = CPUMask.all(upTo: cpus)
        self.online = online
        route = cpu
        hypervisor = GuestInterrupt(physical: physical, virtual: virtual, vcpu: vcpu, priority: 0xA0, on: cpu)
    }

    private mutating func fail(_ text: String) {
        if problem == nil { problem = text }
    }

    /// Carries out `actions`, done by the hypervisor on pCPU `here`.
    mutating func apply(_ actions: GuestInterruptActions, on here: LogicalCPU) {
        if let target = actions.route {
            if !online.contains(target) { fail("route written to offline pCPU \(target.index)") }
            route = target
        }
        if let value = actions.listRegister {
            if !(hypervisor.vcpuRunning && hypervisor.vcpuCPU == here) {
                fail("list register written on pCPU \(here.index), the vCPU is on \(hypervisor.vcpuCPU.index) running \(hypervisor.vcpuRunning)")
            }
            if listRegister != .invalid { fail("list register written while one holds it (\(listRegister))") }
            if !(value.isHardware && value.physicalID == hypervisor.physical && value.virtualID == hypervisor.virtual && value.state == .pending) {
                fail("list register value 0x\(String(value.rawValue, radix: 16))")
            }
            listRegister = .pending
        }
        if let target = actions.kick {
            if target == here { fail("kicked its own pCPU") }
            coverage.forwarded += 1
            if hypervisor.vcpuRunning && hypervisor.vcpuCPU == target { exit() }
        }
    }

    mutating func exit() {
        apply(hypervisor.vcpuExited(listRegister: listRegister), on: hypervisor.vcpuCPU)
    }

    mutating func deschedule() {
        guard hypervisor.vcpuRunning else { return }
        apply(hypervisor.vcpuLeft(listRegister: listRegister), on: hypervisor.vcpuCPU)
    }

    mutating func schedule() {
        guard !hypervisor.vcpuRunning else { return }
        apply(hypervisor.vcpuEntered(), on: hypervisor.vcpuCPU)
    }

    mutating func move(to cpu: LogicalCPU) {
        deschedule()
        if hypervisor.state.isInListRegister && cpu != hypervisor.vcpuCPU { coverage.migrations += 1 }
        apply(hypervisor.vcpuMoved(to: cpu), on: hypervisor.vcpuCPU)
    }

    /// Whether the distributor can deliver now.
    var deliverable: Bool { physicalPending && !physicalActive && online.contains(route) }

    mutating func deliver() {
        guard deliverable else { return }
        physicalPending = false
        physicalActive = true
        let here = route
        if hypervisor.state.isInListRegister { coverage.takenAgain += 1 }
        apply(hypervisor.taken(on: here), on: here)
        // A physical interrupt on the pCPU running the vCPU is an exit.
        if hypervisor.vcpuRunning && hypervisor.vcpuCPU == here { exit() }
    }

    mutating func step(_ event: GuestEvent) {
        switch event.effectiveKind {
        case 0:
            if !physicalPending {
                physicalPending = true
                fires += 1
            }
        case 1:
            deliver()
        case 2:
            if hypervisor.vcpuRunning && listRegister == .pending {
                listRegister = .active
                acknowledgements += 1
            }
        case 3:
            if hypervisor.vcpuRunning && listRegister == .active {
                listRegister = .invalid
                physicalActive = false
            }
        case 4:
            if hypervisor.vcpuRunning { exit() }
        case 5:
            deschedule()
        case 6:
            schedule()
        case 7:
            move(to: online.nth(event.pick % online.count)!)
        case 8:
            guard online.count > 1 else { return }
            let dying = online.nth(event.pick % online.count)!
            if hypervisor.vcpuCPU == dying {
                if hypervisor.state != .idle { coverage.offlineInFlight += 1 }
                var others = online
                others.remove(dying)
                move(to: others.first!)
            }
            online.remove(dying)
            apply(hypervisor.pcpuWentOffline(dying), on: dying)
        default:
            let offline = machine.subtracting(online)
            guard !offline.isEmpty else { return }
            online.insert(offline.nth(event.pick % offline.count)!)
        }
    }

    mutating func checkInvariants(_ after: String) {
        if acknowledgements > fires { fail("\(after): \(acknowledgements) acknowledgements of \(fires) fires") }
        if route != hypervisor.route { fail("\(after): routed to \(route.index), the hypervisor thinks \(hypervisor.route.index)") }
        if hypervisor.state == .idle && (route != hypervisor.vcpuCPU || !online.contains(route)) {
            fail("\(after): idle, routed to \(route.index) (online \(online.braced)), its vCPU on \(hypervisor.vcpuCPU.index)")
        }
        if !online.contains(hypervisor.vcpuCPU) { fail("\(after): vCPU on offline pCPU \(hypervisor.vcpuCPU.index)") }
    }

    /// Nothing in flight: the distributor, the list register and the
    /// hypervisor all at rest.
    var quiet: Bool { !physicalPending && !physicalActive && listRegister == .invalid && hypervisor.state == .idle }

    /// One round of finishing what is in flight: the distributor delivers;
    /// if the vCPU runs, the guest acknowledges and deactivates what its
    /// list register holds and the vCPU exits (and re-enters).
    mutating func settle() {
        deliver()
        guard hypervisor.vcpuRunning else { return }
        if listRegister == .pending {
            listRegister = .active
            acknowledgements += 1
        }
        if listRegister == .active {
            listRegister = .invalid
            physicalActive = false
        }
        exit()
    }

    /// Runs the machine, its vCPU scheduled, until nothing is in flight.
    var unacknowledged: String? {
        acknowledgements == fires ? nil : "drained: \(acknowledgements) acknowledgements of \(fires) fires"
    }

    mutating func drain() {
        for _ in 0 ..< 8 {
            schedule()
            settle()
            if quiet { return }
        }
        fail("still in flight after draining: \(hypervisor.state), pending \(physicalPending), active \(physicalActive)")
    }
}

func checkGuestInterrupt(_ testCase: GuestInterruptCase, coverage: inout GuestCoverage) -> String? {
    var machine = GuestMachine(testCase)
    defer { coverage.fires += machine.fires; coverage.migrations += machine.coverage.migrations
        coverage.takenAgain += machine.coverage.takenAgain; coverage.forwarded += machine.coverage.forwarded
        coverage.offlineInFlight += machine.coverage.offlineInFlight }
    return machine.run(testCase.events)
}

@Suite("Guest interrupt properties")
struct PropertyGuestInterruptTests {
    /// Random fires, guest actions, scheduling, moves and hotplug: every
    /// fire reaches the guest exactly once, list registers are written only
    /// where the vCPU runs, and an idle interrupt is routed to its vCPU's
    /// online pCPU.
    @Test(.shrinking)
    func everyFireReachesTheGuestOnce() async {
        var runs = 0
        var coverage = GuestCoverage()
        await propertyCheck(count: sequenceCases, input: guestCases) { testCase in
            runs += 1
            let problem = checkGuestInterrupt(testCase, coverage: &coverage)
            #expect(problem == nil, "\(problem ?? "")")
        }
        if runs == sequenceCases {
            #expect(coverage.migrations > runs / 5 && coverage.takenAgain > runs / 20 && coverage.forwarded > runs / 100
                        && coverage.offlineInFlight > runs / 10,
                    "paths not reached: \(coverage)")
        }
    }
}
