/// A decoded `GICD_PIDR2` or `GICR_PIDR2`, Peripheral ID2 Register (IHI 0069,
/// the two registers' descriptions in chapter 12, at offset 0xFFE8 of the
/// distributor and of RD_base): the one field the architecture defines in
/// it, ArchRev.
///
/// Linux reads it for the distributor and for the first frame of every
/// redistributor region before trusting anything else there: a region that
/// does not answer 0x3 or 0x4 holds no GICv3 redistributor (wrong address in
/// the device tree, a GICv2, nothing mapped), and walking it would read
/// garbage `GICR_TYPER`s.
public struct PeripheralID2: RegisterValue, Hashable, Sendable {
    /// The register value as read.
    public let rawValue: UInt32

    @inline(__always)
    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    /// ArchRev, bits 7:4: 0x1 GICv1, 0x2 GICv2, 0x3 GICv3, 0x4 GICv4;
    /// other values are reserved.
    public var architectureRevision: UInt32 { (rawValue >> 4) & 0xF }

    /// ArchRev value of a GICv3.
    public static let gicv3: UInt32 = 0x3
    /// ArchRev value of a GICv4 (a GICv3 with direct virtual LPI injection).
    public static let gicv4: UInt32 = 0x4

    /// Whether the frame belongs to a GICv3 or GICv4, the only ones this
    /// driver programs.
    public var isGICv3OrLater: Bool {
        architectureRevision == PeripheralID2.gicv3 || architectureRevision == PeripheralID2.gicv4
    }
}
