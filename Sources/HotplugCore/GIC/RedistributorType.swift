/// A decoded `GICR_TYPER`, the Redistributor Type Register
/// (Arm IHI 0069 §12.11.35), and the search that uses it to find a CPU's
/// redistributor frame.
///
/// Redistributors are not numbered by CPU: a region from the device tree holds
/// frames back to back, each naming its PE in `GICR_TYPER.Affinity_Value`, the
/// last one with `Last` set. A CPU's frame
/// is therefore found by affinity, never computed from a logical CPU index.
public struct RedistributorType: RegisterValue, Hashable, Sendable {
    /// The 64-bit register value as read.
    public let rawValue: UInt64

    @inline(__always)
    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    @inline(__always)
    private func bit(_ position: UInt64) -> Bool {
        rawValue & (1 << position) != 0
    }

    /// PLPIS, bit 0: physical LPIs are supported.
    public var supportsPhysicalLPIs: Bool { bit(0) }

    /// VLPIS, bit 1: virtual LPIs and direct injection are supported (GICv4).
    /// Such a redistributor has two extra 64 KiB frames (VLPI_base and a
    /// reserved one), which changes the distance to the next redistributor.
    public var supportsVirtualLPIs: Bool { bit(1) }

    /// DirectLPI, bit 3: LPIs can be set and cleared directly through
    /// `GICR_SETLPIR` / `GICR_CLRLPIR`.
    public var supportsDirectLPI: Bool { bit(3) }

    /// Last, bit 4: this is the last redistributor in its region.
    public var isLast: Bool { bit(4) }

    /// Processor_Number, bits 23:8: a number for the PE unique within the GIC,
    /// used by the ITS; not the logical CPU number.
    public var processorNumber: UInt16 { UInt16(truncatingIfNeeded: rawValue >> 8) }

    /// Affinity_Value, bits 63:32: the PE this redistributor serves, as
    /// Aff3 (63:56), Aff2 (55:48), Aff1 (47:40), Aff0 (39:32).
    public var affinity: MPIDRAffinity {
        let value = rawValue >> 32
        return MPIDRAffinity(
            aff3: UInt8(truncatingIfNeeded: value >> 24),
            aff2: UInt8(truncatingIfNeeded: value >> 16),
            aff1: UInt8(truncatingIfNeeded: value >> 8),
            aff0: UInt8(truncatingIfNeeded: value)
        )
    }

    /// Size of a GICv3 redistributor: the RD_base and SGI_base 64 KiB frames.
    public static let gicv3FrameSize: UInt64 = 0x2_0000

    /// Size of a redistributor with VLPIS set: RD_base, SGI_base, VLPI_base
    /// and a reserved frame, 64 KiB each.
    public static let virtualLPIFrameSize: UInt64 = 0x4_0000

    /// The distance from this redistributor's RD_base to the next one's.
    public var frameSize: UInt64 {
        supportsVirtualLPIs ? RedistributorType.virtualLPIFrameSize : RedistributorType.gicv3FrameSize
    }

    /// Finds the RD_base address of the redistributor serving `affinity`.
    ///
    /// Walks the frames from `region.base`, reading each one's `GICR_TYPER`
    /// from the register file `frame` gives for its RD_base. Each step is
    /// `stride` when the device tree gives one (`redistributor-stride`:
    /// padding pages between redistributors), else that frame's own
    /// `frameSize` (128 KiB, or 256 KiB with VLPIS), as Linux's
    /// `gic_iterate_rdists` does. The walk stops at the frame with `Last`
    /// set or when the next frame would not fit in the region, so it ends
    /// even if a GIC never sets `Last`.
    ///
    /// `frame` is the hardware seam: the image opens an MMIO region there,
    /// host tests a window on a simulated address space. It is
    /// non-escaping, so nothing is allocated.
    ///
    /// Precondition: `stride`, when given, is at least `gicv3FrameSize`
    /// (`PlatformDescription` refuses smaller ones).
    ///
    /// - Returns: the RD_base address, or nil if no frame in the region has
    ///   that affinity.
    public static func findFrame<Frame: RegisterFile>(
        for affinity: MPIDRAffinity,
        in region: RedistributorRegion,
        stride: UInt64? = nil,
        frame: (_ base: UInt64) -> Frame
    ) -> UInt64? {
        precondition(stride.map { $0 >= gicv3FrameSize } ?? true, "redistributor stride below 128 KiB")
        var offset: UInt64 = 0
        while offset < region.size, region.size - offset >= gicv3FrameSize {
            let base = region.base + offset
            let type = frame(base).read(RedistributorRegister.GICR_TYPER)
            if type.affinity == affinity {
                return base
            }
            if type.isLast {
                return nil
            }
            offset += stride ?? type.frameSize
        }
        return nil
    }

    /// Finds the RD_base of the redistributor serving `affinity` across
    /// several regions (large machines have more than one `reg` entry in the
    /// GIC node), searching them in order.
    public static func findFrame<Regions: Sequence<RedistributorRegion>, Frame: RegisterFile>(
        for affinity: MPIDRAffinity,
        in regions: Regions,
        stride: UInt64? = nil,
        frame: (_ base: UInt64) -> Frame
    ) -> UInt64? {
        for region in regions {
            if let found = findFrame(for: affinity, in: region, stride: stride, frame: frame) {
                return found
            }
        }
        return nil
    }

    /// Checks that `region` holds GICv3 (or GICv4) redistributors before
    /// anything walks it: `GICR_PIDR2.ArchRev` of its first frame, read from
    /// the register file `frame` gives for it, must be 3 or 4, as Linux
    /// checks in `gic_iterate_rdists`. Anything else means the device tree points at
    /// something that is not a redistributor, whose `GICR_TYPER`s would be
    /// garbage.
    public static func checkArchitecture<Frame: RegisterFile>(
        of region: RedistributorRegion, frame: (_ base: UInt64) -> Frame
    ) throws(GICError) {
        let identification = frame(region.base).read(RedistributorRegister.GICR_PIDR2)
        guard identification.isGICv3OrLater else {
            throw .redistributorRegionNotGICv3(regionBase: region.base, identification)
        }
    }

    /// The RD_base of the redistributor serving `affinity`, searching every
    /// redistributor region of `gic` in device-tree order with its
    /// `redistributor-stride`, each region's architecture checked
    /// (`checkArchitecture`) before it is walked.
    ///
    /// - Throws: `redistributorRegionNotGICv3` for a region that is not one,
    ///   `noRedistributor` when no frame has the affinity.
    public static func locate<Frame: RegisterFile>(
        _ affinity: MPIDRAffinity,
        in gic: GICDescription,
        frame: (_ base: UInt64) -> Frame
    ) throws(GICError) -> UInt64 {
        for index in 0 ..< gic.redistributorRegionCount {
            let range = gic.redistributorRegion(index)
            let region = RedistributorRegion(base: range.base, size: range.size)
            try checkArchitecture(of: region, frame: frame)
            if let found = findFrame(for: affinity, in: region, stride: gic.redistributorStride, frame: frame) {
                return found
            }
        }
        throw .noRedistributor(affinity)
    }
}

/// One contiguous block of redistributor frames, as given by a `reg` entry of
/// the device tree's GICv3 node after the distributor's (devicetree binding
/// `arm,gic-v3`).
public struct RedistributorRegion: Hashable, Sendable {
    /// Physical address of the first frame's RD_base.
    public let base: UInt64
    /// Length of the region in bytes.
    public let size: UInt64

    @inline(__always)
    public init(base: UInt64, size: UInt64) {
        self.base = base
        self.size = size
    }
}
