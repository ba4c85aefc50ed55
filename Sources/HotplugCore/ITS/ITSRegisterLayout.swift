// Where the ITS registers and the redistributor's LPI registers live: the
// one place that declares them (offset, width, value type), named as the
// GICv3 specification spells them (Arm IHI 0069 chapter 12, "The ITS
// register map" and the RD_base map).

/// The ITS's registers, offsets from its base (the `reg` of the device
/// tree's `arm,gic-v3-its` node). An ITS has a 64 KiB control frame
/// (ITS_base) and, after it, the 64 KiB translation frame holding
/// `GITS_TRANSLATER`, the doorbell devices write MSIs to; QEMU `virt`'s
/// node is 128 KiB for those two frames.
public enum ITSRegister {
    /// Size of one 64 KiB frame.
    public static let frameSize = 0x1_0000
    /// Offset of the translation frame from ITS_base.
    public static let translationFrame = 0x1_0000
    /// Size of the register space of a GICv3 ITS: the control and the
    /// translation frames.
    public static let gicv3Size = 0x2_0000

    /// ITS Control Register.
    public static let GITS_CTLR = Register<ITSControl>(offset: 0x0000)
    /// ITS Implementer Identification Register.
    public static let GITS_IIDR = Register<UInt32>(offset: 0x0004)
    /// ITS Type Register (64-bit).
    public static let GITS_TYPER = Register<ITSType>(offset: 0x0008)
    /// ITS Command Queue Descriptor: base, size and attributes of the
    /// command queue.
    public static let GITS_CBASER = Register<ITSCommandQueueDescriptor>(offset: 0x0080)
    /// ITS Write Register: where software will write the next command.
    public static let GITS_CWRITER = Register<ITSCommandWriter>(offset: 0x0088)
    /// ITS Read Register: the next command the ITS will read.
    public static let GITS_CREADR = Register<ITSCommandReader>(offset: 0x0090)
    /// Offset of `GITS_BASER0`; the eight table descriptors follow, 8 bytes
    /// apart.
    public static let GITS_BASER0 = 0x0100
    /// Number of `GITS_BASER<n>` registers, n = 0–7.
    public static let tableDescriptorCount = 8
    /// Peripheral ID2 Register: ArchRev in bits 7:4 (3 or 4).
    public static let GITS_PIDR2 = Register<PeripheralID2>(offset: 0xFFE8)
    /// ITS Translation Register, in the translation frame: a 32-bit write of
    /// an EventID here, from a device with a DeviceID, raises its LPI.
    public static let GITS_TRANSLATER = Register<UInt32>(offset: translationFrame + 0x0040)

    /// `GITS_BASER<n>`, the ITS Translation Table Descriptor n, at
    /// 0x0100 + 8n.
    /// Precondition: 0 ≤ n < 8.
    @inline(__always)
    public static func GITS_BASER(_ n: Int) -> Register<ITSTableDescriptor> {
        precondition(n >= 0 && n < tableDescriptorCount, "GITS_BASER<n> has n = 0-7")
        return Register(offset: GITS_BASER0 + 8 * n)
    }
}

extension RedistributorRegister {
    /// Redistributor Properties Base Address Register: the LPI
    /// configuration table, shared by every redistributor (RD_base + 0x0070).
    public static let GICR_PROPBASER = Register<LPIConfigurationTableDescriptor>(offset: 0x0070)
    /// Redistributor LPI Pending Table Base Address Register: this PE's LPI
    /// pending table (RD_base + 0x0078).
    public static let GICR_PENDBASER = Register<LPIPendingTableDescriptor>(offset: 0x0078)
}
