/// Which of the sixteen vector-table slots was taken (Arm ARM D1.10.2):
/// boot/vectors.S passes the slot number to the kernel's exception entry.
public struct VectorSlot: Equatable, Sendable {
    public let rawValue: UInt64

    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// "synchronous", "IRQ", "FIQ" or "SError".
    public var exceptionType: StaticString {
        switch rawValue & 3 {
        case 0: return "synchronous"
        case 1: return "IRQ"
        case 2: return "FIQ"
        default: return "SError"
        }
    }

    /// A synchronous exception: the only kind whose ESR describes the
    /// instruction at ELR.
    public var isSynchronous: Bool { rawValue & 3 == 0 }

    /// Where the exception came from.
    public var origin: StaticString {
        switch rawValue >> 2 {
        case 0: return "current EL, SP_EL0"
        case 1: return "current EL, SP_ELx"
        case 2: return "lower EL, AArch64"
        default: return "lower EL, AArch32"
        }
    }
}
