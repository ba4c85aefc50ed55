import HotplugCore

#if HYPERVISOR
/// The guests' side of the checks (the hypervisor image): which SPIs are
/// bound to which vCPU, firing one and waiting for the guest's own count to
/// answer, the `vcpus` table, and what must hold of guest-bound routes.
enum GuestInterruptChecks {
    /// Guest-bound SPIs per vCPU.
    static let perVCPU = 2

    /// How long a guest may take to answer (ms, before `TIMEOUT_SCALE`):
    /// generous, as a guest runs only when its pCPU's emulated CPU gets host
    /// time, and every wait ends as soon as it is answered.
    static let patience: UInt64 = 5000

    /// The vCPU each guest-bound SPI of `TestInterrupts.guestBound` was
    /// bound to, by position. Written by `bind`, on the boot CPU, before any
    /// reader; read-only afterwards.
    nonisolated(unsafe) static var owners: [VCPUID] = []

    /// How many guest-bound SPIs `TestInterrupts.claim` takes.
    static var count: Int { VCPUs.count * perVCPU }

    /// Binds the `index`-th guest-bound SPI to a vCPU, round robin over all.
    static func bind(_ id: InterruptID, index: Int) {
        let vcpu = VCPUs.name(of: index % VCPUs.count)
        if index == 0 { owners = [] }
        owners.append(vcpu)
        GuestInterrupts.bind(id, to: vcpu)
    }

    /// The vCPU `id` belongs to, if it is guest-bound.
    static func owner(of id: InterruptID) -> VCPUID? {
        guard let position = TestInterrupts.guestBound.firstIndex(of: id) else { return nil }
        return owners[position]
    }

    /// What the guest counted for `id` on its own vCPU.
    static func received(_ id: InterruptID) -> Int {
        guard let vcpu = owner(of: id) else { return 0 }
        return Int(VCPUs.domains[vcpu.domain].record.count(vcpu: vcpu.vcpu, intid: id))
    }

    /// What every other vCPU of every domain counted for `id`: must stay 0.
    static func receivedElsewhere(_ id: InterruptID) -> Int {
        guard let owner = owner(of: id) else { return 0 }
        var total = 0
        for index in 0 ..< VCPUs.count where VCPUs.name(of: index) != owner {
            let vcpu = VCPUs.name(of: index)
            total += Int(VCPUs.domains[vcpu.domain].record.count(vcpu: vcpu.vcpu, intid: id))
        }
        return total
    }

    /// Fires guest-bound `id` once (`GICD_ISPENDR`) and waits, bounded, for
    /// its guest to count it; whether it did. Never fires while the
    /// previous firing is still active (it would merge into it).
    static func fireAndWait(_ id: InterruptID) -> Bool {
        let distributor = Machine.current.distributor
        guard Deadline.wait(milliseconds: GuestInterruptChecks.patience, for: .otherCPUs, until: {
            Scheduler.lendConsoleCPU()
            return !distributor.isActive(id)
        }) else { return false }
        let before = received(id)
        distributor.setPending(id)
        return Deadline.wait(milliseconds: GuestInterruptChecks.patience, for: .otherCPUs) {
            Scheduler.lendConsoleCPU()
            return received(id) > before
        }
    }

    /// Fires every guest-bound SPI once and checks each was received exactly
    /// once, by its own vCPU, with nothing left active; the number of failures.
    static func fireAll() -> Int {
        var failures = 0
        for id in TestInterrupts.guestBound {
            let before = received(id)
            let elsewhere = receivedElsewhere(id)
            let answered = fireAndWait(id)
            let after = received(id)
            if !answered || after != before + 1 || receivedElsewhere(id) != elsewhere {
                failures += 1
                let vcpu = owner(of: id)!
                Console.line { out in
                    out.write("FAIL: guest-bound INTID ", Int(id.rawValue))
                    out.write(" fired once, received ", after - before)
                    out.write(" times by vcpu ", vcpu.domain)
                    out.write(".", vcpu.vcpu)
                    out.write(", ", receivedElsewhere(id) - elsewhere)
                    out.write(" elsewhere")
                }
            }
        }
        return failures
    }

    /// Every guest-bound SPI is routed (`GICD_IROUTER`) to its vCPU's pCPU,
    /// and that pCPU is online; the number of failures.
    static func checkRouting() -> Int {
        let machine = Machine.current!
        let online = CPUs.online
        var failures = 0
        for id in TestInterrupts.guestBound {
            let vcpu = owner(of: id)!
            let routed = machine.routedCPU(of: id)
            let home = Scheduler.home(of: vcpu)
            if routed == nil || routed != home || !online.contains(routed!) {
                failures += 1
                Console.line { out in
                    out.write("FAIL: guest-bound INTID ", Int(id.rawValue))
                    out.write(" of vcpu ", vcpu.domain)
                    out.write(".", vcpu.vcpu)
                    out.write(" is routed to cpu ", routed?.index ?? -1)
                    out.write(", its vcpu is on cpu ", home?.index ?? -1)
                    if let routed, !online.contains(routed) { out.write(" (offline)") }
                }
            }
        }
        return failures
    }

