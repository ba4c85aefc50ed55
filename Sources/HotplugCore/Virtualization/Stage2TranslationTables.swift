// Building and walking a guest's stage-2 translation tables (4 KiB granule,
// Arm ARM D8.2, "Translation process"): windows of the guest's IPA space
// mapped to physical memory with 2 MiB blocks where both addresses allow it,
// 4 KiB pages elsewhere. Pure: the tables live in memory the caller hands
// over (the hypervisor's page-aligned, identity-mapped table pages; an
// array on the host), nothing is allocated.

/// A window of a guest's IPA space and the physical memory behind it.
public struct Stage2Window: Equatable, Sendable {
    /// First IPA.
    public let guestAddress: UInt64
    /// Where `guestAddress` lands.
    public let physicalAddress: UInt64
    /// Bytes, a multiple of 4 KiB.
    public let size: UInt64
    public let memory: Stage2MemoryType
    public let access: Stage2Access
    public let shareability: Stage2Shareability
    public let executable: Bool

    public init(guestAddress: UInt64, physicalAddress: UInt64, size: UInt64, memory: Stage2MemoryType,
                access: Stage2Access, shareability: Stage2Shareability, executable: Bool) {
        self.guestAddress = guestAddress
        self.physicalAddress = physicalAddress
        self.size = size
        self.memory = memory
        self.access = access
        self.shareability = shareability
        self.executable = executable
    }

    /// Guest RAM: Normal write-back, inner shareable, read/write, executable.
    public static func ram(guestAddress: UInt64, physicalAddress: UInt64, size: UInt64) -> Stage2Window {
        Stage2Window(guestAddress: guestAddress, physicalAddress: physicalAddress, size: size, memory: .normalWriteBack,
                     access: .readWrite, shareability: .innerShareable, executable: true)
    }

    /// A device frame passed through: Device-nGnRE, read/write, never
    /// executable (shareability is ignored for Device memory).
    public static func device(guestAddress: UInt64, physicalAddress: UInt64, size: UInt64) -> Stage2Window {
        Stage2Window(guestAddress: guestAddress, physicalAddress: physicalAddress, size: size, memory: .deviceNGnRE,
                     access: .readWrite, shareability: .outerShareable, executable: false)
    }
}

/// The result of walking the tables for one IPA.
public struct Stage2Walk: Equatable, Sendable {
    /// The physical address the IPA translates to.
    public let physicalAddress: UInt64
    /// The leaf descriptor that translated it.
    public let descriptor: Stage2Descriptor
    /// Its level: 2 for a 2 MiB block, 3 for a page (1 is never built here).
    public let level: Int
}

/// One guest's stage-2 tables in caller-provided memory: the first-level
/// table (its concatenated pages) at the start, further tables handed out
/// page by page as windows are mapped.
///
/// The caller writes `VTTBR_EL2` from `root` only after the tables are
/// complete and a DSB has made them visible to the walker; a window is
/// never remapped (an overlap is refused), so no break-before-make or TLB
/// invalidation is needed (Arm ARM D8.14.1).
public struct Stage2TranslationTables {
    /// Entries in one 4 KiB table.
    public static let entriesPerTable = 512
    /// A level-2 block.
    public static let blockSize: UInt64 = 1 << 21
    /// A page.
    public static let pageSize: UInt64 = 1 << 12

    public let geometry: Stage2Geometry
    /// The physical address of `memory[0]`: the root.
    public let root: UInt64
    private let memory: UnsafeMutableBufferPointer<UInt64>
    /// Table pages handed out so far, the root's included.
    public private(set) var pagesUsed: Int

    /// Why tables cannot be set up or a window mapped; nothing is written then.
    public enum TableError: Error, Equatable {
        /// The table memory is not whole pages, too small for the root, or
        /// its physical address is not aligned to the root's size.
        case unsuitableTableMemory
        /// An address or the size is not a multiple of 4 KiB, or the size is 0.
        case misaligned
        /// The window reaches beyond the IPA space or 2^48.
        case beyondAddressSpace
        /// Part of the window is mapped already.
        case overlaps(guestAddress: UInt64)
        /// The tables the window may need exceed the pages left.
        case outOfTablePages
    }

    /// Takes `memory` (whole 4 KiB pages at physical address `physicalBase`,
    /// which the caller reaches through it) and clears the root.
    public init(geometry: Stage2Geometry, memory: UnsafeMutableBufferPointer<UInt64>,
                physicalBase: UInt64) throws(TableError) {
        let rootEntries = geometry.rootTableCount * Stage2TranslationTables.entriesPerTable
        guard memory.count % Stage2TranslationTables.entriesPerTable == 0, memory.count >= rootEntries,
              physicalBase % (UInt64(geometry.rootTableCount) * Stage2TranslationTables.pageSize) == 0 else {
            throw .unsuitableTableMemory
        }
        self.geometry = geometry
        self.memory = memory
        root = physicalBase
        pagesUsed = geometry.rootTableCount
        for index in 0 ..< rootEntries {
            memory[index] = 0
        }
    }

    /// Pages of table memory in all.
    public var capacityPages: Int { memory.count / Stage2TranslationTables.entriesPerTable }

    /// The index of `address` in a table of `level` (the root's index spans
    /// its concatenated pages).
    private func index(of address: UInt64, level: Int) -> Int {
        let shift = UInt64(Stage2Geometry.levelShift(level))
        let bits = level == geometry.startLevel ? geometry.firstLevelBits : 9
        return Int(address >> shift & (1 << UInt64(bits) - 1))
    }

