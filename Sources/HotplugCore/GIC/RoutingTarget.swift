/// The value of a `GICD_IROUTER<n>` or `GICD_IROUTER<n>E` register: the PE a
/// shared interrupt is delivered to while affinity routing is enabled
/// (Arm IHI 0069 §12.9.21; the extended-SPI `GICD_IROUTER<n>E` has the same
/// layout).
///
/// Layout: Aff3 at bits 39:32, Aff2..Aff0 at bits 23:0 (the same places as in
/// `MPIDR_EL1`, which is why `MPIDRAffinity.rawValue` can be written as is),
/// and Interrupt_Routing_Mode at bit 31. All other bits are RES0 and dropped.
///
/// We only ever build targets with Interrupt_Routing_Mode = 0 ("route to the
/// PE named by the affinity fields"): QEMU `virt` reports `GICD_TYPER.No1N`
/// = 1, and a hotplug move must land on exactly one chosen CPU, never on "any
/// participating PE". The mode bit is still decoded so that a value read back
/// from the hardware can be checked.
public struct RoutingTarget: RegisterValue, Hashable, Sendable {
    /// The register bits this type keeps: affinity fields and bit 31.
    public let rawValue: UInt64

    /// Interrupt_Routing_Mode, bit 31.
    public static let interruptRoutingModeBit: UInt64 = 1 << 31

    /// Route to the single PE with this affinity (Interrupt_Routing_Mode 0).
    @inline(__always)
    public init(affinity: MPIDRAffinity) {
        rawValue = affinity.rawValue
    }

    /// Decodes a value read from `GICD_IROUTER<n>` / `GICD_IROUTER<n>E`,
    /// dropping the RES0 bits.
    @inline(__always)
    public init(registerValue: UInt64) {
        rawValue = registerValue & (MPIDRAffinity.affinityBits | RoutingTarget.interruptRoutingModeBit)
    }

    /// The register file's way of decoding a routing register: the same as
    /// `init(registerValue:)`, RES0 bits dropped.
    @inline(__always)
    public init(rawValue: UInt64) {
        self.init(registerValue: rawValue)
    }

    /// The value to write to the router register.
    @inline(__always)
    public var registerValue: UInt64 { rawValue }

    /// The PE named by the Aff3..Aff0 fields. Meaningless when
    /// `isAnyParticipatingPE` is set.
    @inline(__always)
    public var affinity: MPIDRAffinity { MPIDRAffinity(mpidr: rawValue) }

    /// Interrupt_Routing_Mode = 1: the GIC may deliver the interrupt to any
    /// participating PE ("1 of N"). Never set by this project.
    @inline(__always)
    public var isAnyParticipatingPE: Bool { rawValue & RoutingTarget.interruptRoutingModeBit != 0 }
}
