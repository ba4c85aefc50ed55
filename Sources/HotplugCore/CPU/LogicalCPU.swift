/// A logical CPU number: the position of a CPU node in the device tree's
/// `/cpus` node, counted from 0 in the order the nodes appear.
///
/// Logical numbers are ours; the hardware names a CPU by its `MPIDRAffinity`.
/// Keeping the two apart (as Xen and Linux do) means no code can mistake the
/// boot CPU's affinity for "CPU 0".
public struct LogicalCPU: Hashable, Comparable, Sendable {
    /// The index, `0 ..< CPUMask.capacity`.
    public let index: Int

    @inline(__always)
    public init(_ index: Int) {
        self.index = index
    }

    public static func < (lhs: LogicalCPU, rhs: LogicalCPU) -> Bool {
        lhs.index < rhs.index
    }
}

/// The affinity fields of a CPU's `MPIDR_EL1` (Arm ARM D19.2.86): Aff3 at bits
/// 39:32, Aff2..Aff0 at bits 23:0. The other MPIDR bits (MT, U, the RES1 bit
/// 31) are dropped so that two readings of the same CPU compare equal, and so
/// that the value matches a device-tree `cpu` node's `reg` property.
public struct MPIDRAffinity: Hashable, Sendable {
    /// The affinity bits only, laid out as in `MPIDR_EL1`.
    public let rawValue: UInt64

    /// Mask of the affinity bits in `MPIDR_EL1`.
    public static let affinityBits: UInt64 = 0xFF_00FF_FFFF

    /// Keeps the affinity fields of a raw `MPIDR_EL1` (or DT `reg`) value.
    @inline(__always)
    public init(mpidr: UInt64) {
        rawValue = mpidr & MPIDRAffinity.affinityBits
    }

    public init(aff3: UInt8, aff2: UInt8, aff1: UInt8, aff0: UInt8) {
        rawValue = UInt64(aff3) << 32 | UInt64(aff2) << 16 | UInt64(aff1) << 8 | UInt64(aff0)
    }

    public var aff0: UInt8 { UInt8(truncatingIfNeeded: rawValue) }
    public var aff1: UInt8 { UInt8(truncatingIfNeeded: rawValue >> 8) }
    public var aff2: UInt8 { UInt8(truncatingIfNeeded: rawValue >> 16) }
    public var aff3: UInt8 { UInt8(truncatingIfNeeded: rawValue >> 32) }
}
