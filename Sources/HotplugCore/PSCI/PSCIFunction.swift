/// A PSCI function identifier, the value placed in w0 for the HVC or SMC
/// call (Arm DEN 0022, "Function ID summary", following the SMC Calling
/// Convention, Arm DEN 0028).
///
/// Bit 30 of the identifier selects the calling convention: clear for SMC32
/// (arguments and results in w registers), set for SMC64. Functions that take
/// an MPIDR or an address are used in their SMC64 form so that Aff3 and
/// 64-bit entry points pass intact.
public enum PSCIFunction: UInt32, Sendable, CaseIterable {
    /// PSCI_VERSION: returns the implemented version (`PSCIVersion`).
    case psciVersion = 0x8400_0000
    /// CPU_SUSPEND (SMC64): power state, entry point, context id.
    case cpuSuspend = 0xC400_0001
    /// CPU_OFF: powers down the calling CPU; returns only on failure.
    case cpuOff = 0x8400_0002
    /// CPU_ON (SMC64): target MPIDR, entry point, context id (passed to the
    /// new CPU in x0).
    case cpuOn = 0xC400_0003
    /// AFFINITY_INFO (SMC64): target affinity, lowest affinity level; returns
    /// an `AffinityState` or an error.
    case affinityInfo = 0xC400_0004
    /// MIGRATE (SMC64): moves a uniprocessor Trusted OS to the target CPU.
    case migrate = 0xC400_0005
    /// SYSTEM_OFF: does not return.
    case systemOff = 0x8400_0008
    /// SYSTEM_RESET: does not return.
    case systemReset = 0x8400_0009
    /// PSCI_FEATURES: asks whether another function ID is implemented.
    case psciFeatures = 0x8400_000A

    /// Bit 30 of a function ID: set for the SMC64 calling convention.
    public static let smc64Bit: UInt32 = 1 << 30

    /// Whether this function uses the SMC64 calling convention.
    @inline(__always)
    public var isSMC64: Bool { rawValue & PSCIFunction.smc64Bit != 0 }

    /// The name the specification gives the function, for messages.
    public var name: StaticString {
        switch self {
        case .psciVersion: return "PSCI_VERSION"
        case .cpuSuspend: return "CPU_SUSPEND"
        case .cpuOff: return "CPU_OFF"
        case .cpuOn: return "CPU_ON"
        case .affinityInfo: return "AFFINITY_INFO"
        case .migrate: return "MIGRATE"
        case .systemOff: return "SYSTEM_OFF"
        case .systemReset: return "SYSTEM_RESET"
        case .psciFeatures: return "PSCI_FEATURES"
        }
    }
}
