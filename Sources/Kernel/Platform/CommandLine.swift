/// The semihosting command line (`-append`): the image name, then optional
/// words. Read once at boot into static storage.
///
/// Words understood here: `test-fault` makes the kernel take a deliberate
/// data abort (the test of the fault path). Everything after the words the
/// kernel knows is a console script (the console issue).
struct KernelCommandLine {
    /// The raw text, without the image name.
    private(set) var text: UnsafeRawBufferPointer

    /// Reads the command line into `storage`.
    init(readingInto storage: UnsafeMutableRawBufferPointer) {
        let length = Semihosting.commandLine(into: storage)
        var start = 0
        // Skip the first word: the image name.
        while start < length && storage[start] != 32 { start += 1 }
        while start < length && storage[start] == 32 { start += 1 }
        text = UnsafeRawBufferPointer(rebasing: storage[start ..< length])
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
