import HotplugCore

/// The closing line of a verification job: "NAME: passed (0 failures)" or
/// "NAME: FAILED (N failures)", the form the QEMU checks read.
enum CheckSummary {
    static func print(_ name: StaticString, failures: Int) {
        Console.line { out in
            out.write(name)
            out.write(": ")
            out.write(failures == 0 ? "passed" : "FAILED")
            out.write(" (", failures)
            out.write(" failures)")
        }
    }
}
