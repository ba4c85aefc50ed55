/// The semihosting command line (`-append`), read once at boot into static
/// storage: the image name, then the `BootArguments`.
///
/// Options: `policy=seed|balanced`; `console` (a prompt on the UART after
/// the script); `bench` (the benchmark job); `platform-only` (the platform
/// check without the demonstration); `psci-fault=NAME` (see `PSCIFault`);
/// `test-fault` (a deliberate data abort: the test of the fault path);
/// `test-stall=N` (CPU N stops making progress during a stress run: the
/// test of the watchdog); `timeout-scale=N` (every wait on another CPU may
/// take N times as long: see `Deadline`); `psci-conduit=hvc|smc` (PSCI
/// calls through that instruction instead of the device tree's: the test of
/// a conduit no firmware answers, see `PSCIFirmware.discover`). A console
/// script follows a `--` word.
enum KernelCommandLine {
    /// Reads the command line into `storage` and parses it.
    static func read(into storage: UnsafeMutableRawBufferPointer) -> BootArguments {
        let length = Semihosting.commandLine(into: storage)
        var start = 0
        // Skip the first word: the image name.
        while start < length && storage[start] != 32 { start += 1 }
        return BootArguments(UnsafeRawBufferPointer(rebasing: storage[start ..< length]))
    }
}
