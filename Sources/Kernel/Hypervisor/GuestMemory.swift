import HotplugCore

/// Guest RAM: where each domain's memory comes from, its stage-2
/// translation, the guest image loaded into it and the guest record read
/// from it.
///
/// Every domain gets `GuestLayout.ramSize` of the device tree's RAM, above
/// the hypervisor image and aligned to its own size so that one stage-2
/// block maps it (Arm ARM D8.2: a level-2 block of the 4 KiB granule is
/// 2 MiB). The hypervisor's own identity map covers all RAM, so it reads and
/// writes a guest's memory at the physical address.
enum GuestMemory {
    /// Why the domains' memory cannot be had.
    enum AllocationError: Error {
        /// The RAM region holding the image has no room above it.
        case outOfMemory(needed: UInt64, available: UInt64)
    }

    /// The next free byte above the image (boot CPU only, before any
    /// secondary starts; read-only afterwards).
    nonisolated(unsafe) private static var next: UInt64 = 0

    /// `count` blocks of guest RAM from the RAM region holding the image,
    /// each `GuestLayout.ramSize` and aligned to it; their base addresses.
    static func allocate(_ count: Int, in platform: PlatformDescription) -> Result<[UInt64], AllocationError> {
        let size = GuestLayout.ramSize
        var regionEnd: UInt64 = 0
        for index in 0 ..< platform.memoryRegionCount {
            let region = platform.memoryRegion(index)
            if region.base <= linker_image_start() && linker_image_end() <= region.base &+ region.size {
                regionEnd = region.base &+ region.size
            }
        }
        if next == 0 { next = (linker_image_end() + size - 1) & ~(size - 1) }
        let needed = UInt64(count) * size
        guard regionEnd >= next, regionEnd - next >= needed else {
            return .failure(.outOfMemory(needed: needed, available: regionEnd > next ? regionEnd - next : 0))
        }
        var bases: [UInt64] = []
        for _ in 0 ..< count {
            bases.append(next)
            next += size
        }
        return .success(bases)
    }

    /// Copies the guest image to the start of `base`'s RAM and zeroes the
    /// guest record, then cleans both to the point of coherency and
    /// invalidates the instruction caches: the guest fetches and reads them
    /// with its MMU off, past the caches (Arm ARM D7.5.9).
    static func load(into base: UInt64) {
        let image = UnsafeRawPointer(bitPattern: UInt(linker_guest_image_start()))!
        let length = Int(linker_guest_image_end() - linker_guest_image_start())
        let ram = UnsafeMutableRawPointer(bitPattern: UInt(base))!
        ram.copyMemory(from: image, byteCount: length)
        let record = ram + Int(GuestLayout.recordOffset)
        record.initializeMemory(as: UInt8.self, repeating: 0, count: Int(GuestLayout.recordSize))
        clean(ram, byteCount: length)
        clean(record, byteCount: Int(GuestLayout.recordSize))
        arch_invalidate_instruction_caches()
    }

    /// DC CVAC over a range, by the smallest data cache line (CTR_EL0), then DSB.
    private static func clean(_ start: UnsafeMutableRawPointer, byteCount: Int) {
        let line = 4 << Int((arch_read_cache_type() >> 16) & 0xF)
        var address = UInt(bitPattern: start) & ~UInt(line - 1)
        let end = UInt(bitPattern: start) + UInt(byteCount)
        while address < end {
            arch_clean_data_cache_line(UnsafeRawPointer(bitPattern: address))
            address += UInt(line)
        }
        arch_dsb_sy()
    }
}

/// Where things are in a guest's intermediate physical address space, and
/// the guest record's fields the hypervisor reads: the guest contract,
/// guest/GuestRecord.h.
enum GuestLayout {
    static let ramBase = UInt64(GUEST_RAM_BASE)
    static let ramSize = UInt64(GUEST_RAM_SIZE)
    static let recordOffset = UInt64(GUEST_RECORD_ADDRESS - GUEST_RAM_BASE)
    static let recordSize = UInt64(MemoryLayout<guest_record>.size)
    static let maximumVCPUs = Int(GUEST_MAX_VCPUS)
    static let countedInterrupts = Int(GUEST_COUNTED_INTIDS)
}

/// One domain's guest record, read in place at its physical address. The
/// guest publishes each count with a release store; these reads acquire.
struct GuestRecord {
    let base: UInt64

    /// How many times vCPU `vcpu` acknowledged `intid`.
    func count(vcpu: Int, intid: InterruptID) -> UInt32 {
        guard vcpu < GuestLayout.maximumVCPUs, Int(intid.rawValue) < GuestLayout.countedInterrupts else { return 0 }
        return load(Int(GUEST_RECORD_COUNTS_OFFSET) + 4 * (vcpu * GuestLayout.countedInterrupts + Int(intid.rawValue)))
    }

    /// Whether vCPU `vcpu` has its CPU interface on.
    func isUp(vcpu: Int) -> Bool {
        load(Int(GUEST_RECORD_BOOT_MARKER_OFFSET) + 4 * vcpu) == UInt32(GUEST_BOOT_MARKER)
    }

    /// Asks the guest to hold `intid` active when it next acknowledges it
    /// (`GUEST_HOLD_NONE`: hold nothing), the hold released by `release`.
    func hold(_ intid: InterruptID?) {
        arch_store_release32(base + UInt64(GUEST_RECORD_HOLD_INTID_OFFSET), intid?.rawValue ?? UInt32(GUEST_HOLD_NONE))
    }

    /// Lets the vCPU holding the hold interrupt deactivate it.
    func release() {
        arch_store_release32(base + UInt64(GUEST_RECORD_HOLD_RELEASE_OFFSET), 1)
    }

    /// Whether vCPU `vcpu` holds the hold interrupt active now.
    func isHolding(vcpu: Int) -> Bool {
        load(Int(GUEST_RECORD_HOLDING_OFFSET) + 4 * vcpu) != 0
    }

    /// Why vCPU `vcpu` stopped (0: it runs).
    func faultKind(vcpu: Int) -> UInt32 {
        load(Int(GUEST_RECORD_FAULT_KIND_OFFSET) + 4 * vcpu)
    }

    private func load(_ offset: Int) -> UInt32 {
        arch_load_acquire32(base + UInt64(offset))
    }
}
