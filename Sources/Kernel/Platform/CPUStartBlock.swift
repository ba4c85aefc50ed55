/// What a secondary CPU needs before it can run Swift: handed to PSCI CPU_ON
/// as the context id, so it arrives in the new CPU's x0.
///
/// boot/start.S reads the first five fields by offset: keep the layout.
struct CPUStartBlock {
    /// Top of this CPU's stack (stacks grow down).
    var stackTop: UInt64
    var memoryAttributes: UInt64
    var translationControl: UInt64
    var tableBase: UInt64
    var systemControl: UInt64
    /// The CPU's logical number.
    var logicalIndex: UInt64

    /// Bytes of stack per CPU (linker/image.ld reserves 512 of them; 64 KiB).
    static let stackSize: UInt64 = 0x10000

    /// One block per CPU, allocated at boot.
    nonisolated(unsafe) static var blocks = UnsafeMutablePointer<CPUStartBlock>.allocate(capacity: 1)

    static func setUp(count: Int, translation: MMU.Configuration) {
        blocks = UnsafeMutablePointer<CPUStartBlock>.allocate(capacity: count)
        let stacks = linker_cpu_stacks_start()
        for index in 0 ..< count {
            blocks[index] = CPUStartBlock(
                stackTop: stacks + UInt64(index + 1) * stackSize,
                memoryAttributes: translation.memoryAttributes,
                translationControl: translation.translationControl,
                tableBase: translation.tableBase,
                systemControl: translation.systemControl,
                logicalIndex: UInt64(index))
            // The new CPU reads its block with the MMU and caches off.
            arch_clean_data_cache_line(blocks + index)
            arch_clean_data_cache_line(UnsafeRawPointer(blocks + index) + MemoryLayout<CPUStartBlock>.size - 1)
        }
        arch_dsb_sy()
    }

    /// The context id for CPU_ON.
    static func context(for cpu: LogicalCPU) -> UInt64 {
        UInt64(UInt(bitPattern: blocks + cpu.index))
    }
}
