// Property test of `VCPUInterrupts` against a simulated machine over random
// event sequences (swift-property-based, `propertyCases` cases, shrinking on).
//
// One vCPU with 2 to 6 guest-bound SPIs of random priorities and 1 to 4 list
// registers, on 2 to 4 pCPUs. Simulated hardware: each SPI's distributor
// pending and active bits and its `GICD_IROUTER`; the vCPU's interface (a
// `VirtualCPUInterfaceContext`, live while it runs, saved otherwise); the
// guest, which acknowledges the highest-priority pending list register when
// it outranks every active one and deactivates the last one it acknowledged
// (HW 1: the physical SPI with it). Events: a device fires; the distributor
// delivers to the route (the hypervisor takes it there: `taken`, then the
// exit if the vCPU runs there); the guest acknowledges or deactivates; the
// vCPU exits, is descheduled, scheduled, moved to another pCPU. Kicks are
// carried out as an exit of the vCPU where it runs.
//
// Properties, after every event and once drained:
// - every fire is acknowledged by the guest exactly once, on this vCPU;
// - route writes name the vCPU's pCPU; an idle interrupt is routed there;
// - a kick never targets the pCPU that sends it;
// - no vINTID is in two list registers, or waiting and in one.
import PropertyBased
import Testing
@testable import HotplugCore

struct VCPUInterruptsCase: Sendable, CustomStringConvertible {
    var pcpus: Int
    var listRegisters: Int
    var priorities: [Int]
    var events: [VCPUInterruptsEvent]

    var description: String { "(pCPUs: \(pcpus), LRs: \(listRegisters), priorities: \(priorities), events: \(events))" }
}

struct VCPUInterruptsEvent: Sendable, CustomStringConvertible {
    var kind: Int
    var pick: Int

    static let names = ["fire", "deliver", "ack", "deactivate", "exit", "deschedule", "schedule", "move"]
    /// The eight, then fire, deliver, ack and deactivate again.
    static let generated = names.count + 4
    var effectiveKind: Int { kind >= VCPUInterruptsEvent.names.count ? kind - VCPUInterruptsEvent.names.count : kind }
    var description: String { VCPUInterruptsEvent.names[effectiveKind] + "#\(pick)" }
}

private let vcpuInterruptsCases = zip(
    Gen.int(in: 2 ... 4),
    Gen.int(in: 1 ... 4),
    Gen.int(in: 0 ... 2).array(of: 2 ... 6),
    zip(Gen.int(in: 0 ... VCPUInterruptsEvent.generated - 1), Gen.int(in: 0 ... 7))
        .map { VCPUInterruptsEvent(kind: $0, pick: $1) }.array(of: 0 ... 100)
).map { VCPUInterruptsCase(pcpus: $0, listRegisters: $1, priorities: $2, events: $3) }

/// What the sequences reached, summed.
struct VCPUInterruptsCoverage {
    var migrations = 0
    var kicks = 0
    var waited = 0
}

struct VCPUInterruptsMachine {
    let pcpus: Int
    var vcpu: VCPUInterrupts
    var context: VirtualCPUInterfaceContext
    var pending: [Bool]
    var active: [Bool]
    var route: [LogicalCPU]
    var fires: [Int]
    var acknowledgements: [Int]
    var activeOrder: [Int] = []
    var problem: String?
    var coverage = VCPUInterruptsCoverage()

