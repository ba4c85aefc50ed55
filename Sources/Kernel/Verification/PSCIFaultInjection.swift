import Synchronization

/// Test-only PSCI faults, armed by the image's command line
/// (`psci-fault=NAME`), each taking effect once, on the next operation it
/// applies to. Where QEMU can give the real error, the fault only steers the
/// call there and QEMU answers; where it cannot (a CPU that never announces
/// itself, AFFINITY_INFO stuck), the fault stands in for the firmware or CPU.
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
