/// A decoded `ESR_ELx`, the Exception Syndrome Register (Arm ARM, Arm DDI
/// 0487, D19.2 "ESR_EL1" and its EL2/EL3 twins): why a synchronous exception
/// or SError was taken. The fault printer uses it to name what went wrong.
///
/// Layout: EC (exception class) bits 31:26, IL bit 25, ISS (instruction
/// specific syndrome) bits 24:0; the upper half (ISS2, FEAT_LS64 and later)
/// is kept in `rawValue` but not decoded.
public struct ExceptionSyndrome: Hashable, Sendable {
    /// The register value as read.
    public let rawValue: UInt64

    @inline(__always)
    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// EC, bits 31:26.
    @inline(__always)
    public var exceptionClass: ExceptionClass {
        ExceptionClass(rawValue: UInt8(truncatingIfNeeded: rawValue >> 26) & 0x3F)
    }

    /// IL, bit 25: the trapped instruction was 32 bits long. Also set
    /// whenever the length does not apply (aborts, SError, alignment faults).
    @inline(__always)
    public var is32BitInstruction: Bool { rawValue & (1 << 25) != 0 }

    /// ISS, bits 24:0; its meaning depends on `exceptionClass`.
    @inline(__always)
    public var instructionSpecificSyndrome: UInt32 { UInt32(truncatingIfNeeded: rawValue) & 0x1FF_FFFF }

    /// A short description of the exception class, e.g. "data abort (same EL)".
    @inline(__always)
    public var className: StaticString { exceptionClass.name }

    /// The ISS decoded as an abort, for instruction and data aborts only.
    public var abort: AbortSyndrome? {
        let exceptionClass = self.exceptionClass
        guard exceptionClass.isAbort else { return nil }
        return AbortSyndrome(rawValue: instructionSpecificSyndrome, isDataAbort: exceptionClass.isDataAbort)
    }
}

/// The EC field of `ESR_ELx`: the class of exception. A struct rather than an
/// enum so that every 6-bit value, named here or not, can be represented.
public struct ExceptionClass: Hashable, Sendable {
    public let rawValue: UInt8

    @inline(__always)
    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// Unknown reason (also: an undefined instruction).
    public static let unknownReason = ExceptionClass(rawValue: 0x00)
    /// Trapped WFI or WFE.
    public static let trappedWFIOrWFE = ExceptionClass(rawValue: 0x01)
    /// Access to SVE, Advanced SIMD or floating point trapped by CPACR_EL1 or
    /// CPTR_ELx (FPEN left clear).
    public static let floatingPointAccessTrap = ExceptionClass(rawValue: 0x07)
    /// Branch Target Identification exception.
    public static let branchTarget = ExceptionClass(rawValue: 0x0D)
    /// Illegal Execution state (e.g. an ERET to a bad SPSR).
    public static let illegalExecutionState = ExceptionClass(rawValue: 0x0E)
    /// SVC executed in AArch64 state.
    public static let svc64 = ExceptionClass(rawValue: 0x15)
    /// HVC executed in AArch64 state.
    public static let hvc64 = ExceptionClass(rawValue: 0x16)
    /// SMC executed in AArch64 state.
    public static let smc64 = ExceptionClass(rawValue: 0x17)
    /// Trapped MSR, MRS or System instruction in AArch64 state.
    public static let systemRegisterTrap = ExceptionClass(rawValue: 0x18)
    /// Access to SVE functionality trapped.
    public static let sveAccessTrap = ExceptionClass(rawValue: 0x19)
    /// Instruction Abort from a lower Exception level.
    public static let instructionAbortLowerEL = ExceptionClass(rawValue: 0x20)
    /// Instruction Abort taken without a change in Exception level.
    public static let instructionAbortSameEL = ExceptionClass(rawValue: 0x21)
    /// PC alignment fault.
    public static let pcAlignmentFault = ExceptionClass(rawValue: 0x22)
    /// Data Abort from a lower Exception level.
    public static let dataAbortLowerEL = ExceptionClass(rawValue: 0x24)
    /// Data Abort taken without a change in Exception level.
    public static let dataAbortSameEL = ExceptionClass(rawValue: 0x25)
    /// SP alignment fault.
    public static let spAlignmentFault = ExceptionClass(rawValue: 0x26)
    /// Trapped floating-point exception in AArch64 state.
    public static let floatingPointException64 = ExceptionClass(rawValue: 0x2C)
    /// SError interrupt.
    public static let serror = ExceptionClass(rawValue: 0x2F)
    /// Breakpoint exception from a lower Exception level.
    public static let breakpointLowerEL = ExceptionClass(rawValue: 0x30)
    /// Breakpoint exception without a change in Exception level.
    public static let breakpointSameEL = ExceptionClass(rawValue: 0x31)
    /// Software Step exception from a lower Exception level.
    public static let softwareStepLowerEL = ExceptionClass(rawValue: 0x32)
    /// Software Step exception without a change in Exception level.
    public static let softwareStepSameEL = ExceptionClass(rawValue: 0x33)
    /// Watchpoint exception from a lower Exception level.
    public static let watchpointLowerEL = ExceptionClass(rawValue: 0x34)
    /// Watchpoint exception without a change in Exception level.
    public static let watchpointSameEL = ExceptionClass(rawValue: 0x35)
    /// BRK instruction executed in AArch64 state.
    public static let brk64 = ExceptionClass(rawValue: 0x3C)

