// Property test of the scheduler's placement and the guest-bound
// interrupts together, as the hypervisor will combine them
// (swift-property-based, `sequenceCases` cases, shrinking on).
//
// A machine of 2 to 6 pCPUs, some online, and 1 to 8 vCPUs (domain.vcpu,
// two per domain), each with one guest-bound SPI simulated by a
// `GuestMachine` (PropertyGuestInterruptTests.swift). Placement is
// `VCPUPlacement`'s: each pCPU runs one vCPU at a time, the next in its
// round robin at each time slice; a pCPU going offline stops its vCPU and
// `evacuate` moves them; one coming online gets vCPUs from `balance`; a
// console move moves one. Every move is told to the vCPU's interrupt
// (`vcpuMoved`) after the vCPU is stopped (`vcpuLeft`). Events also fire,
// deliver, acknowledge, deactivate and exit for a chosen interrupt. At the
// end, time slices and the guests run until nothing is in flight.
//
// Properties, after every event and at the end: each interrupt's own
// (see PropertyGuestInterruptTests), and across them:
// - each interrupt's idea of where its vCPU is equals the placement's;
// - a vCPU its interrupt thinks running is the one its pCPU runs, so a
//   list register is never written into another vCPU's interface;
// - every fire of every interrupt is acknowledged exactly once, by the
//   guest vCPU it belongs to.
import PropertyBased
import Testing
@testable import HotplugCore

typealias GuestHotplugCase = VCPUCase<GuestHotplugEvent>

struct GuestHotplugEvent: Sendable, CustomStringConvertible {
    /// 0...4: fire, deliver, ack, deactivate, exit (of interrupt `pick`);
    /// 5: time slice on pCPU `pick`; 6: offline; 7: online; 8: move vCPU
    /// `pick` to online pCPU `target`.
    var kind: Int
    var pick: Int
    var target: Int

    static let kinds = 9
    var description: String {
        ["fire", "deliver", "ack", "deactivate", "exit", "slice", "off", "on", "move"][kind] + "#\(pick)" + (kind == 8 ? "->\(target)" : "")
    }
}

private let guestHotplugCases = zip(
    Gen.int(in: 2 ... 6), Gen<UInt32>.bitSet, Gen.int(in: 0 ... 5).array(of: 1 ... 8),
    zip(Gen.int(in: 0 ... GuestHotplugEvent.kinds - 1), Gen.int(in: 0 ... 7), Gen.int(in: 0 ... 7))
        .map { GuestHotplugEvent(kind: $0, pick: $1, target: $2) }.array(of: 0 ... 80)
).map { GuestHotplugCase(cpus: $0, onlineBits: $1, starts: $2, events: $3) }

/// vCPUs with their interrupts on a machine whose pCPUs come and go.
struct GuestHotplugWorld {
    var online: CPUMask
    var placement = VCPUPlacement()
    /// pCPU index -> the vCPU it runs now.
    var running: [Int: VCPUID] = [:]
    /// `guests[i]`: the interrupt of vCPU `i`.
    var guests: [GuestMachine] = []
    var moves = 0

    static func vcpu(_ index: Int) -> VCPUID { VCPUID(domain: index / 2, vcpu: index % 2) }
    static func index(_ vcpu: VCPUID) -> Int { vcpu.domain * 2 + vcpu.vcpu }

    init(_ testCase: GuestHotplugCase) {
        online = testCase.online
        for index in testCase.starts.indices {
            let cpu = testCase.start(index)
            placement.add(GuestHotplugWorld.vcpu(index), on: cpu)
            guests.append(GuestMachine(cpus: testCase.cpus, online: online, vcpu: GuestHotplugWorld.vcpu(index), on: cpu,
                                       physical: InterruptID(UInt32(224 + index)), virtual: InterruptID(UInt32(40 + index))))
        }
    }

    var problem: String? { guests.lazy.compactMap(\.problem).first }

    /// Stops the vCPU `cpu` runs, if any.
    mutating func stop(_ cpu: LogicalCPU) {
        guard let vcpu = running.removeValue(forKey: cpu.index) else { return }
        guests[GuestHotplugWorld.index(vcpu)].deschedule()
    }

    /// A time slice ends on `cpu`: the next vCPU of its round robin runs.
    mutating func slice(_ cpu: LogicalCPU) {
        let current = running[cpu.index]
        stop(cpu)
        guard let next = placement.next(on: cpu, after: current) else { return }
        running[cpu.index] = next
        guests[GuestHotplugWorld.index(next)].schedule()
    }

    /// Carries out a placement decision: the vCPU stopped, then moved.
    mutating func carryOut(_ move: VCPUMove) {
        if running[move.from.index] == move.vcpu { stop(move.from) }
        guests[GuestHotplugWorld.index(move.vcpu)].move(to: move.to)
        moves += 1
    }

