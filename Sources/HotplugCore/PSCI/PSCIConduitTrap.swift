// Recognising a PSCI call whose conduit instruction has no firmware behind
// it, so that the exception reporter can say so instead of dumping a fault.

extension PSCIConduit {
    /// The conduit an instruction word is, if it is HVC or SMC (Arm ARM
    /// C6.2, "HVC" and "SMC": 0xD400_0002 and 0xD400_0003 with a 16-bit
    /// immediate in bits 20:5), or nil for any other instruction.
    public init?(instructionWord word: UInt32) {
        switch word & 0xFFE0_001F {
        case 0xD400_0002: self = .hvc
        case 0xD400_0003: self = .smc
        default: return nil
        }
    }
}

/// What a CPU keeps in a register of its own while it is inside a PSCI call
/// (`TPIDRRO_EL0`, which nothing else in the image uses): the function ID
/// under a fixed tag, so that a value left over from reset or from before a
/// CPU_OFF is not mistaken for a call in progress.
public struct FirmwareCallMarker: Equatable, Sendable {
    public let rawValue: UInt64

    /// "PSCI" in ASCII, in bits 63:32.
    static let tag: UInt64 = 0x5053_4349

    /// No call in progress.
    public static let none = FirmwareCallMarker(rawValue: 0)

    @inline(__always)
    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// A call of `functionID` in progress.
    @inline(__always)
    public init(functionID: UInt32) {
        rawValue = FirmwareCallMarker.tag << 32 | UInt64(functionID)
    }

    /// The function ID being called, or nil if the register holds no marker.
    public var functionID: UInt32? {
        rawValue >> 32 == FirmwareCallMarker.tag ? UInt32(truncatingIfNeeded: rawValue) : nil
    }
}

/// A PSCI call that did not reach firmware: the conduit instruction itself
/// raised an exception at the caller's level.
///
/// When no firmware exists at the conduit's level the instruction is
/// UNDEFINED (Arm ARM C6.2, "HVC" and "SMC"): HVC with EL2 absent or
/// disabled by HCR_EL2.HCD, SMC with EL3 absent or disabled by SCR_EL3.SMD.
/// An UNDEFINED instruction is taken to the caller's own level with EC
/// "unknown reason" and ELR at the instruction itself. An HVC issued at EL2
/// (a future hypervisor with nothing installed for it) arrives at EL2 with
/// EC "HVC (AArch64)" and ELR after the instruction.
///
/// Recognised only when all three agree: this CPU's marker says a PSCI call
/// is in progress, the syndrome is one of those classes, and the word at the
/// instruction's address is that conduit. Any other exception during the
/// call (an interrupt handler that faults, say) is reported as the fault it is.
public struct PSCIConduitTrap: Equatable, Sendable {
    /// The instruction that trapped.
    public let conduit: PSCIConduit
    /// The function being called (from the marker).
    public let functionID: UInt32
    /// Where the HVC or SMC is.
    public let instructionAddress: UInt64

    /// - Parameters:
    ///   - syndrome: `ESR_ELx` of the exception.
    ///   - marker: this CPU's `FirmwareCallMarker`.
    ///   - exceptionLinkRegister: `ELR_ELx` of the exception.
    ///   - instruction: reads the instruction word at an address (the
    ///     caller keeps it to addresses that hold code).
    public init?(
        syndrome: ExceptionSyndrome, marker: FirmwareCallMarker, exceptionLinkRegister: UInt64,
        instruction: (UInt64) -> UInt32?
    ) {
        guard let functionID = marker.functionID else { return nil }
        let address: UInt64
        let expected: PSCIConduit?
        switch syndrome.exceptionClass {
        case .unknownReason:
            address = exceptionLinkRegister
            expected = nil
        case .hvc64:
            address = exceptionLinkRegister &- 4
            expected = .hvc
        case .smc64:
            address = exceptionLinkRegister &- 4
            expected = .smc
        default:
            return nil
        }
        guard let word = instruction(address), let conduit = PSCIConduit(instructionWord: word) else { return nil }
        if let expected, expected != conduit { return nil }
        self.conduit = conduit
        self.functionID = functionID
        self.instructionAddress = address
    }

    /// The function's name when the ID is a standard one.
    public var function: PSCIFunction? { PSCIFunction(rawValue: functionID) }
}
