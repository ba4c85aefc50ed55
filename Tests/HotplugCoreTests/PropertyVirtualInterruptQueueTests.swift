// Property test of `VirtualInterruptQueue` wired to `GuestInterrupt` as the
// hypervisor wires them, against a simulated vCPU over random event
// sequences (swift-property-based, `sequenceCases` cases, shrinking on).
//
// One vCPU runs on pCPU 0 with 1 to 4 list registers and 2 to 8 guest-bound
// SPIs of random priorities, so list registers run out and interrupts wait.
// Simulated hardware: each SPI's distributor pending and active bits; the
// vCPU's list registers (a `VirtualCPUInterfaceContext`); the guest, which
// acknowledges the highest-priority pending list register when it outranks
// every active one, and deactivates the last one it acknowledged (EOImode
// 0), deactivating the physical SPI with it (HW 1). Events: a device fires
// an SPI; the distributor delivers one (the hypervisor takes it at EL2: an
// exit); the guest acknowledges or deactivates; the vCPU exits for another
// reason; a duplicate is offered to the queue. Every exit runs the
// hypervisor's sequence: `taken` for a delivered SPI, then `retire`, each
// `GuestInterrupt` told its state (`vcpuExited`), its list register value
// added, `inject`.
//
// Properties, after every event and once drained:
// - every fire is acknowledged by the guest exactly once;
// - every interrupt `GuestInterrupt` hands over is admitted (it never asks
//   twice), and a duplicate offered is refused with the right reason;
// - no vINTID is in two list registers, or waiting and in one;
// - `inject` writes only empty list registers, with HW 1, group 1,
//   pending, the SPI's pINTID and priority; something waits afterwards only
//   if every list register is in use, and nothing waiting outranks an
//   interrupt injected in the same pass.
import PropertyBased
import Testing
@testable import HotplugCore

struct QueueCase: Sendable, CustomStringConvertible {
    var listRegisters: Int
    var priorities: [Int]
    var events: [QueueEvent]

    var description: String { "(LRs: \(listRegisters), priorities: \(priorities), events: \(events))" }
}

struct QueueEvent: Sendable, CustomStringConvertible {
    var kind: Int
    var pick: Int

    static let names = ["fire", "deliver", "ack", "deactivate", "exit", "duplicate"]
    var description: String { QueueEvent.names[kind] + "#\(pick)" }
}

private let queueCases = zip(
    Gen.int(in: 1 ... 4),
    Gen.int(in: 0 ... 2).array(of: 2 ... 8),
    zip(Gen.int(in: 0 ... QueueEvent.names.count - 1), Gen.int(in: 0 ... 7)).map { QueueEvent(kind: $0, pick: $1) }
        .array(of: 0 ... 100)
).map { QueueCase(listRegisters: $0, priorities: $1, events: $2) }

/// The simulated vCPU, its SPIs and the hypervisor's side of them.
struct QueueMachine: EventDrivenMachine {
    static let pcpu = LogicalCPU(0)
    var context: VirtualCPUInterfaceContext
    var queue = VirtualInterruptQueue()
    var interrupts: [GuestInterrupt]
    var physicalPending: [Bool]
    var physicalActive: [Bool]
    var fires: [Int]
    var acknowledgements: [Int]
    /// List registers the guest acknowledged, most recent last.
    var activeOrder: [Int] = []
    var problem: String?
    var waited = 0

    init(_ testCase: QueueCase) {
        context = VirtualCPUInterfaceContext(for: VirtualInterfaceType(listRegisters: testCase.listRegisters, preemptionBits: 5,
                                                                       priorityBits: 5))
        interrupts = testCase.priorities.enumerated().map { index, level in
            GuestInterrupt(physical: InterruptID(UInt32(200 + index)), virtual: InterruptID(UInt32(40 + index)),
                           vcpu: VCPUID(domain: 1, vcpu: 0), priority: UInt8(0x80 + 0x20 * level), on: QueueMachine.pcpu)
        }
        let count = testCase.priorities.count
        physicalPending = Array(repeating: false, count: count)
        physicalActive = Array(repeating: false, count: count)
        fires = Array(repeating: 0, count: count)
        acknowledgements = Array(repeating: 0, count: count)
        for index in interrupts.indices {
            _ = interrupts[index].vcpuEntered()
        }
    }

