/// The pieces of hardware `PlatformDescription` finds in the device tree,
/// each reduced to what the image needs to drive it.

/// A span of physical addresses: one `reg` entry (devicetree specification
/// v0.4 §2.3.6). `base + size` is known to fit in 64 bits.
public struct PhysicalAddressRange: Equatable, Sendable {
    public let base: UInt64
    public let size: UInt64

    /// `nil` when `base + size` overflows.
    public init?(base: UInt64, size: UInt64) {
        guard !base.addingReportingOverflow(size).overflow else { return nil }
        self.base = base
        self.size = size
    }

    /// First address past the range.
    public var end: UInt64 { base &+ size }

    public func contains(_ address: UInt64) -> Bool {
        address >= base && address < end
    }
}

/// How a CPU node says it is started (`enable-method`, devicetree
/// specification v0.4 §3.8.1).
public enum CPUEnableMethod: Equatable, Sendable {
    /// "psci": with PSCI CPU_ON (Arm DEN 0022).
    case psci
    /// "spin-table": by a write to `cpu-release-addr`.
    case spinTable
    /// Any other method; this image cannot start such a CPU.
    case other
}

/// One CPU of the platform, as its `/cpus/cpu@…` node describes it.
public struct CPUDescription: Equatable, Sendable {
    /// Position among the CPU nodes, counted from 0.
    public let logicalCPU: LogicalCPU
    /// The node's `reg`: the CPU's MPIDR affinity, which PSCI CPU_ON and
    /// `GICD_IROUTER<n>` take.
    public let affinity: MPIDRAffinity
    /// `nil` when the node has no `enable-method`.
    public let enableMethod: CPUEnableMethod?
}

/// The GICv3 node ("arm,gic-v3" binding): where its frames are.
public struct GICDescription {
    /// Most redistributor regions kept; QEMU `virt` uses two above 123 CPUs.
    public static let maximumRedistributorRegions = 8

    /// `GICD_*` frame: first `reg` entry.
    public let distributor: PhysicalAddressRange
    /// How many redistributor regions follow the distributor in `reg`
    /// (`#redistributor-regions`, 1 when absent).
    public let redistributorRegionCount: Int
    /// `redistributor-stride`, when given: the distance between one CPU's
    /// `GICR_*` frames and the next when it is not the architected 128 KiB
    /// (or 256 KiB with GICv4 virtual LPIs).
    public let redistributorStride: UInt64?
    /// Cells per interrupt specifier (`#interrupt-cells`, 3 or more).
    public let interruptCells: Int
    var redistributorRegions: InlineArray<8, PhysicalAddressRange>
    /// The first enabled ITS child ("arm,gic-v3-its"): its `reg`, the
    /// control frame and the translation frame (`ITSRegister`), in the GIC
    /// node's own address cells. `nil` when the GIC has no ITS (no LPIs
    /// from MSIs; `GICD_TYPER.LPIS` may still be set).
    public internal(set) var its: PhysicalAddressRange? = nil

    /// Redistributor region `index`, `0 ..< redistributorRegionCount`.
    public func redistributorRegion(_ index: Int) -> PhysicalAddressRange {
        precondition(index >= 0 && index < redistributorRegionCount, "no such redistributor region")
        return redistributorRegions[index]
    }
}

/// A memory-mapped peripheral with one register frame and one interrupt,
/// such as the PL011 UART or PL031 RTC.
public struct PeripheralDescription: Equatable, Sendable {
    /// First `reg` entry.
    public let registers: PhysicalAddressRange
    /// First `interrupts` specifier, decoded.
    public let interrupt: InterruptID
}
