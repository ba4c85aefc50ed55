// Set-affinity and the deferred move at end of interrupt, on one
// descriptor, against the simulated register file.
import XCTest
@testable import HotplugCore

final class RebalanceAffinityTests: XCTestCase {
    private func descriptor(_ intid: UInt32 = 40, target: Int? = 0) -> InterruptDescriptor {
        var descriptor = InterruptDescriptor(id: InterruptID(intid))
        descriptor.hasHandler = true
        descriptor.effectiveTarget = target.map(LogicalCPU.init)
        return descriptor
    }

    /// A fresh descriptor: no handler, routed nowhere, every CPU requested.
    func testFreshDescriptor() {
        let fresh = InterruptDescriptor(id: InterruptID(33))
        XCTAssertFalse(fresh.hasHandler)
        XCTAssertFalse(fresh.isMovable)
        XCTAssertEqual(fresh.status, [])
        XCTAssertEqual(fresh.requestedAffinity.count, CPUMask.capacity)
        XCTAssertNil(fresh.effectiveTarget)
        XCTAssertNil(fresh.deferredTarget)
        XCTAssertFalse(fresh.affinityBroken)
    }

    /// Movable: a handler and not a guest's (move pending does not matter).
    func testIsMovable() {
        var d = descriptor()
        XCTAssertTrue(d.isMovable)
        d.status.insert(.movePending)
        XCTAssertTrue(d.isMovable)
        d.status.insert(.guestBound)
        XCTAssertFalse(d.isMovable)
        d.status.remove(.guestBound)
        d.hasHandler = false
        XCTAssertFalse(d.isMovable)
    }

    /// Set-affinity records the mask and routes to one online CPU in it:
    /// by default the lowest; through `choose` any of them.
    func testSetAffinityRoutesToAnOnlineCPUInTheMask() {
        var router = SimulatedDistributor()
        var d = descriptor()
        let online = cpus(0, 1, 3)
        XCTAssertEqual(AffinitySetting.setAffinity(&d, to: cpus(1, 2, 3), online: online, router: &router), .routed(LogicalCPU(1)))
        XCTAssertEqual(d.requestedAffinity, cpus(1, 2, 3))
        XCTAssertEqual(d.effectiveTarget, LogicalCPU(1))
        XCTAssertEqual(router.target(of: d.id), LogicalCPU(1))

        let change = AffinitySetting.setAffinity(&d, to: cpus(1, 2, 3), online: online, choose: { $0.last }, router: &router)
        XCTAssertEqual(change, .routed(LogicalCPU(3)))
        XCTAssertEqual(router.target(of: d.id), LogicalCPU(3))
        XCTAssertEqual(router.writes.count, 2)
    }

    /// Same target again: still written (as Xen's driver does).
    func testSetAffinityWritesEvenWhenUnchanged() {
        var router = SimulatedDistributor()
        var d = descriptor(target: 2)
        XCTAssertTrue(AffinitySetting.setAffinity(&d, to: cpus(2), online: cpus(2), router: &router).wroteRouter)
        XCTAssertEqual(router.writes.count, 1)
    }

    /// A mask with no online CPU, or a `choose` answer outside mask ∩
    /// online: refused, nothing changed, nothing written.
    func testSetAffinityRefusesMaskWithoutOnlineCPU() {
        var router = SimulatedDistributor()
        var d = descriptor(target: 0)
        let before = d
        XCTAssertEqual(AffinitySetting.setAffinity(&d, to: cpus(4, 5), online: cpus(0, 1), router: &router), .noOnlineCPUInMask)
        XCTAssertEqual(AffinitySetting.setAffinity(&d, to: cpus(1), online: cpus(0, 1), choose: { _ in LogicalCPU(0) }, router: &router), .noOnlineCPUInMask)
        XCTAssertEqual(d.requestedAffinity, before.requestedAffinity)
        XCTAssertEqual(d.effectiveTarget, before.effectiveTarget)
        XCTAssertTrue(router.writes.isEmpty)
    }

    /// Set-affinity clears a broken mark: the new mask is honoured.
    func testSetAffinityClearsBroken() {
        var router = SimulatedDistributor()
        var d = descriptor()
        d.affinityBroken = true
        _ = AffinitySetting.setAffinity(&d, to: cpus(0), online: cpus(0), router: &router)
        XCTAssertFalse(d.affinityBroken)
    }

