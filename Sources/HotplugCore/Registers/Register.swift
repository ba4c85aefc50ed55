// How a memory-mapped register is described: where it is in its frame and
// what it holds. The layouts (`DistributorRegister`, `RedistributorRegister`,
// `PL011Register`, ...) declare every register once with these types, and
// every access goes through a `RegisterFile`, so the width of an access and
// the type of its value come from the declaration, never from the call site.

/// What a register holds: a plain integer of the register's width, or a type
/// over those bits — an `OptionSet` of control bits (`DistributorControl`),
/// a decoder (`DistributorType`, `RoutingTarget`).
///
/// `RawValue` is the register's width: a `Register<Value>` is read and
/// written with accesses of exactly `Value.RawValue.bitWidth` bits.
public protocol RegisterValue {
    /// The register's bits, as one access of the register's width moves them.
    associatedtype RawValue: FixedWidthInteger & UnsignedInteger
    /// The value the register holds when it reads `rawValue`.
    init(rawValue: RawValue)
    /// The bits to write to the register.
    var rawValue: RawValue { get }
}

/// A register whose value is a plain integer of its width holds its bits as
/// they are.
extension RegisterValue where Self: FixedWidthInteger, RawValue == Self {
    @inline(__always)
    public init(rawValue: Self) {
        self = rawValue
    }

    @inline(__always)
    public var rawValue: Self { self }
}

/// A 32-bit register whose value is a plain word (the bit-per-interrupt
/// arrays, priority and configuration words, UART data).
extension UInt32: RegisterValue {
    public typealias RawValue = UInt32
}

/// A 64-bit register whose value is a plain doubleword.
extension UInt64: RegisterValue {
    public typealias RawValue = UInt64
}

/// One register of a frame: its byte offset from the frame's base, and, in
/// its type, the value it holds and so the width of every access to it.
public struct Register<Value: RegisterValue>: Hashable, Sendable {
    /// Bytes from the frame's base (a distributor, a redistributor's
    /// RD_base, a UART).
    public let offset: Int

    @inline(__always)
    public init(offset: Int) {
        self.offset = offset
    }

    /// Bytes one access to this register moves.
    public static var size: Int { Value.RawValue.bitWidth / 8 }
}

/// A bank of registers of one kind laid out one after another, each holding
/// the same field for consecutive interrupts: `GICD_ISENABLER<n>` (one bit
/// per INTID), `GICD_ICFGR<n>` (two bits), `GICD_IPRIORITYR<n>` (eight),
/// `GICD_IROUTER<n>` (a whole 64-bit register per INTID).
///
/// Register n is at `offset` + n × the register's size; INTID
/// `firstInterrupt` + k has its field in register k / (interrupts per
/// register), at bit (k mod interrupts per register) × `bitsPerInterrupt`,
/// which is how the GICv3 specification numbers every such array
/// (IHI 0069 §12.9, "the register number n").
public struct RegisterArray<Value: RegisterValue>: Hashable, Sendable {
    /// Offset of register 0 from the frame's base.
    public let offset: Int
    /// Registers in the bank: n runs over 0 ..< count.
    public let count: Int
    /// Bits each interrupt has in a register.
    public let bitsPerInterrupt: Int
    /// The INTID whose field is the lowest of register 0: 0 for the SPI
    /// arrays (their first registers hold the SGIs and PPIs, RAZ/WI with
    /// affinity routing), 4096 for the extended SPI (`…nE`) arrays.
    public let firstInterrupt: UInt32

    @inline(__always)
    public init(offset: Int, count: Int, bitsPerInterrupt: Int, firstInterrupt: UInt32 = 0) {
        self.offset = offset
        self.count = count
        self.bitsPerInterrupt = bitsPerInterrupt
        self.firstInterrupt = firstInterrupt
    }

    /// How many interrupts share one register.
    @inline(__always)
    public var interruptsPerRegister: Int { Register<Value>.size * 8 / bitsPerInterrupt }

    /// The offset just past the last register: where the next array may
    /// start.
    public var end: Int { offset + count * Register<Value>.size }

    /// Whether the bank has a field for `id`.
    @inline(__always)
    public func covers(_ id: InterruptID) -> Bool {
        id.rawValue >= firstInterrupt && Int(id.rawValue - firstInterrupt) / interruptsPerRegister < count
    }

    /// Register n of the bank.
    /// Precondition: 0 ≤ n < `count`.
    @inline(__always)
    public subscript(n: Int) -> Register<Value> {
        precondition(n >= 0 && n < count, "register number outside its array")
        return Register(offset: offset + n * Register<Value>.size)
    }

    /// The number n of the register holding `id`'s field.
    /// Precondition: `covers(id)`.
    @inline(__always)
    public func index(for id: InterruptID) -> Int {
        precondition(covers(id), "INTID outside the register array")
        return Int(id.rawValue - firstInterrupt) / interruptsPerRegister
    }

    /// The register holding `id`'s field and the field's place in it.
    /// Precondition: `covers(id)`.
    @inline(__always)
    public func field(for id: InterruptID) -> InterruptField<Value> {
        let index = index(for: id)
        let position = Int(id.rawValue - firstInterrupt) % interruptsPerRegister
        return InterruptField(register: self[index], shift: position * bitsPerInterrupt, width: bitsPerInterrupt)
    }
}

/// One interrupt's field in a register of a `RegisterArray`: the register,
/// and where in its bits the field sits.
public struct InterruptField<Value: RegisterValue>: Hashable, Sendable {
    /// The register holding the field.
    public let register: Register<Value>
    /// Position of the field's lowest bit.
    public let shift: Int
    /// The field's width in bits.
    public let width: Int

    @inline(__always)
    public init(register: Register<Value>, shift: Int, width: Int) {
        self.register = register
        self.shift = shift
        self.width = width
    }

    /// The field's bits, in place: for a one-bit field, the value that sets
    /// or clears just this interrupt in a write-one-to-act register
    /// (`GICD_ISENABLER<n>`, `GICD_ICPENDR<n>`, ...).
    @inline(__always)
    public var mask: Value.RawValue {
        (width >= Value.RawValue.bitWidth ? ~0 : (1 << width) - 1) << shift
    }

    /// `value` (the field's own bits, from bit 0) moved to the field's place.
    @inline(__always)
    public func placing(_ value: Value.RawValue) -> Value.RawValue {
        (value << shift) & mask
    }
}
