/// How long the image's command line and a script file may be, and how to
/// read the answer of semihosting SYS_GET_CMDLINE (0x15, Arm IHI 0060).
///
/// The image reads its command line into a buffer of `bufferSize` bytes.
/// QEMU builds the line it hands over from the image path and the `-append`
/// text split at spaces, the words joined by one space, and needs room for
/// that and a NUL; when the buffer is smaller it answers -1 (errno E2BIG)
/// and writes nothing. Read as "no command line", such a line would run the
/// default demonstration instead of the script and exit 0, a false pass, so
/// the image refuses it instead (`CommandLineRead.tooLong`), and
/// scripts/qemu.sh refuses it before booting with the same arithmetic
/// (`bytesNeeded`). Seen on QEMU 7.2 and 10.0 alike: 1024 bytes with the
/// NUL run, 1025 are refused.
///
/// Longer scripts come from a file (`script=PATH`, read through semihosting
/// SYS_OPEN / SYS_FLEN / SYS_READ), of at most `scriptFileLimit` bytes.
public enum CommandLineLimits {
    /// The image's command-line buffer, NUL included.
    public static let bufferSize = 1024

    /// The largest script file the image reads (256 KiB, thousands of
    /// commands); the heap block for it is allocated once at boot.
    public static let scriptFileLimit = 256 * 1024

    /// The bytes SYS_GET_CMDLINE needs for an image path of `imagePathLength`
    /// bytes and the `-append` text `arguments`, as QEMU passes them: the
    /// path, then each word (a run of bytes other than the space) after one
    /// space, then a NUL. Runs of spaces and leading or trailing spaces take
    /// no room, as QEMU drops them.
    public static func bytesNeeded<Bytes: Sequence>(imagePathLength: Int, arguments: Bytes) -> Int
    where Bytes.Element == UInt8 {
        var total = imagePathLength + 1
        var inWord = false
        for byte in arguments {
            if byte == space {
                inWord = false
            } else {
                if !inWord { total += 1 }
                inWord = true
                total += 1
            }
        }
        return total
    }

    /// Whether that command line reaches the image.
    public static func fits<Bytes: Sequence>(imagePathLength: Int, arguments: Bytes) -> Bool
    where Bytes.Element == UInt8 {
        bytesNeeded(imagePathLength: imagePathLength, arguments: arguments) <= bufferSize
    }

    /// Whether a script file of `length` bytes (SYS_FLEN's answer) can be
    /// read: a length the host could give (not negative) within
    /// `scriptFileLimit`.
    public static func acceptsScriptFile(length: Int64) -> Bool {
        length >= 0 && length <= Int64(scriptFileLimit)
    }

    private static let space = UInt8(ascii: " ")
}

/// What one SYS_GET_CMDLINE call gave: the call's result in x0, the length
/// it wrote back into the parameter block, and (only when the call failed)
/// the host's errno from SYS_ERRNO.
public enum CommandLineRead: Equatable, Sendable {
    /// The command line, `length` bytes without the NUL.
    case read(length: Int)
    /// The line and its NUL need more than the buffer: QEMU returned -1 with
    /// E2BIG and wrote nothing, or a host claimed a length that leaves no
    /// room for the NUL (a line it would have had to cut).
    case tooLong
    /// The call failed for another reason (host errno).
    case failed(errno: Int)

    /// E2BIG, as the host's C library numbers it (Linux, the BSDs, macOS
    /// and Windows all use 7).
    public static let argumentListTooLong = 7

    /// Decodes a call with a buffer of `bufferSize` bytes: `result` is x0
    /// after the call (0 or -1 as an unsigned value), `length` the block's
    /// second field after it, `errno` SYS_ERRNO's answer when the call failed.
    public init(result: UInt64, length: UInt64, errno: Int64, bufferSize: Int) {
        if result != 0 {
            self = errno == Int64(CommandLineRead.argumentListTooLong) ? .tooLong : .failed(errno: Int(truncatingIfNeeded: errno))
        } else if length >= UInt64(bufferSize) {
            self = .tooLong
        } else {
            self = .read(length: Int(length))
        }
    }
}
