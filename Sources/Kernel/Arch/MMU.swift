import HotplugCore

/// The identity map the device tree describes, and the switch to it.
///
/// Every CPU already runs with the MMU and caches on when Swift starts
/// (boot/start.S: the boot CPU under an early map of the blocks holding the
/// image and the device tree, a secondary directly under this map).
/// `IdentityMap` in the pure core decides every descriptor of this map;
/// MAIR, TCR and SCTLR are the boot stub's (AssemblyLayout.h), the same for both
/// maps, so joining this map changes only `TTBR0_EL1`.
///
/// Why a map at all, in an identity-mapped kernel: with the MMU off every
/// data access is Device-nGnRnE, where unaligned accesses fault and
/// load/store-exclusive (every spin lock) is not guaranteed to work.
enum MMU {
    /// The level-1 table of the map: what `TTBR0_EL1` holds.
    struct Translation {
        var tableBase: UInt64
    }

    /// Why the device tree's memory cannot carry this kernel.
    enum MapError: Error {
        case plan(IdentityMap.PlanError)
        /// The image (code, data, stacks, heap) does not lie in RAM the
        /// device tree describes.
        case imageOutsideMemory(ImagePlacement)
    }

    /// Builds the level-1 table from the platform's RAM and device regions,
    /// after checking that RAM holds the whole image: the early map and the
    /// final map must translate the image's block identically.
    static func translation(for platform: PlatformDescription) -> Result<Translation, MapError> {
        let placement = ImagePlacement(start: linker_image_start(), end: linker_image_end())
        guard placement.isCovered(by: platform) else { return .failure(.imageOutsideMemory(placement)) }
        var map = IdentityMap()
        do throws(IdentityMap.PlanError) {
            for index in 0 ..< platform.memoryRegionCount {
                let region = platform.memoryRegion(index)
                try map.map(base: region.base, size: region.size, as: .normal)
            }
            let gic = platform.gic
            try map.map(base: gic.distributor.base, size: gic.distributor.size, as: .device)
            if let its = gic.its {
                try map.map(base: its.base, size: its.size, as: .device)
            }
            for index in 0 ..< gic.redistributorRegionCount {
                let region = gic.redistributorRegion(index)
                try map.map(base: region.base, size: region.size, as: .device)
            }
            try map.map(base: platform.uart.registers.base, size: platform.uart.registers.size, as: .device)
            if let rtc = platform.rtc {
                try map.map(base: rtc.registers.base, size: rtc.registers.size, as: .device)
            }
        } catch {
            return .failure(.plan(error))
        }
        let table = UnsafeMutablePointer<UInt64>.allocate(capacity: IdentityMap.entryCount + 512)
        // Align to the table size (4 KiB) within the over-allocation.
        let aligned = UnsafeMutablePointer<UInt64>(bitPattern: (UInt(bitPattern: table) + 4095) & ~UInt(4095))!
        for index in 0 ..< IdentityMap.entryCount {
            aligned[index] = regimeDescriptor(map.descriptor(ofBlock: index))
        }
        return .success(Translation(tableBase: UInt64(UInt(bitPattern: aligned))))
    }

    /// A block descriptor as the kernel's translation regime wants it: at
    /// EL2 every valid one carries AP[1], RES1 there (AssemblyLayout.h,
    /// `MMU_EL2_BLOCK_AP1`; the early map sets it too, so the switch still
    /// needs no break-before-make).
    private static func regimeDescriptor(_ descriptor: UInt64) -> UInt64 {
        #if HYPERVISOR
        return descriptor & 1 != 0 ? descriptor | UInt64(MMU_EL2_BLOCK_AP1) : descriptor
        #else
        return descriptor
        #endif
    }

    /// Moves the calling CPU, MMU on, from the early map to `translation`.
    /// No break-before-make is needed (Arm ARM D8.14.1): every address in
    /// use translates to the same output address with the same attributes
    /// and block size under both maps, and the rest was unmapped before.
    static func switchTo(_ translation: Translation) {
        arch_dsb_ishst()                 // the table's stores reach the walker first
        arch_write_ttbr0(translation.tableBase)
        arch_isb()
        arch_invalidate_tlb_all()        // no entry of the early map survives
    }
}
