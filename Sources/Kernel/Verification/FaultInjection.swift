import HotplugCore

/// Deliberate failures for the checks, compiled only into the
/// fault-injection build (`-D FAULT_INJECTION`: `make FAULTS=1`, which
/// writes build/hotplug-on-faults/image.elf; `make test` builds and boots
/// it). Hafnium's model: this file holds the real implementation and a
/// stand-in, and the build chooses; the image stays one source. Switches on
/// the command line:
///
/// - `psci-fault=NAME` (`PSCIFault`), armed once boot bring-up is done;
/// - `psci-conduit=hvc|smc`: PSCI calls through that instruction instead of
///   the device tree's, so that they can be aimed at a level with no
///   firmware (a trapping conduit must be reported as a PSCI problem);
/// - `test-fault`: a load from an address no memory answers, after the
///   hardware report (the fault path's check);
/// - `test-stall=N`: CPU N stops making progress, interrupts masked, when a
///   stress run starts (the watchdog's check).
///
/// The default build's stand-in refuses each of them at boot with one
/// `error:` line and status 2: a run that asked for a fault and silently
/// got none would pass for the wrong reason.
///
/// The kernel proper knows none of this: the faults reach it through its
/// seams (`PSCIFirmware.interposer`, `KernelHooks.cpuStarting`,
/// `IdleWork`) and through `HotplugOperation`, the one way the console and
/// the jobs ask for hotplug.
enum FaultInjection {
    /// The command-line switches of the fault-injection build.
    static let switches: [StaticString] = ["psci-fault", "psci-conduit", "test-fault", "test-stall"]
}

#if FAULT_INJECTION

import Synchronization

extension FaultInjection {
    /// The CPU `test-stall=N` names, if any. Set once by the boot CPU
    /// (`arm`) before the console or a job starts, read by them afterwards.
    nonisolated(unsafe) private static var stalledCPU: LogicalCPU?

    /// Installs the seams, then applies `psci-conduit=` to the device
    /// tree's PSCI node (the one place that switch is read). Boot CPU,
    /// before the first PSCI call and before any secondary CPU starts; nil
    /// after one `error:` line.
    static func configure(_ commandLine: BootArguments, psci node: PSCIDescription) -> PSCIDescription? {
        PSCIFirmware.interposer = { function, argument, answer in
            FaultInjection.interpose(function, argument, answer)
        }
        KernelHooks.cpuStarting = { cpu in FaultInjection.startSilentlyIfArmed(LogicalCPU(cpu)) }
        guard let text = commandLine.value(of: "psci-conduit") else { return node }
        if BootArguments.bytes(text, equal: "hvc") { return node.with(conduit: .hvc) }
        if BootArguments.bytes(text, equal: "smc") { return node.with(conduit: .smc) }
        refuse("psci-conduit", text, choices: "hvc, smc")
        return nil
    }

    /// `test-fault`: a data abort now, which the exception reporter must
    /// describe (status 3).
    static func takeDeliberateFault(_ commandLine: BootArguments) {
        guard commandLine.contains(word: "test-fault") else { return }
        Console.line("test-fault: loading from an address no memory answers")
        _ = arch_read_unmapped(1 << 47)
    }

    /// Arms `psci-fault=` and notes `test-stall=`; only now, after boot
    /// bring-up, so that bring-up never meets them. False after one
    /// `error:` line for an unknown fault.
    static func arm(_ commandLine: BootArguments) -> Bool {
        if let fault = commandLine.value(of: "psci-fault"), !PSCIFault.arm(fault) {
            refuse("psci-fault", fault, choices: "cpu-on-bad-mpidr, cpu-on-online, silent-start, affinity-info-stuck")
            return false
        }
        if let cpu = commandLine.number(of: "test-stall"), cpu < Machine.current.cpuCount {
            stalledCPU = LogicalCPU(cpu)
        }
        return true
    }

