/// The semihosting command line (`-append`): the image name, options, then
/// optionally `--` and a console script. Read once at boot into static
/// storage.
///
/// Options: `policy=seed|balanced`; `console` (a prompt on the UART after
/// the script); `bench` (the benchmark job); `platform-only` (the platform
/// check without the demonstration); `psci-fault=NAME` (see `PSCIFault`);
/// `test-fault` (a deliberate data abort: the test of the fault path);
/// `test-stall=N` (CPU N stops making progress during a stress run: the
/// test of the watchdog). The script is everything after the first `--` word, e.g.
/// `policy=seed -- cpu-offline 2; irqs; exit 0`.
struct KernelCommandLine {
    /// The options, without the image name.
    private(set) var text: UnsafeRawBufferPointer
    /// The console script; empty if none.
    private(set) var script: UnsafeRawBufferPointer

    /// Reads the command line into `storage`.
    init(readingInto storage: UnsafeMutableRawBufferPointer) {
        let length = Semihosting.commandLine(into: storage)
        var start = 0
        // Skip the first word: the image name.
        while start < length && storage[start] != 32 { start += 1 }
        while start < length && storage[start] == 32 { start += 1 }
        // The options end at a `--` word; the script follows it.
        var end = start
        var scriptStart = length
        while end < length {
            if storage[end] == UInt8(ascii: "-") && end + 1 < length && storage[end + 1] == UInt8(ascii: "-")
                && (end == start || storage[end - 1] == 32) && (end + 2 == length || storage[end + 2] == 32) {
                scriptStart = min(end + 3, length)
                break
            }
            end += 1
        }
        text = UnsafeRawBufferPointer(rebasing: storage[start ..< end])
        script = UnsafeRawBufferPointer(rebasing: storage[scriptStart ..< length])
    }

    /// Whether `word` appears as a whole, space-separated word.
    func contains(word: StaticString) -> Bool {
        let wordLength = word.utf8CodeUnitCount
        var index = 0
        while index < text.count {
            var end = index
            while end < text.count && text[end] != 32 { end += 1 }
            if end - index == wordLength {
                var same = true
                for offset in 0 ..< wordLength where text[index + offset] != word.utf8Start[offset] {
                    same = false
                    break
                }
                if same { return true }
            }
            index = end + 1
        }
        return false
    }

    /// The value of a `key=value` word, if present.
    func value(of key: StaticString) -> UnsafeRawBufferPointer? {
        let keyLength = key.utf8CodeUnitCount
        var index = 0
        while index < text.count {
            var end = index
            while end < text.count && text[end] != 32 { end += 1 }
            if end - index > keyLength && text[index + keyLength] == UInt8(ascii: "=")
                && bytes(UnsafeRawBufferPointer(rebasing: text[index ..< index + keyLength]), equal: key) {
                return UnsafeRawBufferPointer(rebasing: text[index + keyLength + 1 ..< end])
            }
            index = end + 1
        }
        return nil
    }
}