    private mutating func fail(_ text: String) {
        if problem == nil { problem = text }
    }

    /// The SPI a list register value stands for.
    func spi(of value: ListRegister) -> Int { Int(value.virtualID.rawValue) - 40 }

    mutating func hand(_ actions: GuestInterruptActions, from index: Int) {
        if actions.kick != nil || actions.route != nil { fail("SPI \(index): a kick or route with one pCPU") }
        guard let value = actions.listRegister else { return }
        let admission = queue.add(value, context: context)
        if admission != .queued { fail("SPI \(index): the queue refused what GuestInterrupt handed over: \(admission)") }
    }

    /// The hypervisor's exit sequence, with SPI `taken` acknowledged at EL2.
    mutating func exit(taken: Int? = nil) {
        if let taken {
            hand(interrupts[taken].taken(on: QueueMachine.pcpu), from: taken)
        }
        let retired = queue.retire(from: context)
        for index in 0 ..< retired.count {
            let value = retired[index]
            if value.physicalID != interrupts[spi(of: value)].physical { fail("retired \(value.virtualID) with the wrong pINTID") }
        }
        for index in interrupts.indices {
            let read = queue.state(of: interrupts[index].virtual, in: context)
            hand(interrupts[index].vcpuExited(listRegister: read), from: index)
        }
        let before = context
        queue.inject(into: &context)
        if queue.waitingCount > 0 { waited += 1 }
        checkInjection(before: before)
    }

    private mutating func checkInjection(before: VirtualCPUInterfaceContext) {
        var injectedPriorities: [UInt8] = []
        for register in 0 ..< context.listRegisterCount where context.listRegisters[register] != before.listRegisters[register] {
            let value = context.listRegisters[register]
            if !before.listRegisters[register].isEmpty { fail("LR\(register) overwritten while in use") }
            let index = spi(of: value)
            if !(value.isHardware && value.isGroup1 && value.state == .pending && value.physicalID == interrupts[index].physical
                 && value.priority == interrupts[index].priority) {
                fail("LR\(register) written with 0x\(String(value.rawValue, radix: 16))")
            }
            injectedPriorities.append(value.priority)
        }
        if queue.waitingCount > 0 && !context.emptyListRegisters.isEmpty(below: context.listRegisterCount) {
            fail("interrupts wait while a list register is free")
        }
        for index in interrupts.indices where queue.isWaiting(interrupts[index].virtual) {
            if let best = injectedPriorities.max(), interrupts[index].priority < best {
                fail("SPI \(index) (priority \(interrupts[index].priority)) waits behind one of priority \(best)")
            }
        }
    }

    mutating func step(_ event: QueueEvent) {
        let index = event.pick % interrupts.count
        switch event.kind {
        case 0:
            fires[index] += physicalPending[index] ? 0 : 1
            physicalPending[index] = true
        case 1:
            guard let ready = interrupts.indices.first(where: { physicalPending[($0 + index) % interrupts.count]
                && !physicalActive[($0 + index) % interrupts.count] }) else { return }
            let spi = (ready + index) % interrupts.count
            physicalPending[spi] = false
            physicalActive[spi] = true
            exit(taken: spi)
        case 2:
            acknowledge()
        case 3:
            deactivate()
        case 4:
            exit()
        default:
            let value = interrupts[index].listRegisterValue
            let expected: VirtualInterruptAdmission? = queue.isWaiting(value.virtualID) ? .alreadyQueued
                : (context.listRegister(holding: value.virtualID) != nil ? .alreadyInListRegister : nil)
            if let expected {
                let admission = queue.add(value, context: context)
                if admission != expected { fail("duplicate of SPI \(index): \(admission), expected \(expected)") }
            }
        }
    }

