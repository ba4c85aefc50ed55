/// Turns on the MMU and caches with the identity map the device tree
/// describes (`IdentityMap` in the pure core decides every descriptor).
///
/// Why at all, in an identity-mapped kernel: load/store-exclusive (every
/// spin lock) is architecturally defined only on Normal cacheable memory,
/// and with the MMU off all memory is Device memory.
enum MMU {
    /// The values a CPU programs to join the map; the boot CPU computes them
    /// once and secondaries take them from their `CPUStartBlock`.
    struct Configuration {
        var memoryAttributes: UInt64
        var translationControl: UInt64
        var tableBase: UInt64
        var systemControl: UInt64
    }

    /// Builds the level-1 table from the platform's RAM and device regions.
    static func configuration(for platform: PlatformDescription) -> Result<Configuration, IdentityMap.PlanError> {
        var map = IdentityMap()
        do throws(IdentityMap.PlanError) {
            for index in 0 ..< platform.memoryRegionCount {
                let region = platform.memoryRegion(index)
                try map.map(base: region.base, size: region.size, as: .normal)
            }
            let gic = platform.gic
            try map.map(base: gic.distributor.base, size: gic.distributor.size, as: .device)
            for index in 0 ..< gic.redistributorRegionCount {
                let region = gic.redistributorRegion(index)
                try map.map(base: region.base, size: region.size, as: .device)
            }
            try map.map(base: platform.uart.registers.base, size: platform.uart.registers.size, as: .device)
            if let rtc = platform.rtc {
                try map.map(base: rtc.registers.base, size: rtc.registers.size, as: .device)
            }
        } catch {
            return .failure(error)
        }
        let table = UnsafeMutablePointer<UInt64>.allocate(capacity: IdentityMap.entryCount + 512)
        // Align to the table size (4 KiB) within the over-allocation.
        let aligned = UnsafeMutablePointer<UInt64>(bitPattern: (UInt(bitPattern: table) + 4095) & ~UInt(4095))!
        for index in 0 ..< IdentityMap.entryCount {
            aligned[index] = map.descriptor(ofBlock: index)
        }
        let physicalAddressRange = arch_read_id_aa64mmfr0() & 0xF
        return .success(Configuration(
            memoryAttributes: IdentityMap.MemoryAttributes.registerValue,
            translationControl: IdentityMap.translationControl(physicalAddressRange: physicalAddressRange),
            tableBase: UInt64(UInt(bitPattern: aligned)),
            systemControl: IdentityMap.systemControlWithMMU))
    }

    /// Turns the MMU on for the calling CPU.
    static func enable(_ configuration: Configuration) {
        arch_write_mair(configuration.memoryAttributes)
        arch_write_tcr(configuration.translationControl)
        arch_write_ttbr0(configuration.tableBase)
        arch_dsb_ish()
        arch_isb()
        arch_invalidate_tlb_all()
        arch_write_sctlr(configuration.systemControl)
        arch_isb()
    }
}
