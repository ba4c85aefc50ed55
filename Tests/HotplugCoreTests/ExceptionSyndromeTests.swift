import XCTest
@testable import HotplugCore

/// Host tests for the `ESR_ELx` decoder the fault printer uses.
final class ExceptionSyndromeTests: XCTestCase {

    /// Builds an ESR value from its fields.
    private func esr(ec: UInt64, il: Bool = true, iss: UInt64 = 0) -> UInt64 {
        ec << 26 | (il ? 1 << 25 : 0) | iss
    }

    func testExceptionClassNames() {
        let cases: [(ec: UInt8, expected: ExceptionClass, name: String)] = [
            (0x00, .unknownReason, "unknown reason"),
            (0x01, .trappedWFIOrWFE, "trapped WFI/WFE"),
            (0x07, .floatingPointAccessTrap, "SVE/SIMD/FP access trap"),
            (0x0D, .branchTarget, "branch target exception"),
            (0x0E, .illegalExecutionState, "illegal execution state"),
            (0x15, .svc64, "SVC (AArch64)"),
            (0x16, .hvc64, "HVC (AArch64)"),
            (0x17, .smc64, "SMC (AArch64)"),
            (0x18, .systemRegisterTrap, "MSR/MRS/system instruction trap"),
            (0x19, .sveAccessTrap, "SVE access trap"),
            (0x20, .instructionAbortLowerEL, "instruction abort (lower EL)"),
            (0x21, .instructionAbortSameEL, "instruction abort (same EL)"),
            (0x22, .pcAlignmentFault, "PC alignment fault"),
            (0x24, .dataAbortLowerEL, "data abort (lower EL)"),
            (0x25, .dataAbortSameEL, "data abort (same EL)"),
            (0x26, .spAlignmentFault, "SP alignment fault"),
            (0x2C, .floatingPointException64, "floating-point exception (AArch64)"),
            (0x2F, .serror, "SError interrupt"),
            (0x30, .breakpointLowerEL, "breakpoint (lower EL)"),
            (0x31, .breakpointSameEL, "breakpoint (same EL)"),
            (0x32, .softwareStepLowerEL, "software step (lower EL)"),
            (0x33, .softwareStepSameEL, "software step (same EL)"),
            (0x34, .watchpointLowerEL, "watchpoint (lower EL)"),
            (0x35, .watchpointSameEL, "watchpoint (same EL)"),
            (0x3C, .brk64, "BRK instruction (AArch64)"),
            (0x11, ExceptionClass(rawValue: 0x11), "unrecognised exception class"), // AArch32 SVC: never taken here
            (0x3F, ExceptionClass(rawValue: 0x3F), "unrecognised exception class"), // reserved
        ]
        for (ec, expected, name) in cases {
            let syndrome = ExceptionSyndrome(rawValue: esr(ec: UInt64(ec)))
            XCTAssertEqual(syndrome.exceptionClass, expected, name)
            XCTAssertEqual(syndrome.exceptionClass.rawValue, ec, name)
            XCTAssertEqual("\(syndrome.className)", name)
        }
    }

    func testFieldBoundaries() {
        // EC all ones, IL clear, ISS all ones: no field bleeds into another.
        let syndrome = ExceptionSyndrome(rawValue: 0xFFFF_FFFF_0000_0000 | 0xFC00_0000 | 0x01FF_FFFF)
        XCTAssertEqual(syndrome.exceptionClass.rawValue, 0x3F)
        XCTAssertFalse(syndrome.is32BitInstruction)
        XCTAssertEqual(syndrome.instructionSpecificSyndrome, 0x01FF_FFFF)

        let il = ExceptionSyndrome(rawValue: 1 << 25)
        XCTAssertTrue(il.is32BitInstruction)
        XCTAssertEqual(il.exceptionClass, .unknownReason)
        XCTAssertEqual(il.instructionSpecificSyndrome, 0)

        // BRK #0x1234 from AArch64: the immediate is in ISS 15:0.
        let brk = ExceptionSyndrome(rawValue: 0xF200_1234)
        XCTAssertEqual(brk.exceptionClass, .brk64)
        XCTAssertEqual(brk.instructionSpecificSyndrome, 0x1234)
        XCTAssertNil(brk.abort, "only aborts have an abort syndrome")
    }

