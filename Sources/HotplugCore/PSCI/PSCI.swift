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

/// The value PSCI_VERSION returns (Arm DEN 0022 §5.1.1): bit 31 zero,
/// major version in bits 30:16, minor in bits 15:0 (PSCI 1.1 reads
/// 0x0001_0001).
///
/// PSCI 0.1 has no PSCI_VERSION. Firmware that follows the SMC Calling
/// Convention answers a function it does not implement with NOT_SUPPORTED
/// (-1), so that answer reads as 0.1; any other value with bit 31 set is
/// neither a version nor that answer.
public struct PSCIVersion: Hashable, Comparable, Sendable {
    /// The 32-bit version word, bit 31 clear.
    public let rawValue: UInt32

    /// The first PSCI, described only by the "arm,psci" device-tree binding.
    public static let version0_1 = PSCIVersion(major: 0, minor: 1)
    /// The first version with PSCI_VERSION, AFFINITY_INFO and the standard
    /// function IDs.
    public static let version0_2 = PSCIVersion(major: 0, minor: 2)
    public static let version1_0 = PSCIVersion(major: 1, minor: 0)

    /// A version word; bit 31 must be clear.
    @inline(__always)
    public init(rawValue: UInt32) {
        precondition(rawValue & 0x8000_0000 == 0, "bit 31 of a PSCI version is zero")
        self.rawValue = rawValue
    }

    /// Decodes x0 from PSCI_VERSION (only the low 32 bits are defined):
    /// the version, 0.1 for NOT_SUPPORTED, nil for any other negative value.
    public init?(x0: UInt64) {
        let word = UInt32(truncatingIfNeeded: x0)
        if word & 0x8000_0000 == 0 {
            rawValue = word
        } else if PSCIReturnCode(x0: x0) == .notSupported {
            rawValue = PSCIVersion.version0_1.rawValue
        } else {
            return nil
        }
    }

    public init(major: UInt16, minor: UInt16) {
        precondition(major < 0x8000, "a PSCI major version has 15 bits")
        rawValue = UInt32(major) << 16 | UInt32(minor)
    }

    /// Major version, bits 30:16.
    @inline(__always)
    public var major: UInt16 { UInt16(truncatingIfNeeded: rawValue >> 16) & 0x7FFF }

    /// Minor version, bits 15:0.
    @inline(__always)
    public var minor: UInt16 { UInt16(truncatingIfNeeded: rawValue) }

    /// Whether AFFINITY_INFO exists: it was introduced with PSCI 0.2, so a
    /// 0.1 firmware cannot say whether a CPU has reached OFF.
    public var hasAffinityInfo: Bool { self >= .version0_2 }

    public static func < (lhs: PSCIVersion, rhs: PSCIVersion) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
}
