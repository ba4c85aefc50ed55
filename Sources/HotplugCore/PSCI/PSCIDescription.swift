// What the device tree's /psci node says about the firmware (the Linux
// binding Documentation/devicetree/bindings/arm/psci.yaml, whose facts are
// restated here): which instruction reaches it, which binding version the
// node claims, and for PSCI 0.1 the firmware's own function IDs.

/// The instruction that makes a PSCI call (`method`); the SMC Calling
/// Convention (Arm DEN 0028) defines the register use of both.
public enum PSCIConduit: Equatable, Sendable {
    /// "hvc": to a hypervisor at EL2; what QEMU names when the CPUs start at
    /// EL1 (QEMU itself plays the hypervisor).
    case hvc
    /// "smc": to the secure monitor at EL3; what QEMU names with
    /// `virtualization=on`, where the CPUs start at EL2 (the image then
    /// drops to EL1 and QEMU plays the monitor).
    case smc

    /// The `method` string, for messages.
    public var name: StaticString {
        switch self {
        case .hvc: return "hvc"
        case .smc: return "smc"
        }
    }

    /// The exception level whose firmware answers the call: EL2 for HVC,
    /// EL3 for SMC (DEN 0028 §2).
    public var firmwareLevel: Int {
        switch self {
        case .hvc: return 2
        case .smc: return 3
        }
    }
}

/// The PSCI binding a node is compatible with. A node lists every binding
/// it satisfies (QEMU writes "arm,psci-1.0", "arm,psci-0.2", "arm,psci");
/// the newest one listed decides, as it does for Linux.
public enum PSCIBinding: Int, Comparable, Sendable, CaseIterable {
    /// "arm,psci": PSCI 0.1. No PSCI_VERSION, no AFFINITY_INFO; the node
    /// names the firmware's function IDs in `cpu_suspend`, `cpu_off`,
    /// `cpu_on` and `migrate`, which are implementation defined.
    case version0_1 = 1
    /// "arm,psci-0.2": the standard function IDs of DEN 0022.
    case version0_2 = 2
    /// "arm,psci-1.0": as 0.2 for the functions used here.
    case version1_0 = 3

    /// The compatible string of the binding.
    public var compatible: StaticString {
        switch self {
        case .version0_1: return "arm,psci"
        case .version0_2: return "arm,psci-0.2"
        case .version1_0: return "arm,psci-1.0"
        }
    }

    /// The newest binding a `compatible` value lists, or nil if it lists none.
    public static func newest(in compatible: DeviceTreeValue) -> PSCIBinding? {
        if compatible.containsString(PSCIBinding.version1_0.compatible) { return .version1_0 }
        if compatible.containsString(PSCIBinding.version0_2.compatible) { return .version0_2 }
        if compatible.containsString(PSCIBinding.version0_1.compatible) { return .version0_1 }
        return nil
    }

    public static func < (lhs: PSCIBinding, rhs: PSCIBinding) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
}

/// The PSCI node: conduit, binding, and the 0.1 function-ID properties.
public struct PSCIDescription: Equatable, Sendable {
    /// How PSCI calls reach the firmware.
    public let conduit: PSCIConduit
    /// The newest binding the node's `compatible` lists.
    public let binding: PSCIBinding
    /// `cpu_suspend` function ID, if the node gives one.
    public let cpuSuspendFunctionID: UInt32?
    /// `cpu_off` function ID, if the node gives one.
    public let cpuOffFunctionID: UInt32?
    /// `cpu_on` function ID, if the node gives one.
    public let cpuOnFunctionID: UInt32?
    /// `migrate` function ID, if the node gives one.
    public let migrateFunctionID: UInt32?

    public init(
        conduit: PSCIConduit, binding: PSCIBinding, cpuSuspendFunctionID: UInt32? = nil,
        cpuOffFunctionID: UInt32? = nil, cpuOnFunctionID: UInt32? = nil, migrateFunctionID: UInt32? = nil
    ) {
        self.conduit = conduit
        self.binding = binding
        self.cpuSuspendFunctionID = cpuSuspendFunctionID
        self.cpuOffFunctionID = cpuOffFunctionID
        self.cpuOnFunctionID = cpuOnFunctionID
        self.migrateFunctionID = migrateFunctionID
    }

    /// Whether the node is compatible with "arm,psci-0.2" or later, whose
    /// function IDs are the standard ones (Arm DEN 0022).
    public var hasStandardFunctionIDs: Bool { binding >= .version0_2 }

    /// The same node reached through another conduit (the test switch that
    /// points calls at an instruction no firmware answers).
    public func with(conduit: PSCIConduit) -> PSCIDescription {
        PSCIDescription(
            conduit: conduit, binding: binding, cpuSuspendFunctionID: cpuSuspendFunctionID,
            cpuOffFunctionID: cpuOffFunctionID, cpuOnFunctionID: cpuOnFunctionID, migrateFunctionID: migrateFunctionID)
    }

    /// The ID to place in w0 for `function`, or nil if this firmware has no
    /// such function: with a 0.2+ binding the standard ID; with a 0.1 node
    /// the node's property for CPU_SUSPEND, CPU_OFF, CPU_ON and MIGRATE, and
    /// nothing else (0.1 defines no other function, and its IDs are the
    /// firmware's own choice, so a standard ID could mean anything there).
    public func functionID(for function: PSCIFunction) -> UInt32? {
        if hasStandardFunctionIDs { return function.rawValue }
        switch function {
        case .cpuSuspend: return cpuSuspendFunctionID
        case .cpuOff: return cpuOffFunctionID
        case .cpuOn: return cpuOnFunctionID
        case .migrate: return migrateFunctionID
        default: return nil
        }
    }

    /// x1 for CPU_OFF. PSCI 0.2 and later take no argument (DEN 0022
    /// §5.5); the 0.1 binding's firmware was called, as Linux does, with a
    /// power-down power state (StateType, bit 16, set). An argument a
    /// function does not take is ignored under the SMC Calling Convention,
    /// so the 0.1 form is only sent where it may be needed.
    public var cpuOffArgument: UInt64 {
        hasStandardFunctionIDs ? 0 : 1 << 16
    }

    /// The PSCI version the image may rely on. A 0.1 node is not asked:
    /// 0.1 has no PSCI_VERSION, and with firmware-chosen IDs the standard
    /// PSCI_VERSION ID might name some other function. A 0.2+ node is asked
    /// (`ask` makes the call and returns x0), and the answer must be a
    /// version at least as new as 0.2: anything else contradicts the node.
    public func firmwareVersion(ask: () -> UInt64) -> Result<PSCIVersion, PSCIVersionProblem> {
        guard hasStandardFunctionIDs else { return .success(.version0_1) }
        let answer = ask()
        guard let version = PSCIVersion(x0: answer) else {
            return .failure(.notAVersion(UInt32(truncatingIfNeeded: answer)))
        }
        guard version >= .version0_2 else { return .failure(.olderThanBinding(version, binding)) }
        return .success(version)
    }
}

/// Why PSCI_VERSION's answer cannot be used.
public enum PSCIVersionProblem: Equatable, Sendable, Error {
    /// Bit 31 set, and not NOT_SUPPORTED: neither a version nor an answer
    /// PSCI defines for this call.
    case notAVersion(UInt32)
    /// The firmware implements an older PSCI than the node's binding
    /// claims (0.1, from NOT_SUPPORTED, under an "arm,psci-0.2" node).
    case olderThanBinding(PSCIVersion, PSCIBinding)
}