    /// `test-stall`: tells the CPU it names (unless it is the controller or
    /// offline) to spin with its interrupts masked, and waits briefly until
    /// it has taken the request.
    static func stallChosenCPU(sparing controller: LogicalCPU) {
        guard let cpu = stalledCPU, CPUs.online.contains(cpu), cpu != controller else { return }
        IdleWork.post({ _ in while true {} }, to: cpu)
        _ = Deadline.wait(milliseconds: 100, for: .otherCPUs) { IdleWork.isTaken(by: cpu) }
    }

    /// `cpu-on-online`: for an online CPU, asks the firmware (QEMU answers
    /// ALREADY_ON) instead of `Hotplug`'s own refusal; nil when not armed
    /// or not applicable.
    static func firmwareAnswer(bringingOnline cpu: LogicalCPU) -> Result<HotplugOutcome, HotplugError>? {
        let machine = Machine.current!
        guard cpu.index >= 0 && cpu.index < machine.cpuCount, CPUs.state(of: cpu) == .online,
              PSCIFault.cpuOnOnline.take() else { return nil }
        let answer = machine.psci.cpuOn(machine.affinity(of: cpu), entry: arch_address_of_secondary_entry(),
                                        context: CPUStartBlock.context(for: cpu))
        return .failure(answer.isSuccess ? .alreadyOnline(cpu) : .psci(.cpuOn, answer))
    }

    /// `affinity-info-stuck` ends with the offline whose wait it made time
    /// out: disarmed, it lets the failure say what the firmware really
    /// says now.
    static func ending(_ result: Result<HotplugOutcome, HotplugError>, offlining cpu: LogicalCPU) -> Result<HotplugOutcome, HotplugError> {
        guard case .failure(.didNotStop(let stopped, lastState: .some, afterwards: .none)) = result,
              PSCIFault.affinityInfoStuck.take() else { return result }
        let machine = Machine.current!
        var now: AffinityState?
        if case .success(let state) = machine.psci.affinityInfo(machine.affinity(of: cpu)) { now = state }
        return .failure(.didNotStop(stopped, lastState: .on, afterwards: now))
    }

    /// `error: unknown NAME 'VALUE' (CHOICES)`.
    private static func refuse(_ name: StaticString, _ value: UnsafeRawBufferPointer, choices: StaticString) {
        Console.line { out in
            out.write("error: unknown ")
            out.write(name)
            out.write(" '")
            out.write(bytes: value)
            out.write("' (")
            out.write(choices)
            out.write(")")
        }
    }

    /// `PSCIFirmware.interposer`: `cpu-on-bad-mpidr` steers the next CPU_ON
    /// to an MPIDR no CPU has; `affinity-info-stuck` answers ON in the
    /// firmware's place while armed.
    private static func interpose(_ function: UInt32, _ argument: UnsafeMutablePointer<UInt64>,
                                  _ answer: UnsafeMutablePointer<UInt64>) -> Bool {
        switch PSCIFunction(rawValue: function) {
        case .cpuOn:
            if PSCIFault.cpuOnBadMPIDR.take() { argument.pointee = PSCIFault.nonexistentAffinity.rawValue }
            return false
        case .affinityInfo:
            guard PSCIFault.affinityInfoStuck.isArmed else { return false }
            answer.pointee = UInt64(bitPattern: AffinityState.on.rawValue)
            return true
        default:
            return false
        }
    }

    /// `KernelHooks.cpuStarting`, for `silent-start`: a CPU that started but
    /// does not announce itself. It waits for its controller to give up and
    /// ask it, through the mailbox, to power off again.
    private static func startSilentlyIfArmed(_ cpu: LogicalCPU) {
        guard PSCIFault.silentStart.take() else { return }
        arch_write_tpidr(UInt64(cpu.index))
        while CPUs.requests.load(cpu.index) != CPURequest.abortStart.rawValue {
            arch_wait_for_event()
        }
        CPUs.requests.store(cpu.index, CPURequest.none.rawValue)
        arch_dsb_sy()   // as in CPULifecycle.goOffline: stores complete before power-off
        _ = Machine.current.psci.cpuOff()
        while true { arch_wait_for_interrupt() }
    }
}

