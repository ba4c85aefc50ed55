import HotplugCore
import Synchronization

/// Taking CPUs offline and bringing them online, from a controlling CPU
/// (the one running the console or the job the command line asks for).
///
/// One operation at a time: `Hotplug.busy` is claimed for the whole
/// operation (a flag, not a spin lock, because an operation waits for
/// milliseconds on another CPU and on firmware, and must not do so with
/// interrupts masked). A second request while one runs fails with `.busy`.
///
/// Every wait has a deadline, stretched by `timeout-scale` (a wait on
/// other CPUs, see `Deadline`); every failure leaves the CPU tables saying
/// what is true (checked with AFFINITY_INFO) and is reported as a
/// `HotplugError`, a timeout as "timed out after N ms".
///
/// PSCI 0.1 (a device tree whose /psci node is only "arm,psci"): CPU_ON and
/// CPU_OFF go through the node's own function IDs, and a CPU that started
/// is taken to be on once it announces itself. Taking a CPU offline is
/// refused (`offlineNeedsAffinityInfo`): 0.1 has no AFFINITY_INFO, so
/// nothing says when the dying CPU has really powered down, and a CPU_ON
/// aimed at it before then has no defined outcome in 0.1 (ALREADY_ON and
/// ON_PENDING came with 0.2). The dying CPU's own last word in memory plus
/// a settle delay would only guess at that moment, and a loaded or slow
/// machine is exactly where such a guess fails.
enum Hotplug {
    /// Set while an operation runs: rank 1 in LockOrder.swift.
    static let busy = Atomic<Bool>(false)
    /// False during boot bring-up: the patch rebalances on CPU_ONLINE only
    /// once the system is active (Xen's `system_state >= SYS_STATE_active`).
    private static let systemActive = Atomic<Bool>(false)

    /// Ends boot bring-up: from now on a CPU coming online is rebalanced to.
    static func markSystemActive() {
        systemActive.store(true, ordering: .releasing)
    }

    /// How long a CPU may take to announce itself / to reach CPU_OFF,
    /// before `timeout-scale` stretches them.
    static let announceTimeoutMilliseconds: UInt64 = 1000
    static let stopTimeoutMilliseconds: UInt64 = 1000

