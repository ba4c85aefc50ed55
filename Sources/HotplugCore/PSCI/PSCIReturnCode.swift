/// The status a PSCI call returns in x0 (Arm DEN 0022, "Return error codes"):
/// 0 for success, a small negative number for each error.
///
/// PSCI status codes are signed 32-bit values. A caller should decode the
/// whole of x0 with `init(x0:)`, which sign-extends the low 32 bits, so that
/// an SMC32 result whose upper half is not sign-filled still decodes.
/// Values the specification does not define are kept in `unknown`.
///
/// It conforms to `Error` so that the architecture layer can use it with
/// typed throws (`throws(PSCIReturnCode)`), never throwing `.success`.
public enum PSCIReturnCode: Equatable, Sendable, Error {
    case success
    case notSupported
    case invalidParameters
    case denied
    case alreadyOn
    case onPending
    case internalFailure
    case notPresent
    case disabled
    case invalidAddress
    /// A value the specification does not define.
    case unknown(Int64)

    /// Decodes a status already sign-extended to 64 bits.
    public init(rawValue: Int64) {
        switch rawValue {
        case 0: self = .success
        case -1: self = .notSupported
        case -2: self = .invalidParameters
        case -3: self = .denied
        case -4: self = .alreadyOn
        case -5: self = .onPending
        case -6: self = .internalFailure
        case -7: self = .notPresent
        case -8: self = .disabled
        case -9: self = .invalidAddress
        default: self = .unknown(rawValue)
        }
    }

    /// Decodes x0 as returned by the call: only the low 32 bits are
    /// significant, taken as a signed value.
    @inline(__always)
    public init(x0: UInt64) {
        self.init(rawValue: Int64(Int32(truncatingIfNeeded: x0)))
    }

    /// The numeric status.
    public var rawValue: Int64 {
        switch self {
        case .success: return 0
        case .notSupported: return -1
        case .invalidParameters: return -2
        case .denied: return -3
        case .alreadyOn: return -4
        case .onPending: return -5
        case .internalFailure: return -6
        case .notPresent: return -7
        case .disabled: return -8
        case .invalidAddress: return -9
        case .unknown(let value): return value
        }
    }

    /// Whether the call succeeded.
    @inline(__always)
    public var isSuccess: Bool { self == .success }

    /// The name the specification gives the code (e.g. "ALREADY_ON"), for
    /// messages; "unknown PSCI status" for values it does not define.
    public var name: StaticString {
        switch self {
        case .success: return "SUCCESS"
        case .notSupported: return "NOT_SUPPORTED"
        case .invalidParameters: return "INVALID_PARAMETERS"
        case .denied: return "DENIED"
        case .alreadyOn: return "ALREADY_ON"
        case .onPending: return "ON_PENDING"
        case .internalFailure: return "INTERNAL_FAILURE"
        case .notPresent: return "NOT_PRESENT"
        case .disabled: return "DISABLED"
        case .invalidAddress: return "INVALID_ADDRESS"
        case .unknown: return "unknown PSCI status"
        }
    }
}
