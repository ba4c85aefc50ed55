import HotplugCore

/// Power State Coordination Interface calls (Arm DEN 0022 §5) through the
/// conduit the device tree names: HVC when QEMU starts the image at EL1, SMC
/// with virtualization=on (the EL1 image then runs under an EL2 it left
/// open, the hypervisor image at EL2 itself; QEMU's built-in firmware
/// answers the SMC).
///
/// Function IDs come from the device tree's binding (`PSCIDescription`):
/// the standard ones under "arm,psci-0.2" and later, the node's own
/// `cpu_on` / `cpu_off` under "arm,psci" (0.1). A function the firmware
/// does not have is answered NOT_SUPPORTED here, without a call.
///
/// Each call is bracketed by this CPU's `FirmwareCallMarker` (in
/// `TPIDRRO_EL0`), so that a conduit with no firmware behind it, whose
/// instruction then traps, is reported as that (`reportTrap`) rather than as
/// a bare fault.
///
/// A layer above the kernel proper may sit in front of the firmware
/// (`interposer`); without one this type only ever reports what the
/// firmware said.
struct PSCIFirmware {
    /// The device tree's node (as the boot path hands it over).
    let description: PSCIDescription
    /// What the firmware implements (`PSCIDescription.firmwareVersion`):
    /// AFFINITY_INFO is relied on only from 0.2.
    let version: PSCIVersion

    var conduit: PSCIConduit { description.conduit }

    /// Exit status after a conduit trap: the platform cannot be used as
    /// described, the status of every other boot refusal.
    static let conduitTrapExitStatus: UInt32 = 2

    /// Called before each call this type makes after discovery, with the
    /// function (its standard ID, `PSCIFunction.rawValue`) and the call's
    /// first argument (the target MPIDR of CPU_ON and AFFINITY_INFO): it may
    /// rewrite that argument, or answer in the firmware's place by storing
    /// x0 in `answer` and returning true. A seam for a layer above the kernel
    /// proper; nil (the default) sends every call to the firmware as it is.
    /// Set on the boot CPU before any secondary CPU starts, only read after:
    /// a plain static is sound.
    typealias Interposer = @convention(c) (_ function: UInt32, _ argument: UnsafeMutablePointer<UInt64>,
                                           _ answer: UnsafeMutablePointer<UInt64>) -> Bool
    nonisolated(unsafe) static var interposer: Interposer?

    /// Makes the first call, PSCI_VERSION (for a 0.2+ node), and keeps the
    /// version; nil after one `error:` line if the answer cannot be used.
    static func discover(_ description: PSCIDescription) -> PSCIFirmware? {
        let answer = description.firmwareVersion {
            call(description.conduit, PSCIFunction.psciVersion.rawValue)
        }
        switch answer {
        case .success(let version):
            return PSCIFirmware(description: description, version: version)
        case .failure(.notAVersion(let word)):
            Console.line { out in
                out.write("error: PSCI_VERSION answered ")
                out.hex(UInt64(word), digits: 8)
                out.write(", which is neither a version nor NOT_SUPPORTED (DEN 0022 5.1.1)")
            }
        case .failure(.olderThanBinding(let version, let binding)):
            Console.line { out in
                out.write("error: PSCI_VERSION reports PSCI ")
                writeVersion(version, &out)
                out.write(", older than the device tree's /psci node claims (\"")
                out.write(binding.compatible)
                out.write("\"); AFFINITY_INFO needs PSCI 0.2 or later")
            }
        }
        return nil
    }

    /// PSCI_VERSION's answer as "major.minor".
    static func writeVersion(_ version: PSCIVersion, _ out: inout ConsoleWriter) {
        out.decimal(Int(version.major))
        out.write(".", Int(version.minor))
    }

    /// One call with this CPU's marker set around it, through the
    /// `interposer` if there is one. A function without an ID for this
    /// firmware answers NOT_SUPPORTED without a call.
    @inline(__always)
    private func call(_ function: PSCIFunction, _ a1: UInt64 = 0, _ a2: UInt64 = 0, _ a3: UInt64 = 0) -> UInt64 {
        guard let id = description.functionID(for: function) else {
            return UInt64(bitPattern: PSCIReturnCode.notSupported.rawValue)
        }
        var argument = a1
        if let interposer = PSCIFirmware.interposer {
            var answer: UInt64 = 0
            if interposer(function.rawValue, &argument, &answer) { return answer }
        }
        return PSCIFirmware.call(conduit, id, argument, a2, a3)
    }

