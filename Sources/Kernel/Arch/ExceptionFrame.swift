/// The context boot/vectors.S saves on every exception, in its layout:
/// x0-x30, ELR_EL1, SPSR_EL1, then (not modelled here) the FP/SIMD state.
struct ExceptionFrame {
    var x: InlineArray<31, UInt64>
    var exceptionLinkRegister: UInt64
    var savedProgramStatus: UInt64

    /// Byte offset of `exceptionLinkRegister` (ELR_EL1: the interrupted PC).
    static let linkRegisterOffset = 31 * 8
}

/// Which of the sixteen vector-table slots was taken (Arm ARM D1.10.2).
struct VectorSlot {
    let rawValue: UInt64

    /// "synchronous", "IRQ", "FIQ" or "SError".
    var exceptionType: StaticString {
        switch rawValue & 3 {
        case 0: return "synchronous"
        case 1: return "IRQ"
        case 2: return "FIQ"
        default: return "SError"
        }
    }

    /// Where the exception came from.
    var origin: StaticString {
        switch rawValue >> 2 {
        case 0: return "current EL, SP_EL0"
        case 1: return "current EL, SP_ELx"
        case 2: return "lower EL, AArch64"
        default: return "lower EL, AArch32"
        }
    }
}

/// Every exception other than an IRQ from EL1 ends here: a fault in the
/// kernel. Prints what happened — the slot, the syndrome decoded, ELR, FAR —
/// and stops the machine with status 3 instead of hanging.
@_cdecl("kernel_exception_entry")
func kernelExceptionEntry(_ kind: UInt64, _ rawFrame: UnsafeRawPointer) -> Never {
    let frame = rawFrame.assumingMemoryBound(to: ExceptionFrame.self)
    let slot = VectorSlot(rawValue: kind)
    let syndrome = ExceptionSyndrome(rawValue: arch_read_esr())
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
        out.hex(frame.pointee.exceptionLinkRegister, digits: 16)
        out.write("  FAR_EL1 ")
        out.hex(faultAddress, digits: 16)
        out.write("  SPSR_EL1 ")
        out.hex(frame.pointee.savedProgramStatus, digits: 8)
    }
    Semihosting.exit(3)
}
