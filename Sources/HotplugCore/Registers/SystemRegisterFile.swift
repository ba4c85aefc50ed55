/// The system registers the core's sequences access: the GIC CPU interface
/// registers of IHI 0069 §12.2, named as the specification spells them.
/// Unlike memory-mapped registers they have no address; each is its own
/// `MRS`/`MSR` encoding, so a `SystemRegisterFile` maps the name to the
/// instruction.
public enum SystemRegisterName: Sendable, Hashable {
    /// System Register Enable (read-write).
    case ICC_SRE_EL1
    /// Interrupt Priority Mask (read-write).
    case ICC_PMR_EL1
    /// Binary Point, group 1 (read-write).
    case ICC_BPR1_EL1
    /// Interrupt Controller Control (read-write).
    case ICC_CTLR_EL1
    /// Interrupt Group 1 Enable (read-write).
    case ICC_IGRPEN1_EL1
    /// Interrupt Acknowledge, group 1 (read-only).
    case ICC_IAR1_EL1
    /// End Of Interrupt, group 1 (write-only).
    case ICC_EOIR1_EL1
    /// SGI Generation, group 1 (write-only).
    case ICC_SGI1R_EL1
    /// Deactivate Interrupt (write-only).
    case ICC_DIR_EL1

    /// Whether the architecture lets software read the register.
    public var isReadable: Bool { self != .ICC_EOIR1_EL1 && self != .ICC_SGI1R_EL1 && self != .ICC_DIR_EL1 }
    /// Whether the architecture lets software write the register.
    public var isWritable: Bool { self != .ICC_IAR1_EL1 }
}

/// One system register with, in its type, the value it holds (always 64
/// bits: `MRS`/`MSR` move a whole X register).
public struct SystemRegister<Value: RegisterValue>: Hashable, Sendable where Value.RawValue == UInt64 {
    /// Which register.
    public let name: SystemRegisterName

    @inline(__always)
    public init(_ name: SystemRegisterName) {
        self.name = name
    }
}

/// The barriers that order system-register accesses against each other and
/// against memory (Arm ARM, "Memory barriers"; IHI 0069, "Observability of
/// the effects of accesses to the GIC registers").
public enum Barrier: Sendable, Equatable {
    /// ISB: a context synchronisation event, after which a system-register
    /// write is in effect for every later instruction.
    case instructionSynchronization
    /// DSB SY: waits for every earlier memory access and its effects,
    /// across the whole system.
    case dataSynchronizationFullSystem
    /// DSB ISH: waits for every earlier memory access to be observed by the
    /// other CPUs of the inner shareable domain.
    case dataSynchronizationInnerShareable
}

/// The hardware seam of the CPU interface sequences: the calling CPU's
/// system registers and barriers. The image's implementation is `MRS`/`MSR`
/// and the barrier instructions (`CPUInterface`); host tests use a fake
/// that records every access and barrier in order. Used through generics
/// only, as `RegisterFile` is.
public protocol SystemRegisterFile {
    /// `MRS`: reads `register`. Precondition: `register.isReadable`.
    func read(_ register: SystemRegisterName) -> UInt64
    /// `MSR`: writes `value` to `register`. Precondition:
    /// `register.isWritable`.
    func write(_ register: SystemRegisterName, _ value: UInt64)
    /// Executes `barrier`.
    func barrier(_ barrier: Barrier)
}

extension SystemRegisterFile {
    /// Reads a system register as the type it holds.
    @inline(__always)
    public func read<Value: RegisterValue>(_ register: SystemRegister<Value>) -> Value {
        Value(rawValue: read(register.name))
    }

    /// Writes a system register from the type it holds.
    @inline(__always)
    public func write<Value: RegisterValue>(_ register: SystemRegister<Value>, _ value: Value) {
        write(register.name, value.rawValue)
    }
}