    @inline(__always)
    private static func call(_ conduit: PSCIConduit, _ id: UInt32, _ a1: UInt64 = 0, _ a2: UInt64 = 0,
                             _ a3: UInt64 = 0) -> UInt64 {
        // Both system-register writes and the call are volatile asm with a
        // memory clobber: the compiler keeps them in this order.
        arch_write_firmware_call_marker(FirmwareCallMarker(functionID: id).rawValue)
        let x0: UInt64
        switch conduit {
        case .hvc: x0 = arch_hvc_call(UInt64(id), a1, a2, a3)
        case .smc: x0 = arch_smc_call(UInt64(id), a1, a2, a3)
        }
        arch_write_firmware_call_marker(FirmwareCallMarker.none.rawValue)
        return x0
    }

    /// Whether `function` can be called on this firmware (a 0.1 node may
    /// leave out `cpu_on` or `cpu_off`).
    func has(_ function: PSCIFunction) -> Bool {
        description.functionID(for: function) != nil
    }

    /// CPU_ON: start the CPU with `target` affinity at `entry`, with `context`
    /// in its x0 (DEN 0022 §5.6).
    func cpuOn(_ target: MPIDRAffinity, entry: UInt64, context: UInt64) -> PSCIReturnCode {
        PSCIReturnCode(x0: call(.cpuOn, target.rawValue, entry, context))
    }

    /// CPU_OFF on the calling CPU: does not return on success (§5.5).
    func cpuOff() -> PSCIReturnCode {
        PSCIReturnCode(x0: call(.cpuOff, description.cpuOffArgument))
    }

    /// AFFINITY_INFO for one CPU (lowest affinity level 0, §5.7). Answers
    /// NOT_SUPPORTED without a call under PSCI 0.1, which has no such
    /// function; callers check `version.hasAffinityInfo` first.
    func affinityInfo(_ target: MPIDRAffinity) -> Result<AffinityState, PSCIReturnCode> {
        guard version.hasAffinityInfo else { return .failure(.notSupported) }
        return AffinityState.decode(x0: call(.affinityInfo, target.rawValue, 0))
    }

    /// The exception reporter's first question: was this exception a PSCI
    /// conduit with no firmware behind it? If so it says so — which conduit,
    /// which level should have answered, the function, the syndrome — and
    /// stops the machine with `conduitTrapExitStatus`; otherwise it returns.
    static func reportTrap(syndrome: ExceptionSyndrome, exceptionLinkRegister: UInt64) {
        let marker = FirmwareCallMarker(rawValue: arch_read_firmware_call_marker())
        guard let trap = PSCIConduitTrap(
            syndrome: syndrome, marker: marker, exceptionLinkRegister: exceptionLinkRegister,
            instruction: imageInstruction)
        else { return }
        Console.emergencyLine { out in
            out.write("error: PSCI conduit ")
            out.write(trap.conduit.name)
            out.write(" is not answered by firmware at EL", trap.conduit.firmwareLevel)
            out.write(" (the ")
            out.write(trap.conduit == .hvc ? "HVC" : "SMC")
            out.write(" trapped: ")
            out.write(KernelLevel.syndromeRegister)
            out.write(" ")
            out.hex(syndrome.rawValue, digits: 8)
            out.write(", ")
            out.write(syndrome.className)
            out.write(", at ")
            out.hex(trap.instructionAddress, digits: 16)
            out.write(", calling ")
            if let function = trap.function {
                out.write(function.name)
            } else {
                out.write("function ")
                out.hex(UInt64(trap.functionID), digits: 8)
            }
            out.write(")")
        }
        Semihosting.exit(conduitTrapExitStatus)
    }

    /// The instruction word at `address` if it lies in the image's own
    /// code (the only place a conduit instruction can be); nil elsewhere.
    private static func imageInstruction(at address: UInt64) -> UInt32? {
        guard address & 3 == 0, address >= linker_image_start(), address &+ 4 <= linker_image_end(),
              let pointer = UnsafePointer<UInt32>(bitPattern: UInt(address))
        else { return nil }
        return pointer.pointee
    }
}