    /// In progress: the move is recorded (move pending, deferred target),
    /// the mask is recorded, nothing is written; end of interrupt writes it.
    func testInProgressDefersThenEndOfInterruptApplies() {
        var router = SimulatedDistributor()
        var d = descriptor(target: 0)
        d.status.insert(.inProgress)
        XCTAssertEqual(AffinitySetting.setAffinity(&d, to: cpus(2), online: cpus(0, 2), router: &router), .deferred(LogicalCPU(2)))
        XCTAssertTrue(d.status.contains(.movePending))
        XCTAssertEqual(d.deferredTarget, LogicalCPU(2))
        XCTAssertEqual(d.requestedAffinity, cpus(2))
        XCTAssertEqual(d.effectiveTarget, LogicalCPU(0))
        XCTAssertTrue(router.writes.isEmpty)

        d.status.remove(.inProgress)
        XCTAssertEqual(AffinitySetting.completeDeferredMove(&d, online: cpus(0, 2), router: &router), .routed(LogicalCPU(2)))
        XCTAssertFalse(d.status.contains(.movePending))
        XCTAssertNil(d.deferredTarget)
        XCTAssertEqual(router.target(of: d.id), LogicalCPU(2))
        XCTAssertEqual(router.writes.count, 1)
    }

    /// The deferred target went offline before end of interrupt: the move
    /// goes to an online CPU, never to the dead one. Table of cases.
    func testEndOfInterruptAfterDeferredTargetWentOffline() {
        let cases: [(mask: CPUMask, online: CPUMask, expected: AffinityChange, broken: Bool, why: String)] = [
            (cpus(1, 2, 3), cpus(0, 3), .routed(LogicalCPU(3)), false, "another CPU of the mask is online: lowest such"),
            (cpus(2), cpus(0, 1), .routedOutsideMask(LogicalCPU(0)), true, "no CPU of the mask online: lowest online, marked broken"),
            (CPUMask.all(upTo: 8), cpus(5, 6), .routed(LogicalCPU(5)), false, "all-CPU mask: lowest online"),
        ]
        for testCase in cases {
            var router = SimulatedDistributor()
            var d = descriptor(target: 1)
            d.requestedAffinity = testCase.mask
            d.status = [.inProgress, .movePending]
            d.deferredTarget = LogicalCPU(2)
            d.status.remove(.inProgress)
            let change = AffinitySetting.completeDeferredMove(&d, online: testCase.online, router: &router)
            XCTAssertEqual(change, testCase.expected, testCase.why)
            XCTAssertEqual(router.target(of: d.id), testCase.expected.target, testCase.why)
            XCTAssertTrue(testCase.online.contains(router.target(of: d.id)!), testCase.why)
            XCTAssertEqual(d.affinityBroken, testCase.broken, testCase.why)
            XCTAssertFalse(d.status.contains(.movePending), testCase.why)
            XCTAssertNil(d.deferredTarget, testCase.why)
        }
    }

    /// A deferred target outside the mask (a broken move recorded while in
    /// progress) is not applied once a CPU of the mask is back online.
    func testEndOfInterruptPrefersMaskOverRecordedOutsideTarget() {
        var router = SimulatedDistributor()
        var d = descriptor(target: 1)
        d.requestedAffinity = cpus(3)
        d.affinityBroken = true
        d.status = [.movePending]
        d.deferredTarget = LogicalCPU(0)
        XCTAssertEqual(AffinitySetting.completeDeferredMove(&d, online: cpus(0, 3), router: &router), .routed(LogicalCPU(3)))
        XCTAssertFalse(d.affinityBroken)
    }

    /// Nothing pending, or nothing online: nothing changes.
    func testEndOfInterruptWithoutPendingMoveDoesNothing() {
        var router = SimulatedDistributor()
        var d = descriptor(target: 1)
        XCTAssertEqual(AffinitySetting.completeDeferredMove(&d, online: cpus(0), router: &router), .unchanged)
        d.status = [.movePending]
        d.deferredTarget = LogicalCPU(0)
        XCTAssertEqual(AffinitySetting.completeDeferredMove(&d, online: CPUMask(), router: &router), .unchanged)
        XCTAssertTrue(d.status.contains(.movePending))
        XCTAssertTrue(router.writes.isEmpty)
    }

    /// `retarget` keeps the mask and writes, or defers when in progress.
    func testRetargetKeepsMask() {
        var router = SimulatedDistributor()
        var d = descriptor(target: 0)
        d.requestedAffinity = cpus(0, 1)
        XCTAssertEqual(AffinitySetting.retarget(&d, to: LogicalCPU(1), router: &router), .routed(LogicalCPU(1)))
        XCTAssertEqual(d.requestedAffinity, cpus(0, 1))
        d.status.insert(.inProgress)
        XCTAssertEqual(AffinitySetting.retarget(&d, to: LogicalCPU(0), router: &router), .deferred(LogicalCPU(0)))
        XCTAssertEqual(router.writes.count, 1)
    }
}