    init(_ testCase: VCPUInterruptsCase) {
        pcpus = testCase.pcpus
        vcpu = VCPUInterrupts(vcpu: VCPUID(domain: 1, vcpu: 0), on: LogicalCPU(0))
        context = VirtualCPUInterfaceContext(for: VirtualInterfaceType(listRegisters: testCase.listRegisters, preemptionBits: 5,
                                                                       priorityBits: 5))
        let count = testCase.priorities.count
        pending = Array(repeating: false, count: count)
        active = Array(repeating: false, count: count)
        route = Array(repeating: LogicalCPU(0), count: count)
        fires = Array(repeating: 0, count: count)
        acknowledgements = Array(repeating: 0, count: count)
        for (index, level) in testCase.priorities.enumerated() {
            do {
                let write = try vcpu.bind(physical: InterruptID(UInt32(200 + index)), virtual: InterruptID(UInt32(40 + index)),
                                          priority: UInt8(0x80 + 0x20 * level))
                route[index] = write.cpu
            } catch {
                fail("bind \(index): \(error)")
            }
        }
    }

    private mutating func fail(_ text: String) {
        if problem == nil { problem = text }
    }

    func spi(ofVirtual virtual: InterruptID) -> Int { Int(virtual.rawValue) - 40 }

    /// Carries out `actions`, done on pCPU `here`.
    mutating func apply(_ actions: VCPUInterruptActions, on here: LogicalCPU) {
        for index in 0 ..< actions.routeCount {
            let write = actions.route(at: index)
            if write.cpu != vcpu.cpu { fail("SPI \(write.physical.rawValue) routed to pCPU \(write.cpu.index), its vCPU is on \(vcpu.cpu.index)") }
            route[Int(write.physical.rawValue) - 200] = write.cpu
        }
        if let target = actions.kick {
            if target == here { fail("kicked its own pCPU \(here.index)") }
            coverage.kicks += 1
            if vcpu.isRunning && vcpu.cpu == target { exit() }
        }
    }

    mutating func exit() {
        apply(vcpu.exited(context: &context), on: vcpu.cpu)
        if vcpu.queue.waitingCount > 0 { coverage.waited += 1 }
    }

    mutating func deschedule() {
        guard vcpu.isRunning else { return }
        apply(vcpu.left(context: context), on: vcpu.cpu)
    }

    mutating func schedule() {
        guard !vcpu.isRunning else { return }
        apply(vcpu.entered(context: &context), on: vcpu.cpu)
    }

    mutating func deliver(_ spi: Int) {
        pending[spi] = false
        active[spi] = true
        let here = route[spi]
        guard let actions = vcpu.taken(InterruptID(UInt32(200 + spi)), on: here, context: context) else {
            fail("SPI \(spi) not the vCPU's")
            return
        }
        apply(actions, on: here)
        if vcpu.isRunning && vcpu.cpu == here { exit() }
    }

    /// The guest reads ICV_IAR1_EL1 (only while the vCPU runs).
    mutating func acknowledge() {
        guard vcpu.isRunning else { return }
        var best: Int?
        for register in 0 ..< context.listRegisterCount where context.listRegisters[register].state == .pending {
            if best == nil || context.listRegisters[register].priority < context.listRegisters[best!].priority { best = register }
        }
        guard let best else { return }
        let running = activeOrder.map { context.listRegisters[$0].priority }.min() ?? 0xFF
        guard activeOrder.isEmpty || context.listRegisters[best].priority < running else { return }
        context.listRegisters[best] = context.listRegisters[best].with(state: .active)
        activeOrder.append(best)
        acknowledgements[spi(ofVirtual: context.listRegisters[best].virtualID)] += 1
    }

    /// The guest writes ICV_EOIR1_EL1 for the last one it acknowledged.
    mutating func deactivate() {
        guard vcpu.isRunning, let register = activeOrder.popLast() else { return }
        let spi = spi(ofVirtual: context.listRegisters[register].virtualID)
        context.listRegisters[register] = context.listRegisters[register].with(state: .invalid)
        active[spi] = false
    }

