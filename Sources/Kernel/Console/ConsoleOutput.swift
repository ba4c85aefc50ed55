import HotplugCore

/// Kernel text output: the PL011 once the device tree has named it, the
/// semihosting console before that (so that "no device tree" can still be
/// said).
///
/// Output is line-based: `Console.line { out in ... }` writes one line under
/// `Console.lock`, so lines from different CPUs never interleave. Nothing
/// here allocates: numbers are formatted digit by digit.
enum Console {
    /// Owns the transmitter: rank 5 in LockOrder.swift, taken last. The
    /// fault path may bypass it (`emergencyLine`).
    static let lock = SpinLock(ConsoleTransmitter())

    /// From now on, lines go to `uart` (boot CPU, once the device tree has
    /// named it).
    static func attach(_ uart: PL011) {
        lock.withLock { $0.uart = uart }
    }

    /// Writes one line: `body` fills it, the newline is added.
    static func line(_ body: (inout ConsoleWriter) -> Void) {
        lock.withLock { transmitter in
            var writer = ConsoleWriter(to: transmitter)
            body(&writer)
            writer.newline()
        }
    }

    /// Writes one line of fixed text.
    static func line(_ text: StaticString) {
        line { $0.write(text) }
    }

    /// Writes one line even if the lock is held and never released (the
    /// holder may be the CPU that faulted): for the fault path only.
    static func emergencyLine(_ body: (inout ConsoleWriter) -> Void) {
        onFaultPath { transmitter in
            var writer = ConsoleWriter(to: transmitter)
            body(&writer)
            writer.newline()
        }
    }

    /// One character, as `emergencyLine` writes.
    static func emergencyPut(_ byte: UInt8) {
        onFaultPath { $0.put(byte) }
    }

    /// The transmitter under the lock if it is free, without it if not.
    private static func onFaultPath(_ body: (inout ConsoleTransmitter) -> Void) {
        if lock.tryWithLock(body) == nil {
            lock.bypassingLock(body)
        }
    }

    /// Writes text without ending the line (the prompt, the echo of what is
    /// typed).
    static func partialLine(_ body: (inout ConsoleWriter) -> Void) {
        lock.withLock { transmitter in
            var writer = ConsoleWriter(to: transmitter)
            body(&writer)
        }
    }
}

/// Where console text goes: the state `Console.lock` owns.
struct ConsoleTransmitter {
    /// The console UART; nil until the device tree has named it, and text
    /// goes to semihosting (SYS_WRITEC) meanwhile.
    var uart: PL011?

    @inline(__always)
    func put(_ byte: UInt8) {
        if let uart {
            if byte == 10 { uart.write(13) }
            uart.write(byte)
        } else {
            var character = byte
            _ = withUnsafePointer(to: &character) { arch_semihosting_call(0x03, $0) }
        }
    }
}

/// Formats text and numbers straight to the console, without allocating.
struct ConsoleWriter {
    /// The transmitter of the lock this line is written under.
    private let transmitter: ConsoleTransmitter
    /// Characters written on this line so far, for column alignment.
    private(set) var column = 0

    fileprivate init(to transmitter: ConsoleTransmitter) {
        self.transmitter = transmitter
    }

    mutating func write(_ text: StaticString) {
        let start = text.utf8Start
        for index in 0 ..< text.utf8CodeUnitCount { put(start[index]) }
    }

    mutating func write(_ text: String) {
        for byte in text.utf8 { put(byte) }
    }

    mutating func write(bytes: UnsafeRawBufferPointer) {
        for byte in bytes { put(byte) }
    }

    /// One character as it is (the echo of a typed one).
    mutating func write(byte: UInt8) {
        put(byte)
    }

    /// `text` followed by `value` in decimal: most report lines are made of
    /// such pairs.
    mutating func write(_ text: StaticString, _ value: Int) {
        write(text)
        decimal(value)
    }

    /// A decimal number, right-aligned in `width` columns.
    mutating func decimal(_ value: Int, width: Int = 0) {
        var digits: InlineArray<24, UInt8> = .init(repeating: 0)
        var count = 0
        var magnitude = value.magnitude
        repeat {
            digits[count] = UInt8(48 + magnitude % 10)
            magnitude /= 10
            count += 1
        } while magnitude != 0
        if value < 0 { digits[count] = 45; count += 1 }
        pad(to: width, used: count)
        while count > 0 { count -= 1; put(digits[count]) }
    }

    /// `0x` and the hexadecimal digits, at least `digits` of them.
    mutating func hex(_ value: UInt64, digits minimum: Int = 1) {
        write("0x")
        var started = false
        var shift = 60
        while shift >= 0 {
            let nibble = UInt8((value >> UInt64(shift)) & 0xF)
            if nibble != 0 || started || shift / 4 < minimum {
                started = true
                put(nibble < 10 ? 48 + nibble : 87 + nibble)
            }
            shift -= 4
        }
    }

    /// Spaces up to `column`.
    mutating func tab(to target: Int) {
        while column < target { put(32) }
    }

    mutating func pad(to width: Int, used: Int) {
        var remaining = width - used
        while remaining > 0 { put(32); remaining -= 1 }
    }

    mutating func newline() {
        put(10)
        column = 0
    }

    @inline(__always)
    private mutating func put(_ byte: UInt8) {
        transmitter.put(byte)
        column += 1
    }
}

/// Swift's `print` (via `putchar` in boot/runtime.c) lands here: the
/// runtime's own fatal-error reports, a fault path. The kernel itself uses
/// `Console.line`.
@_cdecl("kernel_console_putchar")
func kernelConsolePutchar(_ byte: UInt8) {
    Console.emergencyPut(byte)
}
