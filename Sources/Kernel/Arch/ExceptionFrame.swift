import HotplugCore

/// The context boot/vectors.S saves on every exception: `struct
/// exception_frame`, declared once in AssemblyLayout.h for the assembly and
/// for Swift.
typealias ExceptionFrame = exception_frame

/// The names of the exception registers of the level the kernel runs at
/// (EL1, or EL2 in the hypervisor image), for what it prints.
enum KernelLevel {
    #if HYPERVISOR
    static let syndromeRegister: StaticString = "ESR_EL2"
    static let linkRegister: StaticString = "ELR_EL2"
    static let faultAddressRegister: StaticString = "FAR_EL2"
    static let savedStateRegister: StaticString = "SPSR_EL2"
    #else
    static let syndromeRegister: StaticString = "ESR_EL1"
    static let linkRegister: StaticString = "ELR_EL1"
    static let faultAddressRegister: StaticString = "FAR_EL1"
    static let savedStateRegister: StaticString = "SPSR_EL1"
    #endif
}

/// Every exception other than an IRQ taken by the kernel ends here (and,
/// in the hypervisor, other than a guest's exit). A PSCI call whose
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
        out.write("  ")
        out.write(KernelLevel.syndromeRegister)
        out.write(" ")
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
        out.write("  ")
        out.write(KernelLevel.linkRegister)
        out.write(" ")
        out.hex(frame.pointee.elr, digits: 16)
        out.write("  ")
        out.write(KernelLevel.faultAddressRegister)
        out.write(" ")
        out.hex(faultAddress, digits: 16)
        out.write("  ")
        out.write(KernelLevel.savedStateRegister)
        out.write(" ")
        out.hex(frame.pointee.spsr, digits: 8)
    }
    Semihosting.exit(3)
}
