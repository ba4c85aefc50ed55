/// Power State Coordination Interface calls (Arm DEN 0022 §5) through the
/// conduit the device tree names: HVC when QEMU starts the image at EL1, SMC
/// with virtualization=on (the image then runs at EL1 under an EL2 it left
/// open, and QEMU's built-in firmware answers the SMC).
///
/// Test-only fault injection (`PSCIFault`) can steer a call (a bad MPIDR)
/// or, for AFFINITY_INFO, stand in for the firmware; without an armed fault
/// this type only ever reports what the firmware said.
struct PSCIFirmware {
    let conduit: PSCIConduit

    @inline(__always)
    private func call(_ function: PSCIFunction, _ a1: UInt64 = 0, _ a2: UInt64 = 0, _ a3: UInt64 = 0) -> UInt64 {
        switch conduit {
        case .hvc: return arch_hvc_call(UInt64(function.rawValue), a1, a2, a3)
        case .smc: return arch_smc_call(UInt64(function.rawValue), a1, a2, a3)
        }
    }

    /// PSCI_VERSION.
    func version() -> PSCIVersion {
        PSCIVersion(x0: call(.psciVersion))
    }

    /// CPU_ON: start the CPU with `target` affinity at `entry`, with `context`
    /// in its x0 (DEN 0022 §5.6).
    func cpuOn(_ target: MPIDRAffinity, entry: UInt64, context: UInt64) -> PSCIReturnCode {
        let affinity = PSCIFault.cpuOnBadMPIDR.take() ? PSCIFault.nonexistentAffinity : target
        return PSCIReturnCode(x0: call(.cpuOn, affinity.rawValue, entry, context))
    }

    /// CPU_OFF on the calling CPU: does not return on success (§5.5).
    func cpuOff() -> PSCIReturnCode {
        PSCIReturnCode(x0: call(.cpuOff))
    }

    /// AFFINITY_INFO for one CPU (lowest affinity level 0, §5.7).
    func affinityInfo(_ target: MPIDRAffinity) -> Result<AffinityState, PSCIReturnCode> {
        if PSCIFault.affinityInfoStuck.isArmed { return .success(.on) }
        return AffinityState.decode(x0: call(.affinityInfo, target.rawValue, 0))
    }
}
