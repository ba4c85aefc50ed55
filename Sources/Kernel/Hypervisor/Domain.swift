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

/// Stage-2 translation (Arm ARM D8, "The VMSAv8-64 translation table
/// format" for stage 2): each domain's IPA range `GuestLayout.ramBase` +
/// `ramSize` maps onto its RAM as one 2 MiB block, Normal write-back,
/// read/write, inner shareable; every other IPA faults to EL2.
enum StageTwo {
    /// `VTCR_EL2`: T0SZ 25 (39-bit IPAs), SL0 = 1 (the walk starts at
    /// level 1), walks inner and outer write-back cacheable (IRGN0 = ORGN0
    /// = 0b01) and inner shareable (SH0 = 0b11), 4 KiB granule (TG0 = 0),
    /// PS from ID_AA64MMFR0_EL1.PARange, bit 31 RES1.
    static var translationControl: UInt64 {
        let physicalAddressRange = arch_read_id_aa64mmfr0() & 0x7
        return 25 | 1 << 6 | 1 << 8 | 1 << 10 | 3 << 12 | physicalAddressRange << 16 | 1 << 31
    }

    /// A stage-2 block descriptor for Normal RAM: valid block (0b01),
    /// MemAttr 0b1111 (outer and inner write-back), S2AP 0b11 (read and
    /// write), SH 0b11, AF.
    static let normalBlock: UInt64 = 0b01 | 0xF << 2 | 0b11 << 6 | 0b11 << 8 | 1 << 10
    /// A table descriptor (0b11).
    static let table: UInt64 = 0b11

    /// Builds the tables mapping `GuestLayout.ramBase` to `memory` and
    /// returns the `VTTBR_EL2` value for `vmid`. The tables come from the
    /// heap (boot CPU, once per domain) and are never changed.
    static func map(memory: UInt64, vmid: UInt64) -> UInt64 {
        let level1 = alignedTable()
        let level2 = alignedTable()
        let ipa = GuestLayout.ramBase
        level2[Int(ipa >> 21 & 511)] = memory | normalBlock
        level1[Int(ipa >> 30 & 511)] = UInt64(UInt(bitPattern: level2)) | table
        arch_dsb_ishst()
        return vmid << 48 | UInt64(UInt(bitPattern: level1))
    }

    /// A zeroed 4 KiB table, 4 KiB aligned, from the heap.
    private static func alignedTable() -> UnsafeMutablePointer<UInt64> {
        let raw = UnsafeMutablePointer<UInt64>.allocate(capacity: 1024)
        let aligned = UnsafeMutablePointer<UInt64>(bitPattern: (UInt(bitPattern: raw) + 4095) & ~UInt(4095))!
        aligned.initialize(repeating: 0, count: 512)
        return aligned
    }
}
