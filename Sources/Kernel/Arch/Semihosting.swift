/// Arm semihosting (IHI 0060), used for the two things a bare image cannot do
/// through its devices: tell QEMU the exit status, and read the command line
/// (`-append`), which carries scenarios and test switches. Also an early
/// console before the device tree has named the UART.
enum Semihosting {
    /// SYS_WRITE0, SYS_GET_CMDLINE (IHI 0060 §6).
    private static let write0: UInt64 = 0x04
    private static let getCommandLine: UInt64 = 0x15

    /// Stops QEMU with `status` as its exit status (SYS_EXIT_EXTENDED,
    /// in boot/start.S).
    static func exit(_ status: UInt32) -> Never {
        semihosting_exit(status)
    }

    /// Writes a NUL-terminated string to the debugger's console.
    static func write(_ text: StaticString) {
        _ = arch_semihosting_call(write0, text.utf8Start)
    }

    /// Copies the command line into `buffer` and returns its length, or 0 if
    /// the host gave none. The first word is the image name.
    static func commandLine(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard let start = buffer.baseAddress, buffer.count > 1 else { return 0 }
        var block: (UInt64, UInt64) = (UInt64(UInt(bitPattern: start)), UInt64(buffer.count))
        let status = withUnsafeMutablePointer(to: &block) { arch_semihosting_call(getCommandLine, $0) }
        return status == 0 ? Int(block.1) : 0
    }
}