    /// Runs one operation on `cpu`, a CPU of this machine, with `busy`
    /// claimed for its whole length (rank 1 in LockOrder.swift).
    private static func exclusively(
        _ cpu: LogicalCPU, _ operation: (Machine) -> Result<HotplugOutcome, HotplugError>
    ) -> Result<HotplugOutcome, HotplugError> {
        let machine = Machine.current!
        guard cpu.index >= 0 && cpu.index < machine.cpuCount else { return .failure(.noSuchCPU(cpu)) }
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            return .failure(.busy)
        }
        defer { busy.store(false, ordering: .releasing) }
        return operation(machine)
    }

    /// Brings `cpu` online with PSCI CPU_ON and waits until it announces
    /// itself; then, if the system is active, spreads interrupts again.
    static func bringOnline(_ cpu: LogicalCPU) -> Result<HotplugOutcome, HotplugError> {
        exclusively(cpu) { machine in
            guard CPUs.state(of: cpu) == .offline else { return .failure(.alreadyOnline(cpu)) }

            guard machine.psci.has(.cpuOn) else { return .failure(.missingFunctionID(.cpuOn)) }
            closeLoadEpoch()
            CPUs.setState(.starting, of: cpu)
            let result = machine.psci.cpuOn(machine.affinity(of: cpu),
                                            entry: arch_address_of_secondary_entry(),
                                            context: CPUStartBlock.context(for: cpu))
            guard result.isSuccess else {
                CPUs.setState(.offline, of: cpu)
                return .failure(.psci(.cpuOn, result))
            }
            let announced = Deadline.wait(milliseconds: announceTimeoutMilliseconds, for: .otherCPUs) {
                CPUs.state(of: cpu) == .online
            }
            guard announced else {
                return .failure(.didNotAnnounce(cpu, sentBackOff: sendBackOff(cpu)))
            }
            // PSCI 0.1: the announcement is the only confirmation there is.
            guard machine.psci.version.hasAffinityInfo else {
                return .success(rebalanceOnline(cpu))
            }
            switch machine.psci.affinityInfo(machine.affinity(of: cpu)) {
            case .success(.on):
                break
            case .success(let state):
                return .failure(.affinityInfoDisagrees(cpu, expected: .on, found: state))
            case .failure(let error):
                return .failure(.psci(.affinityInfo, error))
            }
            return .success(rebalanceOnline(cpu))
        }
    }

    /// Before an event the controlling CPU starts, once the system is
    /// active: with the load policy in force the epoch under way closes,
    /// so that the event places by the rates measured up to it (issue 15:
    /// rates re-measured on hotplug). Here rather than on the dying CPU's
    /// path, which must stay short and never reads other CPUs' counters.
    private static func closeLoadEpoch() {
        guard systemActive.load(ordering: .acquiring) else { return }
        _ = InterruptMigration.closeEpoch()
    }

    /// The online notification, on the controlling CPU once `cpu` is up:
    /// spreads interrupts again if the system is active, timed.
    static func rebalanceOnline(_ cpu: LogicalCPU) -> HotplugOutcome {
        guard systemActive.load(ordering: .acquiring) else { return HotplugOutcome() }
        let started = arch_read_counter()
        let rebalance = InterruptMigration.rebalance(.up(cpu))
        #if HYPERVISOR
        // Guests' vCPUs may move onto the new pCPU, their SPIs with them.
        Scheduler.balance(online: CPUs.online)
        #endif
        return HotplugOutcome(rebalance: rebalance, ticks: arch_read_counter() &- started)
    }

    /// Per CPU: what its last offline did, written by the dying CPU before
    /// it publishes `CPUState.offline` (a releasing store) and read by the
    /// controller only after it has seen that state (an acquiring load).
    /// Allocated once in `setUp`, before any other CPU runs.
    nonisolated(unsafe) static var offlineOutcomes = UnsafeMutablePointer<HotplugOutcome>.allocate(capacity: 1)

    /// Sizes the per-CPU tables; boot CPU, before any secondary.
    static func setUp(cpuCount: Int) {
        offlineOutcomes = UnsafeMutablePointer<HotplugOutcome>.allocate(capacity: cpuCount)
        offlineOutcomes.initialize(repeating: HotplugOutcome(), count: cpuCount)
    }

    /// Asks `cpu` to take itself offline and waits until the firmware says
    /// it is OFF.
    static func takeOffline(_ cpu: LogicalCPU) -> Result<HotplugOutcome, HotplugError> {
        exclusively(cpu) { machine in
            guard CPUs.state(of: cpu) == .online else { return .failure(.alreadyOffline(cpu)) }
            guard CPUs.online.count > 1 else { return .failure(.lastOnlineCPU(cpu)) }
            guard cpu != CPUs.current else { return .failure(.controllingCPU(cpu)) }
            guard machine.psci.version.hasAffinityInfo else {
                return .failure(.offlineNeedsAffinityInfo(machine.psci.version))
            }
            guard machine.psci.has(.cpuOff) else { return .failure(.missingFunctionID(.cpuOff)) }
            closeLoadEpoch()

            CPUs.requests.store(cpu.index, CPURequest.goOffline.rawValue)
            CPUInterface.sendSGI(KernelSGI.wake, to: machine.affinity(of: cpu))
            let stopped = Deadline.wait(milliseconds: stopTimeoutMilliseconds, for: .otherCPUs) {
                CPUs.state(of: cpu) == .offline
            }
            guard stopped else {
                // Withdraw the request if the CPU never took it: it then stays
                // online, as the tables say. Otherwise it is on its way down.
                if CPUs.requests.replace(cpu.index, expected: CPURequest.goOffline.rawValue,
                                         desired: CPURequest.none.rawValue) {
                    return .failure(.didNotRespond(cpu))
                }
                return .failure(.didNotStop(cpu, lastState: nil, afterwards: nil))
            }
            var last: AffinityState?
            let off = Deadline.wait(milliseconds: stopTimeoutMilliseconds, for: .otherCPUs) {
                if case .success(let state) = machine.psci.affinityInfo(machine.affinity(of: cpu)) { last = state }
                return last == .off
            }
            guard off else { return .failure(.didNotStop(cpu, lastState: last, afterwards: nil)) }
            return .success(offlineOutcomes[cpu.index])
        }
    }

    /// A CPU that started but never announced itself is asked (through its
    /// mailbox, polled by its start path) to call CPU_OFF; true if
    /// AFFINITY_INFO then confirms OFF, when it is offline again for us too.
    /// Under PSCI 0.1 nothing can confirm it: false.
    private static func sendBackOff(_ cpu: LogicalCPU) -> Bool {
        let machine = Machine.current!
        CPUs.requests.store(cpu.index, CPURequest.abortStart.rawValue)
        arch_send_event()
        guard machine.psci.version.hasAffinityInfo else { return false }
        let off = Deadline.wait(milliseconds: stopTimeoutMilliseconds, for: .otherCPUs) {
            if case .success(.off) = machine.psci.affinityInfo(machine.affinity(of: cpu)) { return true }
            return false
        }
        if off { CPUs.setState(.offline, of: cpu) }
        return off
    }

    /// A failure seen on a CPU other than the controller (CPU_OFF returning).
    static func recordFailure(_ error: HotplugError, cpu: LogicalCPU) {
        Console.line { out in
            out.write("error: cpu ", cpu.index)
            out.write(": ")
            error.describe(&out)
        }
    }
}