    /// No guest-bound SPI stays active at the distributor (each fired one is
    /// deactivated by its guest); the number still active after a bounded
    /// wait. The guest counts an interrupt between its acknowledge and its
    /// EOI, so a count seen is not yet a deactivation: each SPI gets the
    /// same patience as a delivery before it is said to be left active.
    static func checkNoneActive() -> Int {
        var failures = 0
        let distributor = Machine.current.distributor
        for id in TestInterrupts.guestBound
        where !Deadline.wait(milliseconds: GuestInterruptChecks.patience, for: .otherCPUs, until: {
            Scheduler.lendConsoleCPU()
            return !distributor.isActive(id)
        }) {
            failures += 1
            Console.line { out in out.write("FAIL: guest-bound INTID ", Int(id.rawValue)); out.write(" is left active") }
        }
        return failures
    }

    /// The `vcpus` table: each vCPU's pCPU, whether it is loaded there, its
    /// guest-bound SPIs with the guest's counts and whether one is in flight.
    static func printTable() {
        Console.line("  VCPU   CPU  state    up   interrupts (INTID:received, * active)")
        for index in 0 ..< VCPUs.count {
            let vcpu = VCPUs.name(of: index)
            let status = Scheduler.status(of: vcpu)
            let record = VCPUs.domains[vcpu.domain].record
            Console.line { out in
                out.decimal(vcpu.domain, width: 4)
                out.write(".", vcpu.vcpu)
                out.tab(to: 8)
                out.decimal(status.home?.index ?? -1, width: 4)
                out.write("  ")
                out.write(status.name)
                out.tab(to: 23)
                out.write(record.isUp(vcpu: vcpu.vcpu) ? "yes" : "no")
                out.tab(to: 28)
                for (position, id) in TestInterrupts.guestBound.enumerated() where owners[position] == vcpu {
                    out.write(" ", Int(id.rawValue))
                    out.write(":", received(id))
                    if Machine.current.distributor.isActive(id) { out.write("*") }
                }
            }
        }
    }
}
#endif

#if HYPERVISOR
/// The guests' share of the stress run (the hypervisor image): before each
/// hotplug event now and then a vCPU moves, and a guest-bound SPI is fired
/// and left for its guest to take while the event runs (the idle loops fire
/// the storm instead of running guests, so it is often still pending in a
/// list register, or queued, when its pCPU goes offline). After the event
/// each must have been received exactly once by its own vCPU.
enum GuestStress {
    /// Per guest-bound SPI (by position): the count its guest owes.
    nonisolated(unsafe) private static var expected: [Int] = []
    /// What other vCPUs counted of each at the start: must not change.
    nonisolated(unsafe) private static var elsewhere: [Int] = []
    nonisolated(unsafe) private(set) static var fired = 0
    nonisolated(unsafe) private(set) static var moves = 0
    nonisolated(unsafe) private(set) static var lost = 0
    nonisolated(unsafe) private(set) static var duplicated = 0

    /// Controller, before the first event.
    static func start() {
        expected = TestInterrupts.guestBound.map { GuestInterruptChecks.received($0) }
        elsewhere = TestInterrupts.guestBound.map { GuestInterruptChecks.receivedElsewhere($0) }
        (fired, moves, lost, duplicated) = (0, 0, 0, 0)
    }

    /// Controller, as the storm starts: maybe a vCPU move, and one firing of
    /// a guest-bound SPI whose previous firing its guest has counted.
    static func event(_ random: inout SplitMix64) {
        let ids = TestInterrupts.guestBound
        if random.below(4) == 0 {
            let vcpu = VCPUs.name(of: random.below(VCPUs.count))
            let online = CPUs.online
            if let cpu = online.nth(random.below(online.count)), case .success = Scheduler.move(vcpu, to: cpu) {
                moves += 1
            }
        }
        let position = random.below(ids.count)
        guard GuestInterruptChecks.received(ids[position]) == expected[position] else { return }
        expected[position] += 1
        fired += 1
        Machine.current.distributor.setPending(ids[position])
    }

    /// Controller, after the event and the storm: every firing received,
    /// once, by its own vCPU (waited for, bounded); the number of failures.
    static func settle(event: Int) -> Int {
        let ids = TestInterrupts.guestBound
        _ = Deadline.wait(milliseconds: GuestInterruptChecks.patience, for: .otherCPUs) {
            Scheduler.lendConsoleCPU()
            for (position, id) in ids.enumerated() where GuestInterruptChecks.received(id) < expected[position] { return false }
            return true
        }
        var failures = 0
        for (position, id) in ids.enumerated() {
            let received = GuestInterruptChecks.received(id)
            let strays = GuestInterruptChecks.receivedElsewhere(id) - elsewhere[position]
            guard received != expected[position] || strays != 0 else { continue }
            failures += 1
            lost += max(0, expected[position] - received)
            duplicated += max(0, received - expected[position]) + strays
            Console.line { out in
                out.write("FAIL: stress event ", event)
                out.write(": guest-bound INTID ", Int(id.rawValue))
                out.write(" owed ", expected[position])
                out.write(", received ", received)
                out.write(" by its vcpu, ", strays)
                out.write(" by others")
            }
            expected[position] = received
        }
        return failures
    }
}
#endif
