import HotplugCore

/// Arm semihosting (IHI 0060), used for the things a bare image cannot do
/// through its devices: tell QEMU the exit status, read the command line
/// (`-append`), which carries the options and the console script, and read
/// a script file named on it. Also an early console before the device tree has named
/// the UART.
enum Semihosting {
    /// SYS_OPEN, SYS_CLOSE, SYS_WRITE0, SYS_READ, SYS_FLEN, SYS_ERRNO,
    /// SYS_GET_CMDLINE (IHI 0060 §6).
    private static let openOperation: UInt64 = 0x01
    private static let closeOperation: UInt64 = 0x02
    private static let write0: UInt64 = 0x04
    private static let readOperation: UInt64 = 0x06
    private static let fileLengthOperation: UInt64 = 0x0C
    private static let errorNumberOperation: UInt64 = 0x13
    private static let getCommandLine: UInt64 = 0x15
    /// SYS_OPEN's mode for `fopen(path, "rb")`.
    private static let readBinaryMode: UInt64 = 1

    /// Stops QEMU with `status` as its exit status (SYS_EXIT_EXTENDED,
    /// in boot/start.S).
    static func exit(_ status: UInt32) -> Never {
        semihosting_exit(status)
    }

    /// Writes a NUL-terminated string to the debugger's console.
    static func write(_ text: StaticString) {
        _ = arch_semihosting_call(write0, text.utf8Start)
    }

    /// Copies the command line into `buffer` (its first word is the image
    /// name) and says what came of it: a line that does not fit is refused
    /// by the host, not cut (`CommandLineRead`).
    static func commandLine(into buffer: UnsafeMutableRawBufferPointer) -> CommandLineRead {
        guard let start = buffer.baseAddress, buffer.count > 1 else { return .read(length: 0) }
        var block: (UInt64, UInt64) = (UInt64(UInt(bitPattern: start)), UInt64(buffer.count))
        let result = withUnsafeMutablePointer(to: &block) { arch_semihosting_call(getCommandLine, $0) }
        let error = result == 0 ? 0 : lastError()
        return CommandLineRead(result: result, length: block.1, errno: error, bufferSize: buffer.count)
    }

    /// The host's errno after the last call that failed (SYS_ERRNO).
    static func lastError() -> Int64 {
        Int64(bitPattern: arch_semihosting_call(errorNumberOperation, nil))
    }

    /// Opens the host file `path` (NUL-terminated, `length` bytes without
    /// the NUL) for reading; its handle, or nil (see `lastError`).
    static func openForReading(_ path: UnsafePointer<UInt8>, length: Int) -> UInt64? {
        var block: (UInt64, UInt64, UInt64) = (UInt64(UInt(bitPattern: path)), readBinaryMode, UInt64(length))
        let handle = withUnsafeMutablePointer(to: &block) { arch_semihosting_call(openOperation, $0) }
        return Int64(bitPattern: handle) < 0 ? nil : handle
    }

    /// The length of an open file (SYS_FLEN); -1 if the host cannot tell.
    static func length(of handle: UInt64) -> Int64 {
        var block = handle
        return Int64(bitPattern: withUnsafeMutablePointer(to: &block) { arch_semihosting_call(fileLengthOperation, $0) })
    }

    /// Reads `buffer.count` bytes from an open file; whether all arrived
    /// (SYS_READ answers the number of bytes not read).
    static func read(_ handle: UInt64, into buffer: UnsafeMutableRawBufferPointer) -> Bool {
        guard let start = buffer.baseAddress else { return true }
        var block: (UInt64, UInt64, UInt64) = (handle, UInt64(UInt(bitPattern: start)), UInt64(buffer.count))
        return withUnsafeMutablePointer(to: &block) { arch_semihosting_call(readOperation, $0) } == 0
    }

    /// Closes an open file (SYS_CLOSE).
    static func close(_ handle: UInt64) {
        var block = handle
        _ = withUnsafeMutablePointer(to: &block) { arch_semihosting_call(closeOperation, $0) }
    }
}
