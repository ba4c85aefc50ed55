import XCTest
@testable import HotplugCore

/// `VCPUInterrupts` through the two cases issue 13 names: an interrupt
/// pending in a list register and one active in the guest when the vCPU's
/// pCPU goes offline, each delivered once on the new pCPU, the route
/// following when the guest has deactivated it.
final class VirtualizationVCPUInterruptsTests: XCTestCase {
    private let pcpu2 = LogicalCPU(2)
    private let pcpu3 = LogicalCPU(3)

    private func vcpu(binding intids: [UInt32]) throws -> (VCPUInterrupts, VirtualCPUInterfaceContext) {
        var interrupts = VCPUInterrupts(vcpu: VCPUID(domain: 1, vcpu: 0), on: pcpu2)
        for intid in intids {
            let write = try interrupts.bind(physical: InterruptID(intid), virtual: InterruptID(intid), priority: 0xA0)
            XCTAssertEqual(write, RouteWrite(physical: InterruptID(intid), cpu: pcpu2))
        }
        var context = VirtualCPUInterfaceContext(for: VirtualInterfaceType(listRegisters: 4, preemptionBits: 5, priorityBits: 5))
        XCTAssertEqual(interrupts.entered(context: &context).routeCount, 0)
        return (interrupts, context)
    }

    func testBindingIsOncePerSPIAndBounded() throws {
        var (interrupts, _) = try vcpu(binding: [222])
        XCTAssertThrowsError(try interrupts.bind(physical: InterruptID(222), virtual: InterruptID(50), priority: 0xA0)) { error in
            XCTAssertEqual(error as? VCPUInterrupts.BindError, .alreadyBound(InterruptID(222)))
        }
        for intid in 1 ..< UInt32(VCPUInterrupts.capacity) {
            _ = try interrupts.bind(physical: InterruptID(222 - intid), virtual: InterruptID(100 + intid), priority: 0xA0)
        }
        XCTAssertThrowsError(try interrupts.bind(physical: InterruptID(100), virtual: InterruptID(100), priority: 0xA0)) { error in
            XCTAssertEqual(error as? VCPUInterrupts.BindError, .full)
        }
        XCTAssertNil(interrupts.taken(InterruptID(33), on: pcpu2, context: VirtualCPUInterfaceContext(for: VirtualInterfaceType(
            listRegisters: 4, preemptionBits: 5, priorityBits: 5))), "not this vCPU's")
    }

    func testPendingInListRegisterAtOfflineIsDeliveredOnceOnTheNewPCPU() throws {
        var (interrupts, context) = try vcpu(binding: [222])
        // Taken at EL2 on pCPU 2, where the vCPU runs: an exit injects it.
        XCTAssertEqual(interrupts.taken(InterruptID(222), on: pcpu2, context: context)?.routeCount, 0)
        XCTAssertEqual(interrupts.exited(context: &context).routeCount, 0)
        XCTAssertEqual(context.listRegisters[0], ListRegister(hardware: InterruptID(222), virtual: InterruptID(222), priority: 0xA0))
        // pCPU 2 goes offline before the guest acknowledges: the vCPU is
        // saved with the list register and moved; the route waits.
        XCTAssertEqual(interrupts.left(context: context).routeCount, 0)
        XCTAssertEqual(interrupts.moved(to: pcpu3).routeCount, 0, "in flight: the route changes on deactivation")
        XCTAssertEqual(interrupts.interrupt(at: 0).route, pcpu2)
        // It resumes on pCPU 3; the guest acknowledges and deactivates.
        XCTAssertEqual(interrupts.entered(context: &context).routeCount, 0)
        context.listRegisters[0] = context.listRegisters[0].with(state: .active)
        context.listRegisters[0] = context.listRegisters[0].with(state: .invalid)
        let actions = interrupts.exited(context: &context)
        XCTAssertEqual(actions.routeCount, 1)
        XCTAssertEqual(actions.route(at: 0), RouteWrite(physical: InterruptID(222), cpu: pcpu3))
        XCTAssertEqual(interrupts.interrupt(at: 0).state, .idle)
        XCTAssertTrue(context.listRegisters[0].isEmpty, "nothing presented twice")
    }

    func testActiveInGuestAtOfflineRoutesOnDeactivation() throws {
        var (interrupts, context) = try vcpu(binding: [222, 223])
        _ = interrupts.taken(InterruptID(222), on: pcpu2, context: context)
        _ = interrupts.exited(context: &context)
        context.listRegisters[0] = context.listRegisters[0].with(state: .active)
        _ = interrupts.left(context: context)
        XCTAssertEqual(interrupts.interrupt(at: 0).state, .activeInListRegister)
        // Moved: the idle 223 is routed at once, the active 222 waits.
        let moved = interrupts.moved(to: pcpu3)
        XCTAssertEqual(moved.routeCount, 1)
        XCTAssertEqual(moved.route(at: 0), RouteWrite(physical: InterruptID(223), cpu: pcpu3))
        // 223 fires on pCPU 3 while the vCPU is not yet running: queued.
        XCTAssertNil(interrupts.taken(InterruptID(223), on: pcpu3, context: context)?.kick)
        XCTAssertEqual(interrupts.entered(context: &context).routeCount, 0)
        XCTAssertEqual(context.listRegisters[1].virtualID, InterruptID(223), "injected on entry, beside the active one")
        context.listRegisters[0] = context.listRegisters[0].with(state: .invalid)
        let actions = interrupts.exited(context: &context)
        XCTAssertEqual(actions.routeCount, 1)
        XCTAssertEqual(actions.route(at: 0), RouteWrite(physical: InterruptID(222), cpu: pcpu3))
    }

    func testTakenOnTheOldRouteKicksTheVCPUsPCPU() throws {
        var (interrupts, context) = try vcpu(binding: [222])
        _ = interrupts.taken(InterruptID(222), on: pcpu2, context: context)
        _ = interrupts.exited(context: &context)
        context.listRegisters[0] = context.listRegisters[0].with(state: .active)
        _ = interrupts.left(context: context)
        _ = interrupts.moved(to: pcpu3)
        _ = interrupts.entered(context: &context)
        // The guest deactivates it on pCPU 3 unseen; it fires again, still
        // routed to pCPU 2: taken there, pCPU 3 is kicked.
        context.listRegisters[0] = context.listRegisters[0].with(state: .invalid)
        XCTAssertEqual(interrupts.taken(InterruptID(222), on: pcpu2, context: context)?.kick, pcpu3)
        // pCPU 3's exit: routed to pCPU 3, presented again once.
        let actions = interrupts.exited(context: &context)
        XCTAssertEqual(actions.route(at: 0), RouteWrite(physical: InterruptID(222), cpu: pcpu3))
        XCTAssertEqual(context.listRegisters[0].state, .pending)
    }
}
