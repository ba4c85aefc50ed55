/// The context boot/vectors.S saves on every exception: `struct
/// exception_frame`, declared once in AssemblyLayout.h for the assembly and
/// for Swift.
typealias ExceptionFrame = exception_frame

/// Every exception other than an IRQ from EL1 ends here. A PSCI call whose
/// conduit has no firmware behind it is reported as that, with status 2
/// (`PSCIFirmware.reportTrap`); anything else is a fault in the kernel:
/// prints what happened — the slot, the syndrome decoded, ELR, FAR — and
/// stops the machine with status 3 instead of hanging.
@_cdecl("kernel_exception_entry")
func kernelExceptionEntry(_ kind: UInt64, _ rawFrame: UnsafeRawPointer) -> Never {
    let frame = rawFrame.assumingMemoryBound(to: ExceptionFrame.self)
    let slot = VectorSlot(rawValue: kind)
    let syndrome = ExceptionSyndrome(rawValue: arch_read_esr())
    if slot.isSynchronous {
        PSCIFirmware.reportTrap(syndrome: syndrome, exceptionLinkRegister: frame.pointee.elr)
    }
    let faultAddress = arch_read_far()
    let mpidr = arch_read_mpidr() & MPIDRAffinity.affinityBits
    Console.emergencyLine { out in
        out.write("FATAL: ")
        out.write(slot.exceptionType)
        out.write(" exception from ")
        out.write(slot.origin)
        out.write(" on the CPU with MPIDR ")
        out.hex(mpidr)
    }
    Console.emergencyLine { out in
        out.write("  ESR_EL1 ")
        out.hex(syndrome.rawValue, digits: 8)
        out.write(": ")
        out.write(syndrome.className)
        out.write(" (EC ")
        out.hex(UInt64(syndrome.exceptionClass.rawValue))
        out.write(", ISS ")
        out.hex(UInt64(syndrome.instructionSpecificSyndrome))
        out.write(")")
    }
    Console.emergencyLine { out in
        out.write("  ELR_EL1 ")
        out.hex(frame.pointee.elr, digits: 16)
        out.write("  FAR_EL1 ")
        out.hex(faultAddress, digits: 16)
        out.write("  SPSR_EL1 ")
        out.hex(frame.pointee.spsr, digits: 8)
    }
    Semihosting.exit(3)
}
