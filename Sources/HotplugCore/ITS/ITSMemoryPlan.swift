/// Where the memory the GIC reads and writes on its own goes, carved from
/// one region: the LPI pending tables (one per CPU, 64 KiB aligned), the
/// ITS device and collection tables (aligned to their page size), the LPI
/// configuration table and the command queue (4 KiB aligned: their
/// registers hold address bits 51:12), and one Interrupt Translation Table
/// per device (256-byte aligned, MAPD's ITT_addr bits 51:8). The most
/// aligned pieces come first so that little is lost to padding.
///
/// Everything here must be zeroed before the GIC is pointed at it (an
/// all-zero configuration byte is a disabled LPI, an all-zero table entry
/// an invalid one, and a zeroed pending table may be handed over with PTZ)
/// and, for the life of the machine, never reused: a redistributor whose
/// `EnableLPIs` cannot be cleared keeps using its tables.
public struct ITSMemoryPlan: Hashable, Sendable {
    /// A piece of the plan: its address and size.
    public struct Piece: Hashable, Sendable {
        public let base: UInt64
        public let bytes: Int

        /// First address past the piece.
        public var end: UInt64 { base + UInt64(bytes) }
    }

    /// The region's first address; `end` is the first past the plan.
    public let base: UInt64
    /// First address past the last piece.
    public let end: UInt64
    /// The first pending table; CPU i's is `pendingTableStride` × i further.
    public let pendingTables: Piece
    /// Distance between consecutive CPUs' pending tables.
    public let pendingTableStride: Int
    /// CPUs with a pending table.
    public let cpus: Int
    /// The device table (`GITS_BASER<n>` of type Devices).
    public let deviceTable: Piece
    /// The collection table, when collections are not all held in the ITS.
    public let collectionTable: Piece?
    /// The LPI configuration table (`GICR_PROPBASER`).
    public let configurationTable: Piece
    /// The command queue (`GITS_CBASER`).
    public let commandQueue: Piece
    /// The first device's ITT; device i's is `ittStride` × i further.
    public let interruptTranslationTables: Piece
    /// Bytes between consecutive devices' ITTs (a multiple of 256).
    public let ittStride: Int
    /// Devices with an ITT.
    public let devices: Int

    /// Bytes the plan takes from `base`.
    public var bytes: Int { Int(end - base) }

    /// Lays the pieces out from `base`.
    /// Preconditions: `base` 64 KiB aligned; `cpus` ≥ 1; `devices` ≥ 1;
    /// `ittBytes` a multiple of 256 (as `ITSTableSizing` gives);
    /// `commandQueuePages` in 1 ... 256. Only the level-1 part of an
    /// indirect table is placed; its level-2 pages are allocated apart.
    public init(
        base: UInt64, cpus: Int, lpis: LPITableSizing, deviceTable: ITSTableLayout,
        collections: ITSCollectionStorage, devices: Int, ittBytes: Int, commandQueuePages: Int
    ) {
        precondition(base % UInt64(LPITableSizing.pendingTableAlignment) == 0, "plan base not 64 KiB aligned")
        precondition(cpus >= 1 && devices >= 1, "no CPU or no device")
        precondition(ittBytes > 0 && ittBytes % ITSCommand.ittAlignment == 0, "ITT size not a multiple of 256")
        precondition(commandQueuePages >= 1 && commandQueuePages <= ITSCommandQueueDescriptor.maximumPages,
                     "command queue pages outside 1-256")
        var cursor = base
        func take(_ bytes: Int, aligned alignment: Int) -> Piece {
            let mask = UInt64(alignment) - 1
            cursor = (cursor + mask) & ~mask
            let piece = Piece(base: cursor, bytes: bytes)
            cursor += UInt64(bytes)
            return piece
        }
        let stride = lpis.pendingTableAllocationBytes
        self.pendingTables = take(stride * cpus, aligned: LPITableSizing.pendingTableAlignment)
        self.pendingTableStride = stride
        self.cpus = cpus
        self.deviceTable = take(deviceTable.bytes, aligned: deviceTable.pageSize.bytes)
        if case let .table(layout) = collections {
            self.collectionTable = take(layout.bytes, aligned: layout.pageSize.bytes)
        } else {
            self.collectionTable = nil
        }
        self.configurationTable = take(lpis.configurationTableBytes, aligned: LPITableSizing.configurationTableAlignment)
        self.commandQueue = take(
            commandQueuePages * ITSCommandQueueDescriptor.pageBytes, aligned: ITSCommandQueueDescriptor.pageBytes)
        self.interruptTranslationTables = take(ittBytes * devices, aligned: ITSCommand.ittAlignment)
        self.ittStride = ittBytes
        self.devices = devices
        self.base = base
        self.end = cursor
    }

    /// CPU `index`'s pending table (`GICR_PENDBASER`), 64 KiB aligned.
    public func pendingTable(cpu index: Int) -> Piece {
        precondition(index >= 0 && index < cpus, "no such CPU in the plan")
        return Piece(
            base: pendingTables.base + UInt64(index * pendingTableStride), bytes: pendingTableStride)
    }

    /// Device `index`'s ITT (MAPD's ITT_addr), 256-byte aligned.
    public func interruptTranslationTable(device index: Int) -> Piece {
        precondition(index >= 0 && index < devices, "no such device in the plan")
        return Piece(base: interruptTranslationTables.base + UInt64(index * ittStride), bytes: ittStride)
    }
}
