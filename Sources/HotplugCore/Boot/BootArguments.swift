/// The image's command line after its name, as QEMU passes it through
/// semihosting (`-append`): space-separated options, then optionally a `--`
/// word and a console script, e.g. `policy=seed -- cpu-offline 2; irqs`.
///
/// Pure and allocation-free: it only slices the caller's buffer, which must
/// outlive it (the kernel keeps the command line in static storage).
public struct BootArguments {
    /// The options, before any `--` word.
    public let options: UnsafeRawBufferPointer
    /// The console script after the `--` word; empty if none.
    public let script: UnsafeRawBufferPointer

    /// Arguments made of `options` and a `script` read from elsewhere (a
    /// script file).
    public init(options: UnsafeRawBufferPointer, script: UnsafeRawBufferPointer) {
        self.options = options
        self.script = script
    }

    public init(_ text: UnsafeRawBufferPointer) {
        var scriptStart = text.count
        var optionsEnd = text.count
        var index = 0
        while index < text.count {
            while index < text.count && text[index] == BootArguments.space { index += 1 }
            let start = index
            while index < text.count && text[index] != BootArguments.space { index += 1 }
            if index - start == 2 && text[start] == UInt8(ascii: "-") && text[start + 1] == UInt8(ascii: "-") {
                optionsEnd = start
                scriptStart = min(index + 1, text.count)
                break
            }
        }
        options = UnsafeRawBufferPointer(rebasing: text[0 ..< optionsEnd])
        script = UnsafeRawBufferPointer(rebasing: text[scriptStart ..< text.count])
    }

    /// The path of the `script=PATH` option: a script file to run as if it
    /// followed `--`, for scripts longer than the command line allows
    /// (`CommandLineLimits`). Nil if absent.
    public var scriptFile: UnsafeRawBufferPointer? {
        value(of: "script")
    }

    /// Whether a script comes both after `--` and from `script=PATH`: one
    /// source only, so that what runs is never in doubt.
    public var hasTwoScripts: Bool {
        scriptFile != nil && !script.isEmpty
    }

    /// Whether `word` is one of the options.
    public func contains(word: StaticString) -> Bool {
        var found = false
        forEachOption { option in
            if BootArguments.bytes(option, equal: word) { found = true }
        }
        return found
    }

    /// The value of a `key=value` option, if present (the first one wins).
    public func value(of key: StaticString) -> UnsafeRawBufferPointer? {
        var found: UnsafeRawBufferPointer?
        let keyLength = key.utf8CodeUnitCount
        forEachOption { option in
            guard found == nil, option.count > keyLength, option[keyLength] == UInt8(ascii: "="),
                  BootArguments.bytes(UnsafeRawBufferPointer(rebasing: option[0 ..< keyLength]), equal: key) else {
                return
            }
            found = UnsafeRawBufferPointer(rebasing: option[(keyLength + 1)...])
        }
        return found
    }

    /// The value of a `key=N` option as a decimal number (at most 9 digits),
    /// or nil if it is absent or not a number.
    public func number(of key: StaticString) -> Int? {
        guard let text = value(of: key), !text.isEmpty, text.count <= 9 else { return nil }
        var value = 0
        for byte in text {
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    /// Whether `bytes` spell `word` exactly (the console's comparison,
    /// `ConsoleText.equals`, offered to the kernel's option names).
    public static func bytes(_ bytes: UnsafeRawBufferPointer, equal word: StaticString) -> Bool {
        ConsoleText.equals(bytes, word)
    }

    private static let space = UInt8(ascii: " ")

    private func forEachOption(_ body: (UnsafeRawBufferPointer) -> Void) {
        var index = 0
        while index < options.count {
            while index < options.count && options[index] == BootArguments.space { index += 1 }
            let start = index
            while index < options.count && options[index] != BootArguments.space { index += 1 }
            if index > start { body(UnsafeRawBufferPointer(rebasing: options[start ..< index])) }
        }
    }
}
