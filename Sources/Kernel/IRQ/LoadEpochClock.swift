import HotplugCore
import Synchronization

/// Closes load epochs on a period (issue 15): the generic timer's PPI on
/// the boot CPU (which runs the console and every hotplug request and never
/// goes offline) asserts every `periodTicks` of the physical count, and its
/// handler closes the epoch under way (`InterruptMigration.closeEpoch`):
/// each interrupt's handled count since the last close becomes its rate,
/// and the load policy re-places within the masks, move budget and
/// hysteresis (`LoadPolicy.endEpoch`).
///
/// Only when `epoch-ms=N` (N ≥ 1) is on the command line; the console's
/// `epoch` and every hotplug operation still close epochs on their own.
/// Under a policy that measures no load an epoch still ends and is counted
/// (so a job can compare policies epoch by epoch), with nothing placed. Every close,
/// whatever its cause, on the boot CPU re-arms the timer a full period
/// ahead, so an epoch is never cut short by a tick that was due just after
/// another close.
///
/// On the interrupt path the close must not wait: it takes the routing lock
/// only if it is free and a hotplug operation is not under way (that
/// operation closes an epoch itself, and the dying CPU's path must meet no
/// placement from elsewhere); otherwise the tick is counted as deferred and
/// the next one tries again. Nothing here allocates: the policy's storage
/// is static (the routing lock's), the counters are atomics. No console
/// output from the tick.
enum LoadEpochClock {
    /// Ticks of the physical count per epoch; 0 while the clock is stopped.
    /// Written once on the boot CPU (`start`) before the PPI is enabled,
    /// read-only afterwards.
    nonisolated(unsafe) private(set) static var periodTicks: UInt64 = 0
    /// The comparator's PPI; read by the IRQ path to recognise a tick.
    /// Written once in `start`, before the PPI is enabled.
    nonisolated(unsafe) private(set) static var interrupt: InterruptID?
    /// The CPU whose comparator drives the clock (the boot CPU). Written once
    /// in `start`.
    nonisolated(unsafe) private static var clockCPU = LogicalCPU(0)

    /// Epochs closed, whatever the cause (tick, console, hotplug).
    static let closed = Atomic<UInt64>(0)
    /// Epochs closed by a tick.
    static let closedByTick = Atomic<UInt64>(0)
    /// Descriptors the placement moved at epoch closes, in all.
    static let moved = Atomic<UInt64>(0)
    /// Ticks that could not close an epoch (routing lock or hotplug busy).
    static let deferred = Atomic<UInt64>(0)

    /// Reads `epoch-ms=N` and, when N ≥ 1 and the device tree lists the
    /// generic timer, starts the clock on the calling (boot) CPU. False after
    /// one `error:` line when N is not a whole number from 0 to 60000.
    static func configure(_ commandLine: BootArguments) -> Bool {
        guard let text = commandLine.value(of: "epoch-ms") else { return true }
        guard let milliseconds = commandLine.number(of: "epoch-ms"), milliseconds <= 60_000 else {
            Console.line { out in
                out.write("error: epoch-ms '")
                out.write(bytes: text)
                out.write("' is not a whole number of milliseconds from 0 to 60000")
            }
            return false
        }
        guard milliseconds > 0 else { return true }
        guard let timer = Machine.current.platform.timer else {
            Console.line("error: epoch-ms needs the generic timer, and the device tree lists none (arm,armv8-timer)")
            return false
        }
        let id = GenericTimer.interrupt(in: timer)
        periodTicks = max(1, GenericTimer.frequency * UInt64(milliseconds) / 1000)
        interrupt = id
        clockCPU = CPUs.current
        GenericTimer.fire(at: GenericTimer.now &+ periodTicks)
        guard GenericTimer.enablePrivateInterrupt(id, on: clockCPU) else {
            GenericTimer.stop()
            periodTicks = 0
            interrupt = nil
            Console.line("error: epoch-ms: the timer's PPI could not be enabled in this cpu's redistributor")
            return false
        }
        return true
    }

    /// The IRQ path's hook for a private interrupt: true when `id` was the
    /// clock's tick (handled here, before its end of interrupt).
    @inline(__always)
    static func handle(_ id: InterruptID, on cpu: LogicalCPU) -> Bool {
        guard let interrupt, id == interrupt, cpu == clockCPU else { return false }
        // Move the compare value on first: the level drops before the EOI.
        GenericTimer.fire(at: GenericTimer.now &+ periodTicks)
        if Hotplug.busy.load(ordering: .acquiring) || !InterruptMigration.closeEpochFromInterrupt() {
            deferred.wrappingAdd(1, ordering: .relaxed)
        } else {
            closedByTick.wrappingAdd(1, ordering: .relaxed)
        }
        return true
    }

    /// Called by every epoch close with what it moved: counted, and on the
    /// clock's CPU the next tick is put a full period ahead.
    static func epochClosed(moving moves: Int) {
        closed.wrappingAdd(1, ordering: .releasing)
        moved.wrappingAdd(UInt64(moves), ordering: .relaxed)
        if periodTicks != 0 && CPUs.current == clockCPU {
            GenericTimer.fire(at: GenericTimer.now &+ periodTicks)
        }
    }
}
