import HotplugCore

/// `make bench`'s measurement inside QEMU (run under `-icount shift=0`, so
/// the virtual counter follows executed instructions and a figure repeats
/// exactly): the initial spread, every CPU but the controller offline in
/// turn and back, then a seeded random sequence. One machine-readable line
/// per event, read by scripts/bench.py:
///
///     bench-event N KIND CPU writes W bound B spread MIN MAX ticks T
///
/// W: route writes the event made (`GICRouter`); B: the lower bound from
/// the pure core (the descriptors that must move, or the fewest moves that
/// even the counts out); MIN/MAX: movable descriptors per online CPU after
/// the event (from `GICD_IROUTER`); T: counter ticks on the dying CPU from
/// taking the request to CPU_OFF (offline), or of the online rebalance on
/// the controlling CPU (online, spread). Then `bench-total` with every
/// `GICD_IROUTER` write the kernel made, for the cross-check with QEMU's
/// trace.
enum Benchmark {
    static func run(seed: UInt64) -> Bool {
        let machine = Machine.current!
        let store = InterruptDescriptors.store!
        Console.line { out in
            out.write("bench: cpus ", machine.cpuCount)
            out.write(" policy ")
            out.write(InterruptMigration.policyName)
            out.write(" descriptors ", store.count)
            out.write(" movable ", TestInterrupts.countWithHandlers)
        }
        var failures = 0
        var number = 0
        let bound = RebalanceBounds.minimumMovesForOnline(load: Invariants.load(), online: CPUs.online)
        let before = GICRouter.totalWrites
        let spread = Hotplug.rebalanceOnline(machine.bootCPU)
        report(&number, "spread", machine.bootCPU, writes: GICRouter.totalWrites - before, bound: bound,
               ticks: spread.ticks)

        let controller = CPUs.current
        for index in 0 ..< machine.cpuCount where LogicalCPU(index) != controller {
            failures += event(&number, LogicalCPU(index), online: false)
            failures += event(&number, LogicalCPU(index), online: true)
        }
        var random = SplitMix64(seed: seed)
        for _ in 0 ..< 2 * machine.cpuCount {
            let online = CPUs.online
            let offline = CPUMask.all(upTo: machine.cpuCount).subtracting(online)
            let candidates = online.subtracting(CPUMask(single: controller))
            if !offline.isEmpty && (candidates.isEmpty || random.below(2) == 0) {
                failures += event(&number, offline.nth(random.below(offline.count))!, online: true)
            } else if !candidates.isEmpty {
                failures += event(&number, candidates.nth(random.below(candidates.count))!, online: false)
            }
        }
        for cpu in CPUMask.all(upTo: machine.cpuCount).subtracting(CPUs.online) {
            failures += event(&number, cpu, online: true)
        }
        Console.line { out in
            out.write("bench-total policy-writes ", GICRouter.totalWrites)
            out.write(" router-writes ", Distributor.routerWrites.count)
            out.write(" failures ", failures)
        }
        return failures == 0
    }

    private static func event(_ number: inout Int, _ cpu: LogicalCPU, online: Bool) -> Int {
        let bound = Invariants.lowerBound(beforeBringing: cpu, online: online)
        let before = GICRouter.totalWrites
        let operation = online ? HotplugOperation.online : .offline
        guard let outcome = operation.check(on: cpu, context: { $0.write("bench: ") }) else { return 1 }
        report(&number, online ? "online" : "offline", cpu, writes: GICRouter.totalWrites - before, bound: bound,
               ticks: outcome.ticks)
        return 0
    }

    private static func report(_ number: inout Int, _ kind: StaticString, _ cpu: LogicalCPU, writes: Int, bound: Int,
                               ticks: UInt64) {
        number += 1
        let spread = Invariants.load().spread(online: CPUs.online)
        let index = number
        Console.line { out in
            out.write("bench-event ", index)
            out.write(" ")
            out.write(kind)
            out.write(" ", cpu.index)
            out.write(" writes ", writes)
            out.write(" bound ", bound)
            out.write(" spread ", spread.min)
            out.write(" ", spread.max)
            out.write(" ticks ", Int(ticks))
        }
    }
}
