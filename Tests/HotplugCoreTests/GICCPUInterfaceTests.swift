import XCTest
@testable import HotplugCore

/// `CPUInterfaceSequences` against a recording CPU interface: the order of
/// the system-register accesses and where the barriers stand, which is what
/// the architecture's observability rules are about; and the CPU interface
/// values (`ICC_IAR1_EL1`'s INTID field, `ICC_SRE_EL1.SRE`, priorities).
final class GICCPUInterfaceTests: XCTestCase {
    private typealias ICC = CPUInterfaceRegister

    // MARK: Enable and disable

    func testEnableTurnsTheSystemRegisterInterfaceOnFirstAndGroupOneOnLast() {
        // Firmware left DFB and DIB set: they are kept, SRE added.
        let interface = RecordingCPUInterface([.ICC_SRE_EL1: SystemRegisterEnable([.DFB, .DIB]).rawValue])
        CPUInterfaceSequences.enable(interface)
        XCTAssertEqual(interface.log, [
            .read(ICC.ICC_SRE_EL1),
            .write(ICC.ICC_SRE_EL1, [.SRE, .DFB, .DIB]),
            .barrier(.instructionSynchronization),        // SRE in effect before any other ICC_* access
            .write(ICC.ICC_PMR_EL1, 0xFF),                  // every priority of ours let through
            .write(ICC.ICC_BPR1_EL1, 0),                    // no preemption groups
            .write(ICC.ICC_CTLR_EL1, []),                   // EOImode 0: EOI drops priority and deactivates
            .write(ICC.ICC_IGRPEN1_EL1, .Enable),           // group 1 on, last
            .barrier(.instructionSynchronization),        // in effect before the caller unmasks
        ])
    }

    func testDisableGroupOneIsSynchronisedAtOnce() {
        let interface = RecordingCPUInterface([.ICC_IGRPEN1_EL1: 1])
        CPUInterfaceSequences.disableGroup1(interface)
        XCTAssertEqual(interface.log, [.write(ICC.ICC_IGRPEN1_EL1, []), .barrier(.instructionSynchronization)])
    }

    // MARK: The interrupt path

    func testAcknowledgeReadsIAROnceThenDSBAndKeepsTheINTIDField() {
        let cases: [(value: UInt64, id: UInt32, comment: String)] = [
            (33, 33, "PL011"),
            (1023, 1023, "spurious: nothing pending"),
            (0x0000_0000_00FF_FFFF, 0xFF_FFFF, "INTID is bits 23:0"),
            (0xFFFF_FFFF_FF00_1021, 0x1021, "bits 63:24 RES0, dropped"),
            (4096, 4096, "the first extended SPI"),
        ]
        for (value, id, comment) in cases {
            let interface = RecordingCPUInterface([.ICC_IAR1_EL1: value])
            XCTAssertEqual(CPUInterfaceSequences.acknowledge(interface), InterruptID(id), comment)
            XCTAssertEqual(interface.log, [.read(ICC.ICC_IAR1_EL1), .barrier(.dataSynchronizationFullSystem)],
                           "\(comment): DSB SY after the read, no ISB")
        }
        XCTAssertEqual(InterruptAcknowledge.interruptIDBits, 0xFF_FFFF)
        XCTAssertEqual(InterruptAcknowledge(rawValue: 1023).interrupt, InterruptID.spurious)
    }

    func testEndOfInterruptWritesTheINTIDThenISB() {
        let interface = RecordingCPUInterface()
        CPUInterfaceSequences.endOfInterrupt(InterruptID(224), on: interface)
        XCTAssertEqual(interface.log, [.write(ICC.ICC_EOIR1_EL1, 224), .barrier(.instructionSynchronization)])
    }

    func testSGIIsSentAfterADSBAndFollowedByAnISB() {
        let interface = RecordingCPUInterface()
        let target = MPIDRAffinity(aff3: 0, aff2: 0, aff1: 1, aff0: 3)
        CPUInterfaceSequences.sendSGI(InterruptID(0), to: target, on: interface)
        XCTAssertEqual(interface.log, [
            .barrier(.dataSynchronizationInnerShareable),   // the mailbox write is visible to the target first
            .write(ICC.ICC_SGI1R_EL1, SoftwareGeneratedInterrupt.registerValue(sending: InterruptID(0), to: target)),
            .barrier(.instructionSynchronization),
        ])
    }

    // MARK: Values

    func testCPUInterfaceBits() {
        XCTAssertEqual(SystemRegisterEnable.SRE.rawValue, 0x1, "ICC_SRE_EL1.SRE bit 0")
        XCTAssertEqual(SystemRegisterEnable.DFB.rawValue, 0x2, "ICC_SRE_EL1.DFB bit 1")
        XCTAssertEqual(SystemRegisterEnable.DIB.rawValue, 0x4, "ICC_SRE_EL1.DIB bit 2")
        XCTAssertEqual(CPUInterfaceControl.EOImode.rawValue, 0x2, "ICC_CTLR_EL1.EOImode bit 1")
        XCTAssertEqual(InterruptGroupEnable.Enable.rawValue, 0x1, "ICC_IGRPEN1_EL1.Enable bit 0")
        XCTAssertFalse(SystemRegisterName.ICC_IAR1_EL1.isWritable)
        XCTAssertFalse(SystemRegisterName.ICC_EOIR1_EL1.isReadable)
        XCTAssertFalse(SystemRegisterName.ICC_SGI1R_EL1.isReadable)
        XCTAssertTrue(SystemRegisterName.ICC_SRE_EL1.isReadable && SystemRegisterName.ICC_SRE_EL1.isWritable)
    }

    func testDefaultPriorityPassesThePriorityMask() {
        // Signalled only if higher priority (numerically lower) than ICC_PMR_EL1.
        XCTAssertLessThan(InterruptPriority.kernelDefault, InterruptPriority.mask)
        XCTAssertEqual(InterruptPriority.word(0xA0), 0xA0A0_A0A0, "four interrupts per priority register")
        XCTAssertEqual(InterruptPriority.word(0), 0)
        XCTAssertEqual(InterruptPriority.word(0xFF), 0xFFFF_FFFF)
    }
}