    /// The guest reads ICV_IAR1_EL1: the highest-priority pending list
    /// register, if it outranks every active one.
    mutating func acknowledge() {
        var best: Int?
        for register in 0 ..< context.listRegisterCount where context.listRegisters[register].state == .pending {
            if best == nil || context.listRegisters[register].priority < context.listRegisters[best!].priority { best = register }
        }
        guard let best else { return }
        let running = activeOrder.map { context.listRegisters[$0].priority }.min() ?? 0xFF
        guard context.listRegisters[best].priority < running || activeOrder.isEmpty else { return }
        context.listRegisters[best] = context.listRegisters[best].with(state: .active)
        activeOrder.append(best)
        acknowledgements[spi(of: context.listRegisters[best])] += 1
    }

    /// The guest writes ICV_EOIR1_EL1 for its last acknowledged interrupt.
    mutating func deactivate() {
        guard let register = activeOrder.popLast() else { return }
        let index = spi(of: context.listRegisters[register])
        context.listRegisters[register] = context.listRegisters[register].with(state: .invalid)
        physicalActive[index] = false
    }

    mutating func checkInvariants(_ when: String) {
        var seen = Set<UInt32>()
        for register in 0 ..< context.listRegisterCount where !context.listRegisters[register].isEmpty {
            let virtual = context.listRegisters[register].virtualID
            if !seen.insert(virtual.rawValue).inserted { fail("\(when): vINTID \(virtual.rawValue) in two list registers") }
            if queue.isWaiting(virtual) { fail("\(when): vINTID \(virtual.rawValue) waits and is in a list register") }
        }
        for index in interrupts.indices where acknowledgements[index] > fires[index] {
            fail("\(when): SPI \(index) acknowledged \(acknowledgements[index]) times, fired \(fires[index])")
        }
    }

    /// Runs the machine until nothing is in flight (bounded).
    var unacknowledged: String? {
        acknowledgements == fires ? nil : "fired \(fires), acknowledged \(acknowledgements)"
    }

    mutating func drain() {
        for _ in 0 ..< 200 {
            if !physicalPending.contains(true) && !physicalActive.contains(true) && queue.waitingCount == 0
                && context.emptyListRegisters.rawValue & ((1 << UInt64(context.listRegisterCount)) - 1)
                == (1 << UInt64(context.listRegisterCount)) - 1 {
                return
            }
            if let ready = interrupts.indices.first(where: { physicalPending[$0] && !physicalActive[$0] }) {
                physicalPending[ready] = false
                physicalActive[ready] = true
                exit(taken: ready)
            }
            acknowledge()
            deactivate()
            exit()
        }
        fail("not drained after 200 rounds")
    }
}

extension ListRegisterSet {
    /// Whether no register below `count` is in the set.
    func isEmpty(below count: Int) -> Bool { first(below: count) == nil }
}

func checkQueue(_ testCase: QueueCase, waited: inout Int) -> String? {
    var machine = QueueMachine(testCase)
    defer { waited += machine.waited }
    return machine.run(testCase.events)
}

@Suite("Virtual interrupt queue properties")
struct PropertyVirtualInterruptQueueTests {
    /// Random fires, deliveries, guest acknowledges and deactivations and
    /// exits with few list registers: every fire reaches the guest once,
    /// nothing is presented twice, list registers are filled by priority.
    @Test(.shrinking)
    func everyFireIsPresentedOnceThroughTheQueue() async {
        var runs = 0
        var waited = 0
        await propertyCheck(count: sequenceCases, input: queueCases) { testCase in
            runs += 1
            let problem = checkQueue(testCase, waited: &waited)
            #expect(problem == nil, "\(problem ?? "")")
        }
        if runs == sequenceCases {
            #expect(waited > runs / 2, "interrupts rarely waited for a list register: \(waited)")
        }
    }
}
