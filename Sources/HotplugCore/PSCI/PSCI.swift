// The values PSCI calls return other than status codes (Arm DEN 0022):
// the AFFINITY_INFO state and the PSCI_VERSION number.

/// The power state AFFINITY_INFO reports for an affinity instance.
///
/// AFFINITY_INFO returns either one of these (0, 1, 2) or a negative
/// `PSCIReturnCode` (INVALID_PARAMETERS, DISABLED); `decode(x0:)` separates
/// the two. Hotplug polls it until the dying CPU reads `.off`.
public enum AffinityState: Int64, Sendable, CaseIterable {
    /// ON: at least one core in the instance is powered on.
    case on = 0
    /// OFF: the instance is powered off.
    case off = 1
    /// ON_PENDING: a CPU_ON for it is under way.
    case onPending = 2

    /// Decodes x0 from AFFINITY_INFO (a signed 32-bit value in the low half):
    /// a state, or the error the call returned. Values that are neither a
    /// state nor an error code come back as `.failure(.unknown(_))`.
    public static func decode(x0: UInt64) -> Result<AffinityState, PSCIReturnCode> {
        let value = Int64(Int32(truncatingIfNeeded: x0))
        if let state = AffinityState(rawValue: value) {
            return .success(state)
        }
        return .failure(PSCIReturnCode(rawValue: value))
    }

    /// The name the specification gives the state, for messages.
    public var name: StaticString {
        switch self {
        case .on: return "ON"
        case .off: return "OFF"
        case .onPending: return "ON_PENDING"
        }
    }
}

/// The value PSCI_VERSION returns: major version in bits 31:16, minor in
/// bits 15:0 (PSCI 1.1 reads 0x0001_0001).
public struct PSCIVersion: Hashable, Comparable, Sendable {
    /// The 32-bit version word.
    public let rawValue: UInt32

    @inline(__always)
    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    /// Decodes x0 from PSCI_VERSION (only the low 32 bits are defined).
    @inline(__always)
    public init(x0: UInt64) {
        rawValue = UInt32(truncatingIfNeeded: x0)
    }

    public init(major: UInt16, minor: UInt16) {
        rawValue = UInt32(major) << 16 | UInt32(minor)
    }

    /// Major version, bits 31:16.
    @inline(__always)
    public var major: UInt16 { UInt16(truncatingIfNeeded: rawValue >> 16) }

    /// Minor version, bits 15:0.
    @inline(__always)
    public var minor: UInt16 { UInt16(truncatingIfNeeded: rawValue) }

    public static func < (lhs: PSCIVersion, rhs: PSCIVersion) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
}
