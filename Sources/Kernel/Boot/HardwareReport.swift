import HotplugCore

/// Prints what the device tree and the ID registers say about the machine:
/// the first thing `make run` shows, and what the boot checks compare with
/// the QEMU command line.
enum HardwareReport {
    static func print(_ platform: PlatformDescription, entryLevel: UInt64) {
        let bootAffinity = MPIDRAffinity(mpidr: arch_read_mpidr())
        Console.line { out in
            out.write("entered at EL", Int(entryLevel))
            out.write(", running at EL", Int(arch_read_current_el() >> 2 & 3))
            #if HYPERVISOR
            out.write(" (hypervisor)")
            #endif
            out.write("; boot CPU MPIDR ")
            out.hex(bootAffinity.rawValue)
        }
        Console.line { out in
            out.write("cpus: ", platform.cpuCount)
        }
        for index in 0 ..< platform.cpuCount {
            let cpu = LogicalCPU(index)
            let affinity = platform.affinity(of: cpu)
            Console.line { out in
                out.write("  cpu ")
                out.decimal(index, width: 3)
                out.write("  mpidr ")
                out.hex(affinity.rawValue, digits: 3)
                if affinity == bootAffinity { out.write("  (boot)") }
            }
        }
        let gic = platform.gic
        Console.line { out in
            out.write("gic: distributor ")
            out.hex(gic.distributor.base)
            out.write(" size ")
            out.hex(gic.distributor.size)
            out.write(", redistributor regions ", gic.redistributorRegionCount)
        }
        for index in 0 ..< gic.redistributorRegionCount {
            let region = gic.redistributorRegion(index)
            Console.line { out in
                out.write("  redistributor region ", index)
                out.write(": ")
                out.hex(region.base)
                out.write(" size ")
                out.hex(region.size)
            }
        }
        let typer = MMIORegion(base: gic.distributor.base).read(DistributorRegister.GICD_TYPER)
        Console.line { out in
            out.write("GICD_TYPER ")
            out.hex(UInt64(typer.rawValue), digits: 8)
            out.write(": SPIs ")
            writeRange(typer.spis, to: &out)
            out.write(", eSPIs ")
            writeRange(typer.extendedSPIs, to: &out)
            out.write(", No1N ", typer.no1N ? 1 : 0)
            out.write(", A3V ", typer.supportsAffinity3 ? 1 : 0)
        }
        Console.line { out in
            out.write("psci: method ")
            out.write(platform.psci.conduit == .hvc ? "hvc" : "smc")
        }
        Console.line { out in
            out.write("uart: pl011 at ")
            out.hex(platform.uart.registers.base)
            out.write(", INTID ", Int(platform.uart.interrupt.rawValue))
        }
        if let rtc = platform.rtc {
            Console.line { out in
                out.write("rtc: pl031 at ")
                out.hex(rtc.registers.base)
                out.write(", INTID ", Int(rtc.interrupt.rawValue))
            }
        }
        for index in 0 ..< platform.memoryRegionCount {
            let region = platform.memoryRegion(index)
            Console.line { out in
                out.write("memory: ")
                out.hex(region.base)
                out.write(" size ")
                out.hex(region.size)
            }
        }
    }

    /// "first-last", or "none" for a range the GIC does not implement.
    private static func writeRange(_ range: ClosedRange<UInt32>?, to out: inout ConsoleWriter) {
        guard let range else {
            out.write("none")
            return
        }
        out.decimal(Int(range.lowerBound))
        out.write("-", Int(range.upperBound))
    }
}