    mutating func setOnline(_ online: CPUMask) {
        self.online = online
        for index in guests.indices { guests[index].online = online }
    }

    mutating func step(_ event: GuestHotplugEvent) {
        switch event.kind {
        case 0 ... 4:
            guests[event.pick % guests.count].step(GuestEvent(kind: event.kind, pick: 0))
        case 5:
            slice(online.nth(event.pick % online.count)!)
        case 6:
            guard online.count > 1 else { return }
            let dying = online.nth(event.pick % online.count)!
            stop(dying)
            var remaining = online
            remaining.remove(dying)
            var decided: [VCPUMove] = []
            placement.evacuate(dying, online: remaining) { decided.append($0) }
            for move in decided { carryOut(move) }
            setOnline(remaining)
            for index in guests.indices {
                guests[index].apply(guests[index].hypervisor.pcpuWentOffline(dying), on: dying)
            }
        case 7:
            let offline = CPUMask.all(upTo: guests[0].machine.count).subtracting(online)
            guard !offline.isEmpty else { return }
            var grown = online
            grown.insert(offline.nth(event.pick % offline.count)!)
            setOnline(grown)
            var decided: [VCPUMove] = []
            placement.balance(online: online) { decided.append($0) }
            for move in decided { carryOut(move) }
        default:
            let vcpu = GuestHotplugWorld.vcpu(event.pick % guests.count)
            if let move = placement.move(vcpu, to: online.nth(event.target % online.count)!) { carryOut(move) }
        }
    }

    /// The rules across the vCPUs; nil if they hold.
    func crossCheck() -> String? {
        for (index, guest) in guests.enumerated() {
            let vcpu = GuestHotplugWorld.vcpu(index)
            if placement.pCPU(of: vcpu) != guest.hypervisor.vcpuCPU {
                return "\(vcpu): placed on \(cpuText(placement.pCPU(of: vcpu))), its interrupt thinks \(guest.hypervisor.vcpuCPU.index)"
            }
            if guest.hypervisor.vcpuRunning && running[guest.hypervisor.vcpuCPU.index] != vcpu {
                return "\(vcpu): its interrupt thinks it runs on \(guest.hypervisor.vcpuCPU.index), which runs \(running[guest.hypervisor.vcpuCPU.index].map { "\($0)" } ?? "nothing")"
            }
        }
        for (cpu, vcpu) in running where placement.pCPU(of: vcpu) != LogicalCPU(cpu) || !online.contains(LogicalCPU(cpu)) {
            return "pCPU \(cpu) runs \(vcpu), placed on \(cpuText(placement.pCPU(of: vcpu)))"
        }
        return nil
    }

    /// Time slices and the guests run until nothing is in flight.
    mutating func drain() -> String? {
        for _ in 0 ..< 4 * (guests.count + 1) {
            for cpu in online { slice(cpu) }
            for index in guests.indices { guests[index].settle() }
            if guests.allSatisfy(\.quiet) { return nil }
        }
        return "still in flight after draining: \(guests.map(\.hypervisor.state))"
    }
}

func checkGuestHotplug(_ testCase: GuestHotplugCase, moves: inout Int, fires: inout Int) -> String? {
    var world = GuestHotplugWorld(testCase)
    defer {
        moves += world.moves
        fires += world.guests.reduce(0) { $0 + $1.fires }
    }
    for (number, event) in testCase.events.enumerated() {
        world.step(event)
        let after = "event \(number) (\(event))"
        for index in world.guests.indices { world.guests[index].checkInvariants(after) }
        if let problem = world.problem ?? world.crossCheck().map({ "\(after): \($0)" }) { return problem }
    }
    if let problem = world.drain() ?? world.problem ?? world.crossCheck() { return problem }
    for (index, guest) in world.guests.enumerated() where guest.acknowledgements != guest.fires {
        return "drained: \(GuestHotplugWorld.vcpu(index)) acknowledged \(guest.acknowledgements) of \(guest.fires) fires"
    }
    return nil
}

@Suite("Guest interrupts across hotplug")
struct PropertyGuestHotplugTests {
    /// Placement decisions and every vCPU's interrupt together: each fire
    /// acknowledged once by its own vCPU, list registers only where that
    /// vCPU runs.
    @Test(.shrinking)
    func interruptsFollowTheirVCPUs() async {
        var runs = 0, moves = 0, fires = 0
        await propertyCheck(count: sequenceCases, input: guestHotplugCases) { testCase in
            runs += 1
            let problem = checkGuestHotplug(testCase, moves: &moves, fires: &fires)
            #expect(problem == nil, "\(problem ?? "")")
        }
        if runs == sequenceCases {
            #expect(moves > 2 * runs && fires > 2 * runs, "paths not reached: \(moves) moves, \(fires) fires")
        }
    }
}
