/// The boot CPU's path through the kernel, from boot/start.S.
///
/// 1. Read the command line and the device tree (early output goes to the
///    semihosting console until the tree names the UART).
/// 2. Print what was discovered.
/// 3. Run the job the command line asks for, and return its exit status.
@_cdecl("kernel_main")
func kernelMain(_ entryLevel: UInt64) -> UInt32 {
    let commandLine = KernelCommandLine(readingInto: BootStorage.commandLine)

    let platform: PlatformDescription
    switch DeviceTreeBlob.platform() {
    case .success(let found):
        platform = found
    case .failure(let error):
        Console.line { out in
            out.write("error: no usable device tree at the start of RAM (")
            out.hex(UInt64(UInt(bitPattern: __ram_start)))
            out.write("): ")
            out.write(error.message)
        }
        return 2
    }
    Console.uart = PL011(registers: MMIORegion(base: platform.uart.base))

    Console.line("GICv3 interrupt migration on CPU hotplug -- Embedded Swift image")
    HardwareReport.print(platform, entryLevel: entryLevel)

    if commandLine.contains(word: "test-fault") {
        Console.line("test-fault: loading from an address no memory answers")
        _ = arch_read_unmapped(1 << 47)
    }
    return 0
}

/// Static buffers the boot path fills before the heap is of any use.
enum BootStorage {
    nonisolated(unsafe) static let commandLine = UnsafeMutableRawBufferPointer.allocate(byteCount: 1024, alignment: 8)
}
