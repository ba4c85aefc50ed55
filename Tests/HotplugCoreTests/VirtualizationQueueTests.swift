import XCTest
@testable import HotplugCore

/// `VirtualInterruptQueue` case by case: admission and its refusals, the
/// order list registers are filled in, retiring what the guest
/// deactivated, and the state `GuestInterrupt` reads back.
final class VirtualizationQueueTests: XCTestCase {
    private func context(listRegisters: Int) -> VirtualCPUInterfaceContext {
        VirtualCPUInterfaceContext(for: VirtualInterfaceType(listRegisters: listRegisters, preemptionBits: 5, priorityBits: 5))
    }

    private func spi(_ intid: UInt32, priority: UInt8 = 0xA0) -> ListRegister {
        ListRegister(hardware: InterruptID(intid), virtual: InterruptID(intid), priority: priority)
    }

    func testHighestPriorityFirstThenArrivalOrder() {
        var lrs = context(listRegisters: 2)
        var queue = VirtualInterruptQueue()
        XCTAssertEqual(queue.add(spi(200, priority: 0xC0), context: lrs), .queued)
        XCTAssertEqual(queue.add(spi(201, priority: 0xA0), context: lrs), .queued)
        XCTAssertEqual(queue.add(spi(202, priority: 0x80), context: lrs), .queued)
        XCTAssertEqual(queue.add(spi(203, priority: 0xA0), context: lrs), .queued)
        XCTAssertEqual(queue.inject(into: &lrs), 2)
        XCTAssertEqual(lrs.listRegisters[0], spi(202, priority: 0x80))
        XCTAssertEqual(lrs.listRegisters[1], spi(201, priority: 0xA0), "201 arrived before 203, same priority")
        XCTAssertEqual(queue.waitingCount, 2)
        XCTAssertEqual(queue.state(of: InterruptID(203), in: lrs), .pending, "waiting counts as pending for the guest")
        XCTAssertEqual(queue.state(of: InterruptID(202), in: lrs), .pending)
        XCTAssertEqual(queue.state(of: InterruptID(204), in: lrs), .invalid)
    }

    func testDuplicatesAreRefusedWithTheirReason() {
        var lrs = context(listRegisters: 1)
        var queue = VirtualInterruptQueue()
        XCTAssertEqual(queue.add(spi(200), context: lrs), .queued)
        XCTAssertEqual(queue.add(spi(201), context: lrs), .queued)
        queue.inject(into: &lrs)
        XCTAssertEqual(queue.add(spi(200), context: lrs), .alreadyInListRegister)
        XCTAssertEqual(queue.add(spi(201), context: lrs), .alreadyQueued)
        // Acknowledged by the guest: still in its list register, active.
        lrs.listRegisters[0] = lrs.listRegisters[0].with(state: .active)
        XCTAssertEqual(queue.state(of: InterruptID(200), in: lrs), .active)
        XCTAssertEqual(queue.add(spi(200), context: lrs), .alreadyInListRegister)
        XCTAssertEqual(queue.waitingCount, 1)
    }

    func testDeactivatedInterruptIsRetiredAndTheNextInjected() {
        var lrs = context(listRegisters: 1)
        var queue = VirtualInterruptQueue()
        _ = queue.add(spi(200), context: lrs)
        _ = queue.add(spi(201), context: lrs)
        queue.inject(into: &lrs)
        // Nothing happened in the guest: nothing to retire, nothing to inject.
        XCTAssertEqual(queue.retire(from: lrs).count, 0)
        XCTAssertEqual(queue.inject(into: &lrs), 0)
        // The guest acknowledged and deactivated 200 (HW 1: State 0b00).
        lrs.listRegisters[0] = lrs.listRegisters[0].with(state: .invalid)
        XCTAssertEqual(queue.state(of: InterruptID(200), in: lrs), .invalid)
        let retired = queue.retire(from: lrs)
        XCTAssertEqual(retired.count, 1)
        XCTAssertEqual(retired[0].physicalID, InterruptID(200))
        XCTAssertEqual(queue.inject(into: &lrs), 1)
        XCTAssertEqual(lrs.listRegisters[0], spi(201))
        XCTAssertEqual(queue.waitingCount, 0)
    }

    func testSPITakenAgainAfterAnUnseenDeactivationIsAdmittedOnceRetired() {
        // The guest deactivated 200 and it fired again before the hypervisor
        // read the list register back: retire first, then the new one is
        // no duplicate of its stale register and goes into it.
        var lrs = context(listRegisters: 1)
        var queue = VirtualInterruptQueue()
        _ = queue.add(spi(200), context: lrs)
        queue.inject(into: &lrs)
        lrs.listRegisters[0] = lrs.listRegisters[0].with(state: .invalid)
        XCTAssertEqual(queue.retire(from: lrs).count, 1)
        XCTAssertEqual(queue.add(spi(200), context: lrs), .queued)
        XCTAssertEqual(queue.inject(into: &lrs), 1)
        XCTAssertEqual(lrs.listRegisters[0].state, .pending)
    }

    func testFullQueueRefusesAndKeepsWhatItHolds() {
        let lrs = context(listRegisters: 4)
        var queue = VirtualInterruptQueue()
        for intid in 0 ..< UInt32(VirtualInterruptQueue.capacity) {
            XCTAssertEqual(queue.add(spi(32 + intid), context: lrs), .queued)
        }
        XCTAssertEqual(queue.add(spi(32 + UInt32(VirtualInterruptQueue.capacity)), context: lrs), .full)
        XCTAssertEqual(queue.add(spi(32), context: lrs), .alreadyQueued, "a duplicate is named so even when full")
        XCTAssertEqual(queue.waitingCount, VirtualInterruptQueue.capacity)
    }

    func testListRegistersOfOthersAreLeftAlone() {
        // A purely virtual interrupt another part of the hypervisor put in
        // LR0: the queue fills LR1 and never retires LR0.
        var lrs = context(listRegisters: 2)
        lrs.listRegisters[0] = ListRegister(virtual: InterruptID(27), priority: 0x80)
        var queue = VirtualInterruptQueue()
        _ = queue.add(spi(200), context: lrs)
        XCTAssertEqual(queue.inject(into: &lrs), 1)
        XCTAssertEqual(lrs.listRegisters[1], spi(200))
        XCTAssertEqual(lrs.listRegisters[0].virtualID, InterruptID(27))
        lrs.listRegisters[0] = .empty
        XCTAssertEqual(queue.retire(from: lrs).count, 0)
    }
}