    mutating func step(_ event: VCPUInterruptsEvent) {
        let index = event.pick % pending.count
        switch event.effectiveKind {
        case 0:
            fires[index] += pending[index] ? 0 : 1
            pending[index] = true
        case 1:
            if let ready = pending.indices.first(where: { pending[($0 + index) % pending.count] && !active[($0 + index) % pending.count] }) {
                deliver((ready + index) % pending.count)
            }
        case 2: acknowledge()
        case 3: deactivate()
        case 4: if vcpu.isRunning { exit() }
        case 5: deschedule()
        case 6: schedule()
        default:
            let target = LogicalCPU(event.pick % pcpus)
            deschedule()
            if target != vcpu.cpu && (0 ..< vcpu.count).contains(where: { vcpu.interrupt(at: $0).state.isInListRegister }) {
                coverage.migrations += 1
            }
            apply(vcpu.moved(to: target), on: vcpu.cpu)
        }
    }

    mutating func checkInvariants(_ when: String) {
        var seen = Set<UInt32>()
        for register in 0 ..< context.listRegisterCount where !context.listRegisters[register].isEmpty {
            let virtual = context.listRegisters[register].virtualID
            if !seen.insert(virtual.rawValue).inserted { fail("\(when): vINTID \(virtual.rawValue) in two list registers") }
            if vcpu.queue.isWaiting(virtual) { fail("\(when): vINTID \(virtual.rawValue) waits and is in a list register") }
        }
        for index in pending.indices {
            if acknowledgements[index] > fires[index] {
                fail("\(when): SPI \(index) acknowledged \(acknowledgements[index]) times, fired \(fires[index])")
            }
            let interrupt = vcpu.interrupt(at: index)
            if interrupt.state == .idle && route[index] != vcpu.cpu {
                fail("\(when): SPI \(index) idle but routed to pCPU \(route[index].index), its vCPU is on \(vcpu.cpu.index)")
            }
        }
    }

    /// Runs the vCPU until nothing is in flight (bounded).
    mutating func drain() {
        schedule()
        for _ in 0 ..< 300 {
            if !pending.contains(true) && !active.contains(true) && vcpu.queue.waitingCount == 0
                && (0 ..< vcpu.count).allSatisfy({ vcpu.interrupt(at: $0).state == .idle }) {
                return
            }
            if let ready = pending.indices.first(where: { pending[$0] && !active[$0] }) { deliver(ready) }
            acknowledge()
            deactivate()
            exit()
        }
        fail("not drained after 300 rounds")
    }
}

func checkVCPUInterrupts(_ testCase: VCPUInterruptsCase, coverage: inout VCPUInterruptsCoverage) -> String? {
    var machine = VCPUInterruptsMachine(testCase)
    defer {
        coverage.migrations += machine.coverage.migrations
        coverage.kicks += machine.coverage.kicks
        coverage.waited += machine.coverage.waited
    }
    for (number, event) in testCase.events.enumerated() {
        machine.step(event)
        machine.checkInvariants("event \(number) (\(event))")
        if let problem = machine.problem { return problem }
    }
    machine.drain()
    machine.checkInvariants("drained")
    if machine.problem == nil && machine.acknowledgements != machine.fires {
        return "fired \(machine.fires), acknowledged \(machine.acknowledgements)"
    }
    return machine.problem
}

@Suite("vCPU interrupts properties")
struct PropertyVCPUInterruptsTests {
    /// Random fires, deliveries, guest actions, exits, scheduling and moves
    /// of a vCPU with several interrupts and few list registers: every fire
    /// reaches its guest once, routes follow the vCPU.
    @Test(.shrinking)
    func everyFireReachesTheMovingVCPUOnce() async {
        var runs = 0
        var coverage = VCPUInterruptsCoverage()
        await propertyCheck(count: propertyCases, input: vcpuInterruptsCases) { testCase in
            runs += 1
            let problem = checkVCPUInterrupts(testCase, coverage: &coverage)
            #expect(problem == nil, "\(problem ?? "")")
        }
        if runs == propertyCases {
            #expect(coverage.migrations > 1_000 && coverage.kicks > 500 && coverage.waited > 1_000, "paths not reached: \(coverage)")
        }
    }
}