/// The PSCI faults, armed by the command line (`psci-fault=NAME`), each
/// taking effect once, on the next operation it applies to. Where QEMU can
/// give the real error, the fault only steers the call there and QEMU
/// answers; where it cannot (a CPU that never announces itself,
/// AFFINITY_INFO stuck), the fault stands in for the firmware or CPU.
///
/// - `cpu-on-bad-mpidr`: the next CPU_ON names an MPIDR no CPU has (QEMU
///   answers INVALID_PARAMETERS).
/// - `cpu-on-online`: the next `cpu-online` of an online CPU skips the
///   kernel's own check and asks the firmware (QEMU answers ALREADY_ON).
/// - `silent-start`: the next CPU started does not announce itself.
/// - `affinity-info-stuck`: during the next offline, AFFINITY_INFO keeps
///   answering ON.
enum PSCIFault: UInt32 {
    case none = 0
    case cpuOnBadMPIDR = 1
    case cpuOnOnline = 2
    case silentStart = 3
    case affinityInfoStuck = 4

    /// The armed fault.
    static let armed = Atomic<UInt32>(0)

    /// Arms the fault named by `text`; false for an unknown name.
    static func arm(_ text: UnsafeRawBufferPointer) -> Bool {
        let fault: PSCIFault
        if BootArguments.bytes(text, equal: "cpu-on-bad-mpidr") {
            fault = .cpuOnBadMPIDR
        } else if BootArguments.bytes(text, equal: "cpu-on-online") {
            fault = .cpuOnOnline
        } else if BootArguments.bytes(text, equal: "silent-start") {
            fault = .silentStart
        } else if BootArguments.bytes(text, equal: "affinity-info-stuck") {
            fault = .affinityInfoStuck
        } else {
            return false
        }
        armed.store(fault.rawValue, ordering: .releasing)
        return true
    }

    /// Whether `self` is armed; disarms it if so (one shot).
    func take() -> Bool {
        PSCIFault.armed.compareExchange(expected: rawValue, desired: PSCIFault.none.rawValue,
                                        ordering: .acquiringAndReleasing).exchanged
    }

    /// Whether `self` is armed, leaving it armed.
    var isArmed: Bool {
        PSCIFault.armed.load(ordering: .acquiring) == rawValue
    }

    /// An MPIDR no CPU of QEMU's virt machine has.
    static let nonexistentAffinity = MPIDRAffinity(mpidr: 0xFF_FFFF)
}

#else

/// The default build's stand-in: nothing can be armed, and every switch is
/// refused at boot.
extension FaultInjection {
    /// Refuses the first fault-injection switch on the command line with one
    /// `error:` line (nil); otherwise hands the node back as it is.
    static func configure(_ commandLine: BootArguments, psci node: PSCIDescription) -> PSCIDescription? {
        for name in switches where commandLine.contains(word: name) || commandLine.value(of: name) != nil {
            Console.line { out in
                out.write("error: ")
                out.write(name)
                out.write(" works only in the fault-injection build (make FAULTS=1: build/hotplug-on-faults/image.elf)")
            }
            return nil
        }
        return node
    }

    @inline(__always)
    static func takeDeliberateFault(_ commandLine: BootArguments) {}

    @inline(__always)
    static func arm(_ commandLine: BootArguments) -> Bool { true }

    @inline(__always)
    static func stallChosenCPU(sparing controller: LogicalCPU) {}

    @inline(__always)
    static func firmwareAnswer(bringingOnline cpu: LogicalCPU) -> Result<HotplugOutcome, HotplugError>? { nil }

    @inline(__always)
    static func ending(_ result: Result<HotplugOutcome, HotplugError>, offlining cpu: LogicalCPU) -> Result<HotplugOutcome, HotplugError> {
        result
    }
}

#endif