    /// The slot in `memory` of entry `index` of the table at `table`.
    private func slot(table: UInt64, index: Int) -> Int {
        Int((table - root) / 8) + index
    }

    /// What the walk for `address` meets at each level: the entry at the
    /// level where it stops (an invalid entry, a leaf, or the entry at
    /// `level`), that level, and the table holding it.
    private func descend(_ address: UInt64, to level: Int) -> (entry: Stage2Descriptor, level: Int, table: UInt64) {
        var table = root
        var current = geometry.startLevel
        while true {
            let entry = Stage2Descriptor(rawValue: memory[slot(table: table, index: index(of: address, level: current))])
            if current == level || !entry.isValid || current == 3 || !entry.isTableOrPage {
                return (entry, current, table)
            }
            table = entry.address
            current += 1
        }
    }

    /// Walks the tables for `guestAddress` as the MMU would: nil where the
    /// walk ends at an invalid entry (a stage-2 translation fault).
    public func translate(_ guestAddress: UInt64) -> Stage2Walk? {
        guard guestAddress >> UInt64(geometry.inputAddressBits) == 0 else { return nil }
        let (entry, level, _) = descend(guestAddress, to: 3)
        guard entry.isValid, level >= 1, level == 3 ? entry.isTableOrPage : !entry.isTableOrPage else { return nil }
        let offsetMask = UInt64(1) << UInt64(Stage2Geometry.levelShift(level)) - 1
        return Stage2Walk(physicalAddress: entry.address & ~offsetMask | guestAddress & offsetMask, descriptor: entry,
                          level: level)
    }

    /// The chunks of `window`: (IPA, PA, level), a 2 MiB block where both
    /// addresses are block-aligned and a whole block remains, else a page.
    private static func forEachChunk(of window: Stage2Window, _ body: (UInt64, UInt64, Int) throws(TableError) -> Void)
        throws(TableError) {
        var offset: UInt64 = 0
        while offset < window.size {
            let guest = window.guestAddress + offset
            let physical = window.physicalAddress + offset
            let block = guest % blockSize == 0 && physical % blockSize == 0 && window.size - offset >= blockSize
            try body(guest, physical, block ? 2 : 3)
            offset += block ? blockSize : pageSize
        }
    }

    /// At most how many new tables mapping `window` takes: for each level
    /// below the root, one per table-sized region of the IPA the window's
    /// chunks of that level or below touch and no table covers yet.
    private func newTablesBound(for window: Stage2Window) throws(TableError) -> Int {
        var count = 0
        var lastRegion = InlineArray<4, UInt64>(repeating: UInt64.max)
        try Stage2TranslationTables.forEachChunk(of: window) { (guest: UInt64, _: UInt64, level: Int) throws(TableError) in
            guard geometry.startLevel < level else { return }
            for tableLevel in geometry.startLevel + 1 ... level {
                let region = guest >> UInt64(Stage2Geometry.levelShift(tableLevel - 1))
                if region != lastRegion[tableLevel] {
                    lastRegion[tableLevel] = region
                    let (entry, reached, _) = descend(guest, to: tableLevel - 1)
                    if !(reached == tableLevel - 1 && entry.isTableOrPage) {
                        count += 1
                    }
                }
            }
        }
        return count
    }

    /// Maps `window`. Checked first, written only if it can be done whole:
    /// alignment, the IPA and output ranges, no overlap with what is
    /// mapped, enough table pages for the worst case.
    public mutating func map(_ window: Stage2Window) throws(TableError) {
        let page = Stage2TranslationTables.pageSize
        guard window.size > 0, window.size % page == 0, window.guestAddress % page == 0,
              window.physicalAddress % page == 0 else {
            throw .misaligned
        }
        let lastGuest = window.guestAddress &+ (window.size - 1)
        let lastPhysical = window.physicalAddress &+ (window.size - 1)
        guard lastGuest >= window.guestAddress, lastGuest >> UInt64(geometry.inputAddressBits) == 0,
              lastPhysical >= window.physicalAddress, lastPhysical >> 48 == 0 else {
            throw .beyondAddressSpace
        }
        try Stage2TranslationTables.forEachChunk(of: window) { (guest: UInt64, _: UInt64, level: Int) throws(TableError) in
            let (entry, _, _) = descend(guest, to: level)
            if entry.isValid {
                throw .overlaps(guestAddress: guest)
            }
        }
        guard try newTablesBound(for: window) <= capacityPages - pagesUsed else {
            throw .outOfTablePages
        }
        try Stage2TranslationTables.forEachChunk(of: window) { (guest: UInt64, physical: UInt64, level: Int) throws(TableError) in
            var table = root
            for current in geometry.startLevel ..< level {
                let entrySlot = slot(table: table, index: index(of: guest, level: current))
                var entry = Stage2Descriptor(rawValue: memory[entrySlot])
                if !entry.isValid {
                    entry = .table(newTable())
                    memory[entrySlot] = entry.rawValue
                }
                table = entry.address
            }
            memory[slot(table: table, index: index(of: guest, level: level))] = Stage2Descriptor.leaf(
                output: physical, page: level == 3, memory: window.memory, access: window.access,
                shareability: window.shareability, executable: window.executable).rawValue
        }
    }

    /// A cleared table page, its physical address.
    private mutating func newTable() -> UInt64 {
        precondition(pagesUsed < capacityPages, "Stage2TranslationTables: map checked the pages first")
        let first = pagesUsed * Stage2TranslationTables.entriesPerTable
        for index in first ..< first + Stage2TranslationTables.entriesPerTable {
            memory[index] = 0
        }
        pagesUsed += 1
        return root + UInt64(first) * 8
    }
}
