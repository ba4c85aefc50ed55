import HotplugCore

/// A CPU's life after PSCI CPU_ON: announce itself, idle taking interrupts,
/// and — when asked — take itself offline.
///
/// The boot CPU runs the same `join` on its way up; only the entry differs
/// (boot/start.S `_start` vs `secondary_entry`).
enum CPULifecycle {
    /// Makes the calling CPU a working member of the system: its
    /// redistributor awake (then its SGIs and PPIs configured, in Linux's
    /// `gic_cpu_init` order), its CPU interface on, itself in the online
    /// mask. Returns false (and says why) if its redistributor cannot be
    /// found, woken or configured; the CPU then never announces itself and
    /// its controller reports the timeout.
    static func join(_ cpu: LogicalCPU) -> Bool {
        let machine = Machine.current!
        arch_write_tpidr(UInt64(cpu.index))
        Deadline.enableEventStream()
        do throws(GICError) {
            let redistributor = try Redistributor.of(cpu, in: machine)
            try redistributor.wake(security: machine.distributor.security)
            try redistributor.configurePrivateInterrupts()
            ITS.join(cpu, redistributor)
            #if HYPERVISOR
            Hypervisor.join(cpu)
            #endif
        } catch {
            Console.line { out in
                out.write("error: cpu ", cpu.index)
                out.write(": ")
                out.write(error.message)
            }
            return false
        }
        CPUInterface.enable()
        CPUs.markOnline(cpu)
        return true
    }

    /// The idle loop of every CPU but the one running the console: wait for
    /// an interrupt, then serve the request mailbox; while background work
    /// is installed (`IdleWork`), run it instead of waiting.
    ///
    /// Interrupts are masked while the mailbox is checked and WFI entered:
    /// WFI still wakes on a pending interrupt, so a request posted between
    /// the check and the WFI cannot be missed; the handler runs when the
    /// mask is lifted.
    static func idle(_ cpu: LogicalCPU) -> Never {
        while true {
            CPUs.heartbeats.increment(cpu.index)
            arch_mask_interrupts()
            let request = CPURequest(rawValue: CPUs.requests.exchange(cpu.index, CPURequest.none.rawValue)) ?? .none
            switch request {
            case .none:
                if let work = IdleWork.backgroundWork {
                    arch_unmask_interrupts()
                    work(cpu.index)
                    continue
                }
                #if HYPERVISOR
                // A pCPU with a runnable vCPU runs it (until an exit)
                // instead of sleeping.
                if !Scheduler.runGuest(on: cpu) { arch_wait_for_interrupt() }
                #else
                arch_wait_for_interrupt()
                #endif
            case .goOffline:
                goOffline(cpu)
            case .runPostedWork:
                IdleWork.runPosted(on: cpu)
            case .abortStart:
                break
            }
            arch_unmask_interrupts()
        }
    }

    /// The dying CPU's path (cf. Xen's `__cpu_disable` then `stop_cpu`):
    /// stop taking interrupts, leave the online mask, let the hotplug hook
    /// move interrupts away, put the redistributor to sleep (when that is the
    /// kernel's job), CPU_OFF.
    /// Runs with interrupts masked from the first line; returns only if
    /// CPU_OFF fails, with the CPU back online.
    static func goOffline(_ cpu: LogicalCPU) {
        let machine = Machine.current!
        let started = arch_read_counter()
        arch_mask_interrupts()
        CPUInterface.disableGroup1()
        KernelHooks.cpuLeaving?(cpu.index)
        CPUs.markOffline(cpu)
        #if HYPERVISOR
        // Its vCPUs first (Xen's premise: guest-bound interrupts follow
        // their vCPUs, moved by the scheduler), then the hypervisor's own.
        Scheduler.evacuate(cpu, online: CPUs.online)
        #endif
        // "Now that the interrupts are cleared and the CPU marked as offline,
        // move interrupts out of it" (the patch's placement).
        let rebalance = InterruptMigration.rebalance(.down(cpu))
        // Redistributor sleep only where it is ours: with one Security state
        // (GICD_CTLR.DS = 1, QEMU virt). With two, GICR_WAKER is RAZ/WI to
        // this Non-secure kernel and the firmware does the handshake inside
        // CPU_OFF, as Linux and Xen rely on (DistributorSecurity).
        if machine.distributor.security.kernelOwnsRedistributorPower {
            do throws(GICError) {
                try Redistributor.of(cpu, in: machine)
                    .sleep(security: machine.distributor.security)
            } catch {
                Console.line { out in
                    out.write("warning: cpu ", cpu.index)
                    out.write(": ")
                    out.write(error.message)
                }
            }
        }
        Hotplug.offlineOutcomes[cpu.index] = HotplugOutcome(rebalance: rebalance, ticks: arch_read_counter() &- started)
        CPUs.setState(.offline, of: cpu)
        arch_send_event()
        // DSB SY: every store this CPU made (its state and offline outcome,
        // which the controller reads once AFFINITY_INFO says OFF; any GIC
        // write of the `cpuLeaving` hook) must be complete before it powers
        // off. The HVC/SMC exception that enters the firmware synchronises
        // context but does not wait for outstanding stores, and a store still
        // buffered when the core loses power is lost.
        arch_dsb_sy()
        let result = machine.psci.cpuOff()
        // Only reached if CPU_OFF failed: rejoin and report.
        Hotplug.recordFailure(.psci(.cpuOff, result), cpu: cpu)
        _ = join(cpu)
        _ = InterruptMigration.rebalance(.up(cpu))
    }
}

/// Entry from boot/start.S for a CPU started by PSCI CPU_ON; `block` is its
/// start block (`CPUStartBlock`), the MMU already on.
@_cdecl("kernel_secondary_main")
func kernelSecondaryMain(_ block: UnsafeMutableRawPointer, _ entryLevel: UInt64) -> Never {
    let start = block.assumingMemoryBound(to: cpu_start_block.self)
    let cpu = LogicalCPU(Int(start.pointee.logical_index))
    KernelHooks.cpuStarting?(cpu.index)
    if CPULifecycle.join(cpu) {
        arch_unmask_interrupts()
        CPULifecycle.idle(cpu)
    }
    while true { arch_wait_for_interrupt() }
}
