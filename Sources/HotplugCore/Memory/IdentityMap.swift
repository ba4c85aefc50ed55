/// The identity map every CPU runs under: one level-1 translation table of
/// 1 GiB blocks (4 KiB granule, 39-bit virtual addresses, so the walk starts
/// at level 1; Arm ARM D8.2 "Translation table walks"), giving RAM Normal
/// write-back cacheable attributes and device regions Device-nGnRnE.
/// Addresses in no region stay unmapped, so a stray access faults.
///
/// Pure: the kernel computes the entries from the device tree with this type
/// and writes them to a page-aligned table; host tests check the descriptors.
public struct IdentityMap {
    /// Entries in a level-1 table with a 4 KiB granule.
    public static let entryCount = 512
    /// Bytes one level-1 block maps.
    public static let blockSize: UInt64 = 1 << 30
    /// Virtual (and physical) address bits: T0SZ = 64 - 39 = 25.
    public static let addressBits = 39

    /// What a 1 GiB block holds.
    public enum Kind: Equatable, Sendable {
        case unmapped
        case normal
        case device
    }

    /// The reasons a plan cannot be made.
    public enum PlanError: Error, Equatable {
        /// A region lies beyond the 512 GiB the table covers.
        case beyondAddressSpace(UInt64)
        /// RAM and a device share a 1 GiB block: one block cannot be both.
        case memoryAndDeviceShareBlock(UInt64)
    }

    private var kinds: InlineArray<512, UInt8> = .init(repeating: 0)

    public init() {}

    /// The kind of the block that holds `address`.
    public func kind(ofBlock index: Int) -> Kind {
        switch kinds[index] {
        case 1: return .normal
        case 2: return .device
        default: return .unmapped
        }
    }

    /// Marks every block `[base, base + size)` touches as `kind`.
    public mutating func map(base: UInt64, size: UInt64, as kind: Kind) throws(PlanError) {
        guard size > 0 else { return }
        let last = base &+ (size - 1)
        guard last >= base, last >> UInt64(IdentityMap.addressBits) == 0 else {
            throw .beyondAddressSpace(base)
        }
        let code: UInt8 = kind == .normal ? 1 : (kind == .device ? 2 : 0)
        for index in Int(base / IdentityMap.blockSize) ... Int(last / IdentityMap.blockSize) {
            if kinds[index] != 0 && kinds[index] != code {
                throw .memoryAndDeviceShareBlock(UInt64(index) * IdentityMap.blockSize)
            }
            kinds[index] = code
        }
    }

    /// The level-1 descriptor for block `index` (Arm ARM D8.3.1, block
    /// descriptor): valid, block, AttrIndx, AF set (no access-flag faults),
    /// inner shareable for RAM, never executable for devices.
    public func descriptor(ofBlock index: Int) -> UInt64 {
        let outputAddress = UInt64(index) * IdentityMap.blockSize
        switch kind(ofBlock: index) {
        case .unmapped:
            return 0
        case .normal:
            return outputAddress | Descriptor.block | Descriptor.accessFlag | Descriptor.innerShareable
                | MemoryAttributes.normalIndex << 2
        case .device:
            return outputAddress | Descriptor.block | Descriptor.accessFlag
                | MemoryAttributes.deviceIndex << 2 | Descriptor.privilegedExecuteNever | Descriptor.unprivilegedExecuteNever
        }
    }

    /// Descriptor bits (Arm ARM D8.3).
    public enum Descriptor {
        /// Bits 1:0 = 0b01: a valid block descriptor at level 1 or 2.
        public static let block: UInt64 = 0b01
        /// AF, bit 10.
        public static let accessFlag: UInt64 = 1 << 10
        /// SH, bits 9:8 = 0b11.
        public static let innerShareable: UInt64 = 0b11 << 8
        /// PXN, bit 53.
        public static let privilegedExecuteNever: UInt64 = 1 << 53
        /// UXN, bit 54.
        public static let unprivilegedExecuteNever: UInt64 = 1 << 54
    }

    /// `MAIR_EL1` (Arm ARM D19.2.97): attribute 0 Device-nGnRnE, attribute
    /// 1 Normal, inner and outer write-back, read- and write-allocate.
    public enum MemoryAttributes {
        public static let deviceIndex: UInt64 = 0
        public static let normalIndex: UInt64 = 1
        public static let registerValue: UInt64 = 0x00 | 0xFF << 8
    }

    /// `TCR_EL1` (Arm ARM D19.2.139) for this map: T0SZ = 25, TTBR0 walks
    /// inner shareable and write-back cacheable, 4 KiB granule, TTBR1 walks
    /// disabled (EPD1), IPS from `ID_AA64MMFR0_EL1.PARange`.
    public static func translationControl(physicalAddressRange: UInt64) -> UInt64 {
        let t0sz = UInt64(64 - addressBits)
        let irgn0: UInt64 = 0b01 << 8
        let orgn0: UInt64 = 0b01 << 10
        let sh0: UInt64 = 0b11 << 12
        let epd1: UInt64 = 1 << 23
        let ips = (physicalAddressRange & 0b111) << 32
        return t0sz | irgn0 | orgn0 | sh0 | epd1 | ips
    }

    /// `SCTLR_EL1` with the MMU (M), data cache (C) and instruction cache
    /// (I) on, over the RES1 bits; alignment checking (A) stays off.
    public static let systemControlWithMMU: UInt64 = 0x30D0_0800 | 1 << 0 | 1 << 2 | 1 << 12
}