    /// A short description for the fault printer.
    public var name: StaticString {
        switch self {
        case .unknownReason: return "unknown reason"
        case .trappedWFIOrWFE: return "trapped WFI/WFE"
        case .floatingPointAccessTrap: return "SVE/SIMD/FP access trap"
        case .branchTarget: return "branch target exception"
        case .illegalExecutionState: return "illegal execution state"
        case .svc64: return "SVC (AArch64)"
        case .hvc64: return "HVC (AArch64)"
        case .smc64: return "SMC (AArch64)"
        case .systemRegisterTrap: return "MSR/MRS/system instruction trap"
        case .sveAccessTrap: return "SVE access trap"
        case .instructionAbortLowerEL: return "instruction abort (lower EL)"
        case .instructionAbortSameEL: return "instruction abort (same EL)"
        case .pcAlignmentFault: return "PC alignment fault"
        case .dataAbortLowerEL: return "data abort (lower EL)"
        case .dataAbortSameEL: return "data abort (same EL)"
        case .spAlignmentFault: return "SP alignment fault"
        case .floatingPointException64: return "floating-point exception (AArch64)"
        case .serror: return "SError interrupt"
        case .breakpointLowerEL: return "breakpoint (lower EL)"
        case .breakpointSameEL: return "breakpoint (same EL)"
        case .softwareStepLowerEL: return "software step (lower EL)"
        case .softwareStepSameEL: return "software step (same EL)"
        case .watchpointLowerEL: return "watchpoint (lower EL)"
        case .watchpointSameEL: return "watchpoint (same EL)"
        case .brk64: return "BRK instruction (AArch64)"
        default: return "unrecognised exception class"
        }
    }

    /// Instruction Abort, from either Exception level.
    public var isInstructionAbort: Bool {
        self == .instructionAbortLowerEL || self == .instructionAbortSameEL
    }

    /// Data Abort, from either Exception level.
    public var isDataAbort: Bool {
        self == .dataAbortLowerEL || self == .dataAbortSameEL
    }

    /// Whether the ISS has the abort layout (`AbortSyndrome`).
    public var isAbort: Bool { isInstructionAbort || isDataAbort }
}

/// The ISS of an Instruction Abort or Data Abort (Arm ARM D19.2, "ISS
/// encoding for an exception from an Instruction Abort / a Data Abort").
public struct AbortSyndrome: Hashable, Sendable {
    /// ISS, bits 24:0 of ESR_ELx.
    public let rawValue: UInt32
    /// Data Abort (the fields marked "data" are defined) or Instruction Abort.
    public let isDataAbort: Bool