    func testDataAborts() {
        let cases: [(raw: UInt64, className: String, write: Bool, status: String, level: Int8?, farValid: Bool, comment: String)] = [
            // EC 0x25, IL, ISV clear, WnR, DFSC 0b000111: store to an unmapped page.
            (0x9600_0047, "data abort (same EL)", true, "translation fault", 3, true, "write, translation fault level 3"),
            // Load from a region the tables mark non-readable: permission fault level 2.
            (0x9600_000E, "data abort (same EL)", false, "permission fault", 2, true, "read, permission fault level 2"),
            // Unaligned access to Device memory (MMU off): alignment fault.
            (0x9600_0061, "data abort (same EL)", true, "alignment fault", nil, true, "write, alignment fault"),
            // External abort from a bus error, FAR not valid.
            (0x9200_0410, "data abort (lower EL)", false, "synchronous external abort", nil, false, "FnV set"),
            (0x9600_0004, "data abort (same EL)", false, "translation fault", 0, true, "level 0"),
            (0x9600_002B, "data abort (same EL)", false, "translation fault", -1, true, "level -1 (FEAT_LPA2)"),
            (0x9600_0009, "data abort (same EL)", false, "access flag fault", 1, true, "access flag, level 1"),
            (0x9600_0015, "data abort (same EL)", false, "synchronous external abort on translation table walk", 1, true, "walk abort, level 1"),
            (0x9600_0030, "data abort (same EL)", false, "TLB conflict abort", nil, true, "TLB conflict"),
            (0x9600_003F, "data abort (same EL)", false, "reserved fault status code", nil, true, "reserved DFSC"),
        ]
        for (raw, className, write, status, level, farValid, comment) in cases {
            let syndrome = ExceptionSyndrome(rawValue: raw)
            XCTAssertEqual("\(syndrome.className)", className, comment)
            guard let abort = syndrome.abort else {
                XCTFail("no abort syndrome: \(comment)")
                continue
            }
            XCTAssertTrue(abort.isDataAbort, comment)
            XCTAssertEqual(abort.writeNotRead, write, comment)
            XCTAssertEqual("\(abort.faultStatus.name)", status, comment)
            XCTAssertEqual(abort.faultStatus.level, level, comment)
            XCTAssertEqual(abort.farNotValid, !farValid, comment)
        }
    }

    func testDataAbortInstructionSyndrome() {
        // ISV set: 32-bit store (SAS 0b10) from w3 (SRT 3), WnR, DFSC 0b000101.
        let syndrome = ExceptionSyndrome(rawValue: esr(ec: 0x25, iss: 1 << 24 | 0b10 << 22 | 3 << 16 | 1 << 6 | 0x05))
        let abort = syndrome.abort
        XCTAssertEqual(abort?.instructionSyndromeValid, true)
        XCTAssertEqual(abort?.accessSizeBytes, 4)
        XCTAssertEqual(abort?.transferRegister, 3)
        XCTAssertEqual(abort?.writeNotRead, true)
        XCTAssertEqual(abort?.faultStatusCode, 0x05)
        XCTAssertEqual(abort?.faultStatus.level, 1)

        // ISV clear: the size and register are not reported.
        let noISV = ExceptionSyndrome(rawValue: esr(ec: 0x25, iss: 0b11 << 22 | 7 << 16 | 0x07)).abort
        XCTAssertEqual(noISV?.instructionSyndromeValid, false)
        XCTAssertNil(noISV?.accessSizeBytes)
        XCTAssertNil(noISV?.transferRegister)

        // CM and S1PTW.
        let maintenance = ExceptionSyndrome(rawValue: esr(ec: 0x24, iss: 1 << 8 | 1 << 7 | 0x0F)).abort
        XCTAssertEqual(maintenance?.cacheMaintenance, true)
        XCTAssertEqual(maintenance?.stage1TranslationTableWalk, true)
    }

    func testInstructionAborts() {
        // Branch to an unmapped address: EC 0x21, IFSC translation fault level 3.
        let syndrome = ExceptionSyndrome(rawValue: 0x8600_0007)
        XCTAssertEqual(syndrome.exceptionClass, .instructionAbortSameEL)
        XCTAssertTrue(syndrome.exceptionClass.isInstructionAbort)
        XCTAssertFalse(syndrome.exceptionClass.isDataAbort)
        let abort = syndrome.abort
        XCTAssertEqual(abort?.isDataAbort, false)
        XCTAssertEqual(abort.map { "\($0.faultStatus.name)" }, "translation fault")
        XCTAssertEqual(abort?.faultStatus.level, 3)
        // Bit 6 (WnR) and bit 24 (ISV) mean nothing for instruction aborts.
        let noisy = ExceptionSyndrome(rawValue: esr(ec: 0x20, iss: 1 << 24 | 1 << 8 | 1 << 6 | 0x0D)).abort
        XCTAssertEqual(noisy?.writeNotRead, false)
        XCTAssertEqual(noisy?.instructionSyndromeValid, false)
        XCTAssertEqual(noisy?.cacheMaintenance, false)
        XCTAssertEqual(noisy.map { "\($0.faultStatus.name)" }, "permission fault")
    }

    func testNonAbortClassesHaveNoAbortSyndrome() {
        for ec: UInt64 in [0x00, 0x01, 0x07, 0x0E, 0x15, 0x16, 0x17, 0x18, 0x22, 0x26, 0x2F, 0x30, 0x3C] {
            XCTAssertNil(ExceptionSyndrome(rawValue: esr(ec: ec, iss: 0x47)).abort, "EC 0x\(String(ec, radix: 16))")
        }
    }
}
