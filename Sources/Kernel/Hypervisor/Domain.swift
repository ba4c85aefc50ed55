import HotplugCore

/// A guest: its memory, its stage-2 translation and its vCPUs.
///
/// Each domain has its own VMID (its index + 1; VMID 0 is left unused), so
/// the stage-1+2 TLB entries of different domains never mix and a switch
/// between domains needs no TLB maintenance (Arm ARM D8.16, "VMID").
struct Domain {
    /// The domain's number, as the console writes it (`DOMAIN.VCPU`).
    let index: Int
    /// Physical address of its RAM (`GuestLayout.ramSize`), which it sees
    /// at `GuestLayout.ramBase`.
    let memory: UInt64
    /// `VTTBR_EL2`: VMID and the stage-2 root table.
    let translationTableBase: UInt64
    /// Its vCPUs: `VCPUs` entries `firstVCPU ..< firstVCPU + vcpuCount`.
    let firstVCPU: Int
    let vcpuCount: Int

    /// What the guest reports, read in place.
    var record: GuestRecord { GuestRecord(base: memory + GuestLayout.recordOffset) }
}

/// Stage-2 translation for the domains (Arm ARM D8, stage 2), built by
/// the pure core (`Stage2Geometry`, `Stage2TranslationTables`): each
/// domain's IPA range `GuestLayout.ramBase` + `ramSize` maps onto its RAM,
/// Normal write-back, read/write; every other IPA faults to EL2.
enum StageTwo {
    /// Table pages per domain: the root's and enough for one 2 MiB window
    /// from any start level.
    static let tablePages = 20

    /// The geometry Xen and KVM choose for this PE (IPA as large as the
    /// physical address space), from `ID_AA64MMFR0_EL1.PARange`; nil for a
    /// reserved PARange.
    static var geometry: Stage2Geometry? {
        try? Stage2Geometry(physicalAddressRange: physicalAddressRange)
    }

    static var physicalAddressRange: UInt64 { arch_read_id_aa64mmfr0() & 0xF }

    /// `VTCR_EL2` for `geometry`; 0 (stage 2 unusable) without one.
    static var translationControl: UInt64 {
        geometry?.translationControl(physicalAddressRange: physicalAddressRange) ?? 0
    }

    /// Builds `vmid`'s tables mapping the guest's RAM onto `memory` (table
    /// pages from the heap, boot CPU) and returns its `VTTBR_EL2`; nil if
    /// the tables cannot be built.
    static func map(memory: UInt64, vmid: UInt8) -> UInt64? {
        guard let geometry else { return nil }
        let alignment = geometry.rootTableCount * Int(Stage2TranslationTables.pageSize)
        let pages = max(tablePages, geometry.rootTableCount + 4)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: pages * Int(Stage2TranslationTables.pageSize), alignment: alignment)
        let entries = raw.bindMemory(to: UInt64.self, capacity: pages * Stage2TranslationTables.entriesPerTable)
        let buffer = UnsafeMutableBufferPointer(start: entries, count: pages * Stage2TranslationTables.entriesPerTable)
        do throws(Stage2TranslationTables.TableError) {
            var tables = try Stage2TranslationTables(geometry: geometry, memory: buffer, physicalBase: UInt64(UInt(bitPattern: raw)))
            try tables.map(.ram(guestAddress: GuestLayout.ramBase, physicalAddress: memory, size: GuestLayout.ramSize))
            arch_dsb_ishst()
            return VirtualMachineID(vmid).translationTableBase(root: tables.root, geometry: geometry)
        } catch {
            return nil
        }
    }
}
