import HotplugCore

/// What a secondary CPU needs before it can run Swift (`struct
/// cpu_start_block`, declared once in AssemblyLayout.h for the boot stub and for
/// Swift): handed to PSCI CPU_ON as the context id, so it arrives in the new
/// CPU's x0 and is read there with the MMU off.
enum CPUStartBlock {
    /// Bytes of stack per CPU (linker/image.ld reserves 512 of them; 64 KiB).
    static let stackSize: UInt64 = 0x10000

    /// One block per CPU, allocated at boot; written once, before any
    /// secondary starts, and only read afterwards.
    nonisolated(unsafe) static var blocks = UnsafeMutablePointer<cpu_start_block>.allocate(capacity: 1)

    static func setUp(count: Int, translation: MMU.Translation) {
        blocks = UnsafeMutablePointer<cpu_start_block>.allocate(capacity: count)
        let stacks = linker_cpu_stacks_start()
        for index in 0 ..< count {
            blocks[index] = cpu_start_block(
                stack_top: stacks + UInt64(index + 1) * stackSize,
                table_base: translation.tableBase,
                logical_index: UInt64(index))
            // The new CPU reads its block with the MMU and caches off.
            arch_clean_data_cache_line(blocks + index)
            arch_clean_data_cache_line(UnsafeRawPointer(blocks + index) + MemoryLayout<cpu_start_block>.size - 1)
        }
        arch_dsb_sy()
    }

    /// The context id for CPU_ON.
    static func context(for cpu: LogicalCPU) -> UInt64 {
        UInt64(UInt(bitPattern: blocks + cpu.index))
    }
}