    @inline(__always)
    public init(rawValue: UInt32, isDataAbort: Bool) {
        self.rawValue = rawValue
        self.isDataAbort = isDataAbort
    }

    @inline(__always)
    private func bit(_ position: UInt32) -> Bool {
        rawValue & (1 << position) != 0
    }

    /// DFSC (data) or IFSC (instruction), bits 5:0.
    @inline(__always)
    public var faultStatusCode: UInt8 { UInt8(truncatingIfNeeded: rawValue) & 0x3F }

    /// The fault status code decoded.
    @inline(__always)
    public var faultStatus: FaultStatus { FaultStatus(rawValue: faultStatusCode) }

    /// WnR, bit 6 (data): the access was a write. RES0 for instruction aborts.
    public var writeNotRead: Bool { isDataAbort && bit(6) }

    /// S1PTW, bit 7: the fault was on a stage 2 translation of a stage 1
    /// translation table walk.
    public var stage1TranslationTableWalk: Bool { bit(7) }

    /// CM, bit 8 (data): the fault came from a cache maintenance instruction.
    public var cacheMaintenance: Bool { isDataAbort && bit(8) }

    /// EA, bit 9: implementation-defined classification of external aborts.
    public var externalAbortType: Bool { bit(9) }

    /// FnV, bit 10: FAR_ELx does not hold the faulting address.
    public var farNotValid: Bool { bit(10) }

    /// ISV, bit 24 (data): `accessSizeBytes`, `transferRegister` and the other
    /// instruction syndrome fields are valid.
    public var instructionSyndromeValid: Bool { isDataAbort && bit(24) }

    /// SAS, bits 23:22, as a size in bytes (1, 2, 4, 8); nil unless ISV.
    public var accessSizeBytes: Int? {
        instructionSyndromeValid ? 1 << Int((rawValue >> 22) & 0x3) : nil
    }

    /// SRT, bits 20:16: the register transferred (31 = XZR/WZR); nil unless ISV.
    public var transferRegister: UInt8? {
        instructionSyndromeValid ? UInt8(truncatingIfNeeded: rawValue >> 16) & 0x1F : nil
    }
}

/// A DFSC/IFSC fault status code (Arm ARM D19.2, the DFSC and IFSC field
/// descriptions of ESR_ELx): the kind of fault and, for translation-related
/// faults, the translation table level it happened at.
public struct FaultStatus: Hashable, Sendable {
    /// The 6-bit code.
    public let rawValue: UInt8

    @inline(__always)
    public init(rawValue: UInt8) {
        self.rawValue = rawValue & 0x3F
    }

    /// The kind of fault, for the fault printer.
    public var name: StaticString {
        switch rawValue {
        case 0x00 ... 0x03, 0x29: return "address size fault"
        case 0x04 ... 0x07, 0x2B: return "translation fault"
        case 0x08 ... 0x0B: return "access flag fault"
        case 0x0C ... 0x0F: return "permission fault"
        case 0x10: return "synchronous external abort"
        case 0x11: return "synchronous tag check fault"
        case 0x13 ... 0x17: return "synchronous external abort on translation table walk"
        case 0x18: return "synchronous parity or ECC error"
        case 0x1B ... 0x1F: return "synchronous parity or ECC error on translation table walk"
        case 0x21: return "alignment fault"
        case 0x30: return "TLB conflict abort"
        case 0x31: return "unsupported atomic hardware update fault"
        case 0x34: return "implementation defined fault (lockdown)"
        case 0x35: return "implementation defined fault (unsupported exclusive or atomic access)"
        default: return "reserved fault status code"
        }
    }

    /// The translation table level of the fault (−1 to 3), or nil for
    /// faults that are not tied to a level.
    public var level: Int8? {
        switch rawValue {
        case 0x00 ... 0x0F, 0x14 ... 0x17, 0x1C ... 0x1F:
            return Int8(rawValue & 0x3)
        case 0x13, 0x1B, 0x29, 0x2B:
            return -1
        default:
            return nil
        }
    }
}
