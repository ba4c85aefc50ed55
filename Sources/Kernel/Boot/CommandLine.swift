import HotplugCore

/// The semihosting command line (`-append`), read once at boot into static
/// storage: the image name, then the `BootArguments`.
///
/// Options: `policy=seed|balanced|load`; `console` (a prompt on the UART after
/// the script); `bench` (the benchmark job); `platform-only` (the platform
/// check without the demonstration); `script=PATH` (a host file of console
/// commands, read through semihosting, for scripts longer than the command
/// line holds); `timeout-scale=N` (every wait on another CPU may take N
/// times as long: see `Deadline`). The fault-injection build adds
/// `psci-fault=NAME`, `psci-conduit=hvc|smc`, `test-fault` and
/// `test-stall=N` (see `FaultInjection`; the default build refuses them).
/// A console script follows a `--` word.
enum KernelCommandLine {
    /// Reads the command line into `storage` and parses it; with
    /// `script=PATH`, reads that file as the script.
    ///
    /// A command line that could not be read whole (longer than `storage`:
    /// `CommandLineLimits`), two scripts, or a script file that cannot be
    /// read are refused here with one `error:` line and exit status 2:
    /// running on without the script would run something else and might
    /// pass.
    static func read(into storage: UnsafeMutableRawBufferPointer) -> BootArguments {
        let length: Int
        switch Semihosting.commandLine(into: storage) {
        case .read(let count):
            length = count
        case .tooLong:
            Console.line { out in
                out.write("error: the command line is longer than the image reads (")
                out.decimal(storage.count)
                out.write(" bytes with the image path and a NUL), so QEMU passed none of it;")
                out.write(" put a long script in a file: script=FILE (make: SCRIPT=FILE)")
            }
            Semihosting.exit(2)
        case .failed(let errno):
            Console.line { out in
                out.write("error: the command line could not be read (SYS_GET_CMDLINE failed, host errno ", errno)
                out.write(")")
            }
            Semihosting.exit(2)
        }
        var start = 0
        // Skip the first word: the image name.
        while start < length && storage[start] != 32 { start += 1 }
        let arguments = BootArguments(UnsafeRawBufferPointer(rebasing: storage[start ..< length]))
        guard let path = arguments.scriptFile else { return arguments }
        if arguments.hasTwoScripts {
            Console.line("error: a script after '--' and script=FILE: give one of them")
            Semihosting.exit(2)
        }
        return BootArguments(options: arguments.options, script: readScriptFile(path))
    }

    /// The contents of the script file `path`, in a heap block kept for the
    /// life of the image; refuses (status 2) a file it cannot open or read
    /// whole, or one larger than `CommandLineLimits.scriptFileLimit`.
    private static func readScriptFile(_ path: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        guard !path.isEmpty else {
            Console.line("error: script= names no file")
            Semihosting.exit(2)
        }
        let terminated = UnsafeMutableRawBufferPointer.allocate(byteCount: path.count + 1, alignment: 1)
        defer { terminated.deallocate() }
        terminated.copyMemory(from: path)
        terminated[path.count] = 0
        let name = terminated.baseAddress!.assumingMemoryBound(to: UInt8.self)

        guard let handle = Semihosting.openForReading(name, length: path.count) else {
            refuseScriptFile(path, "cannot be opened (host errno ", Int(Semihosting.lastError()))
        }
        let length = Semihosting.length(of: handle)
        guard CommandLineLimits.acceptsScriptFile(length: length) else {
            Semihosting.close(handle)
            if length < 0 {
                refuseScriptFile(path, "has no length the host can tell (host errno ", Int(Semihosting.lastError()))
            }
            refuseScriptFile(path, "is larger than the image reads (", CommandLineLimits.scriptFileLimit,
                             unit: " bytes)")
        }
        let contents = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(length), alignment: 1)
        let complete = Semihosting.read(handle, into: contents)
        Semihosting.close(handle)
        guard complete else {
            refuseScriptFile(path, "could not be read whole (", Int(length), unit: " bytes expected)")
        }
        return UnsafeRawBufferPointer(contents)
    }

    /// `error: script file PATH <what><number><unit>`, then status 2.
    private static func refuseScriptFile(_ path: UnsafeRawBufferPointer, _ what: StaticString, _ number: Int,
                                         unit: StaticString = ")") -> Never {
        Console.line { out in
            out.write("error: script file '")
            out.write(bytes: path)
            out.write("' ")
            out.write(what)
            out.decimal(number)
            out.write(unit)
        }
        Semihosting.exit(2)
    }
}
