import XCTest
@testable import HotplugCore

/// `GuestInterrupt` through the paths Xen's model has: taken where its vCPU
/// runs, forwarded to another pCPU, moved idle, moved in flight
/// (migrating), and fired again before the guest's deactivation is read
/// back.
final class VirtualizationGuestInterruptTests: XCTestCase {
    private let d1v0 = VCPUID(domain: 1, vcpu: 0)
    private func cpu(_ index: Int) -> LogicalCPU { LogicalCPU(index) }

    private func interrupt(on index: Int, running: Bool = true) -> GuestInterrupt {
        var interrupt = GuestInterrupt(physical: InterruptID(222), virtual: InterruptID(54), vcpu: d1v0, priority: 0xA0, on: cpu(index))
        if running { XCTAssertEqual(interrupt.vcpuEntered(), .none) }
        return interrupt
    }

    func testTakenWhereItsVCPURunsGoesStraightIntoAListRegister() {
        var irq = interrupt(on: 2)
        let actions = irq.taken(on: cpu(2))
        // HW 1, pINTID 222, vINTID 54, priority 0xA0, group 1, pending.
        XCTAssertEqual(actions, GuestInterruptActions(listRegister: ListRegister(rawValue: 0x70A0_00DE_0000_0036)))
        XCTAssertEqual(irq.state, .pendingInListRegister)
        XCTAssertEqual(irq.vcpuExited(listRegister: .active), .none)
        XCTAssertEqual(irq.state, .activeInListRegister)
        XCTAssertEqual(irq.vcpuExited(listRegister: .invalid), .none, "deactivated, not migrating: the route stays")
        XCTAssertEqual(irq.state, .idle)
        XCTAssertEqual(irq.route, cpu(2))
    }

    func testTakenForADescheduledVCPUWaitsForItToRun() {
        var irq = interrupt(on: 2, running: false)
        XCTAssertEqual(irq.taken(on: cpu(2)), .none)
        XCTAssertEqual(irq.state, .queued)
        XCTAssertEqual(irq.vcpuEntered(), GuestInterruptActions(listRegister: irq.listRegisterValue))
        XCTAssertEqual(irq.state, .pendingInListRegister)
    }

    func testIdleInterruptFollowsAMovedVCPUAtOnce() {
        var irq = interrupt(on: 2)
        XCTAssertEqual(irq.vcpuLeft(listRegister: .invalid), .none)
        XCTAssertEqual(irq.vcpuMoved(to: cpu(3)), GuestInterruptActions(route: cpu(3)))
        XCTAssertFalse(irq.migrating)
        XCTAssertEqual(irq.pcpuWentOffline(cpu(2)), .none)
    }

    func testActiveInTheGuestWhenItsPCPUGoesOfflineMovesOnDeactivation() {
        var irq = interrupt(on: 2)
        _ = irq.taken(on: cpu(2))
        // pCPU 2 goes offline with the interrupt active in the guest: the
        // vCPU's list registers are saved and travel; the route waits.
        XCTAssertEqual(irq.vcpuLeft(listRegister: .active), .none)
        XCTAssertEqual(irq.vcpuMoved(to: cpu(0)), .none)
        XCTAssertTrue(irq.migrating)
        XCTAssertEqual(irq.route, cpu(2))
        XCTAssertEqual(irq.pcpuWentOffline(cpu(2)), .none)
        XCTAssertEqual(irq.vcpuEntered(), .none, "already in a list register: not written twice")
        XCTAssertEqual(irq.vcpuExited(listRegister: .active), .none)
        // The guest deactivates it on pCPU 0; read back, the route follows.
        XCTAssertEqual(irq.vcpuExited(listRegister: .invalid), GuestInterruptActions(route: cpu(0)))
        XCTAssertEqual(irq.state, .idle)
        XCTAssertFalse(irq.migrating)
    }

    func testPendingInAListRegisterTravelsAndIsTakenOnceOnTheNewPCPU() {
        var irq = interrupt(on: 2)
        _ = irq.taken(on: cpu(2))
        XCTAssertEqual(irq.vcpuLeft(listRegister: .pending), .none)
        XCTAssertEqual(irq.vcpuMoved(to: cpu(1)), .none)
        XCTAssertEqual(irq.vcpuEntered(), .none)
        XCTAssertEqual(irq.vcpuExited(listRegister: .pending), .none, "still the guest's to acknowledge")
        XCTAssertEqual(irq.vcpuExited(listRegister: .invalid), GuestInterruptActions(route: cpu(1)))
    }

    func testFiredAgainBeforeTheDeactivationIsReadBackIsForwardedOnce() {
        var irq = interrupt(on: 2)
        _ = irq.taken(on: cpu(2))
        XCTAssertEqual(irq.vcpuLeft(listRegister: .active), .none)
        XCTAssertEqual(irq.vcpuMoved(to: cpu(3)), .none)
        XCTAssertEqual(irq.vcpuEntered(), .none)
        // The guest deactivates on 3; before any exit it fires again, at the
        // old route 2: remembered, and 3 is kicked.
        XCTAssertEqual(irq.taken(on: cpu(2)), GuestInterruptActions(kick: cpu(3)))
        XCTAssertTrue(irq.takenAgain)
        // The kick: read back empty, route to 3, and the second one into a
        // list register before re-entry.
        XCTAssertEqual(irq.vcpuExited(listRegister: .invalid),
                       GuestInterruptActions(route: cpu(3), listRegister: irq.listRegisterValue))
        XCTAssertEqual(irq.state, .pendingInListRegister)
        XCTAssertFalse(irq.takenAgain)
    }

    func testQueuedInterruptFollowsTheVCPUWithoutWaiting() {
        var irq = interrupt(on: 2, running: false)
        _ = irq.taken(on: cpu(2))
        XCTAssertEqual(irq.vcpuMoved(to: cpu(1)), GuestInterruptActions(route: cpu(1)), "no list register holds it")
        XCTAssertEqual(irq.vcpuEntered(), GuestInterruptActions(listRegister: irq.listRegisterValue))
    }
}