/// What a completed hotplug operation did, for whoever asked for it (the
/// console's report, the jobs' figures).
struct HotplugOutcome {
    /// What the rebalance did: nothing during boot bring-up (no rebalance
    /// then) or with migration compiled out.
    var rebalance = RebalanceOutcome.none
    /// Virtual-counter ticks of the kernel's side of the event: for an
    /// offline, the dying CPU's path from taking the request to just before
    /// CPU_OFF; for an online, the rebalance on the controlling CPU.
    var ticks: UInt64 = 0
}

/// Why a hotplug operation did not happen. Each leaves the system as it was
/// (or, for the timeouts, as AFFINITY_INFO says it is).
enum HotplugError: Error {
    case noSuchCPU(LogicalCPU)
    case alreadyOnline(LogicalCPU)
    case alreadyOffline(LogicalCPU)
    case lastOnlineCPU(LogicalCPU)
    case controllingCPU(LogicalCPU)
    case busy
    case psci(PSCIFunction, PSCIReturnCode)
    case didNotAnnounce(LogicalCPU, sentBackOff: Bool)
    case didNotRespond(LogicalCPU)
    case didNotStop(LogicalCPU, lastState: AffinityState?, afterwards: AffinityState?)
    case affinityInfoDisagrees(LogicalCPU, expected: AffinityState, found: AffinityState)
    /// PSCI 0.1 firmware: no AFFINITY_INFO to confirm OFF with.
    case offlineNeedsAffinityInfo(PSCIVersion)
    /// A PSCI 0.1 node without the function's ID property.
    case missingFunctionID(PSCIFunction)

    /// One line, naming the CPU and, for firmware errors, the PSCI names.
    func describe(_ out: inout ConsoleWriter) {
        switch self {
        case .noSuchCPU(let cpu):
            out.write("cpu ", cpu.index)
            out.write(" does not exist (cpus are 0-", Machine.current.cpuCount - 1)
            out.write(")")
        case .alreadyOnline(let cpu):
            out.write("cpu ", cpu.index)
            out.write(" is already online")
        case .alreadyOffline(let cpu):
            out.write("cpu ", cpu.index)
            out.write(" is not online")
        case .lastOnlineCPU(let cpu):
            out.write("cpu ", cpu.index)
            out.write(" is the last online cpu")
        case .controllingCPU(let cpu):
            out.write("cpu ", cpu.index)
            out.write(" runs the console; it cannot take itself offline")
        case .busy:
            out.write("another hotplug operation is in progress")
        case .psci(let function, let code):
            out.write("PSCI ")
            out.write(function.name)
            out.write(" returned ")
            out.write(code.name)
        case .didNotAnnounce(let cpu, let sentBackOff):
            out.write("cpu ", cpu.index)
            out.write(" did not announce itself: timed out after ",
                      Deadline.reported(Hotplug.announceTimeoutMilliseconds, for: .otherCPUs))
            out.write(" ms")
            if sentBackOff {
                out.write("; it was sent back to OFF (AFFINITY_INFO confirms)")
            } else if Machine.current.psci.version.hasAffinityInfo {
                out.write("; it did not return to OFF either, and is left out of the online mask")
            } else {
                out.write("; it was asked to return to OFF, which PSCI 0.1 cannot confirm, and is left out of the online mask")
            }
        case .didNotRespond(let cpu):
            out.write("cpu ", cpu.index)
            out.write(" did not take up the offline request: timed out after ",
                      Deadline.reported(Hotplug.stopTimeoutMilliseconds, for: .otherCPUs))
            out.write(" ms; the request was withdrawn and it stays online")
        case .didNotStop(let cpu, let state, let afterwards):
            out.write("cpu ", cpu.index)
            out.write(" did not reach OFF: timed out after ",
                      Deadline.reported(Hotplug.stopTimeoutMilliseconds, for: .otherCPUs))
            out.write(" ms")
            if let state {
                out.write(" (AFFINITY_INFO said ")
                out.write(state.name)
                out.write(")")
            }
            out.write("; it left the online mask and its interrupts were moved")
            if let afterwards {
                out.write("; AFFINITY_INFO now says ")
                out.write(afterwards.name)
            }
        case .affinityInfoDisagrees(let cpu, let expected, let found):
            out.write("cpu ", cpu.index)
            out.write(": AFFINITY_INFO says ")
            out.write(found.name)
            out.write(", expected ")
            out.write(expected.name)
        case .offlineNeedsAffinityInfo(let version):
            out.write("taking a cpu offline needs PSCI AFFINITY_INFO to confirm it is OFF; the firmware implements PSCI ")
            PSCIFirmware.writeVersion(version, &out)
            out.write(", which has none (0.2 or later does)")
        case .missingFunctionID(let function):
            out.write("the device tree's PSCI 0.1 node gives no function ID for ")
            out.write(function.name)
        }
    }
}
