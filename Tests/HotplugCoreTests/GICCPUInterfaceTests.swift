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
            .write(ICC.ICC_CTLR_EL1, .EOImode),             // EOImode 1: EOI drops priority, DIR deactivates
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

    func testEndOfInterruptDropsPriorityThenDeactivatesEachWithAnISB() {
        for (id, comment) in [(UInt32(224), "SPI"), (33, "PL011 SPI"), (27, "PPI"), (0, "SGI"), (4096, "eSPI")] {
            let interface = RecordingCPUInterface()
            CPUInterfaceSequences.endOfInterrupt(InterruptID(id), on: interface)
            XCTAssertEqual(interface.log, [
                .write(ICC.ICC_EOIR1_EL1, UInt64(id)),
                .barrier(.instructionSynchronization),    // the drop in effect before the deactivation
                .write(ICC.ICC_DIR_EL1, UInt64(id)),
                .barrier(.instructionSynchronization),    // and both before the next acknowledge
            ], comment)
        }
    }

    /// The stress run's defect: under EOImode 0 an LPI's `ICC_EOIR1_EL1`
    /// write also asks for a deactivation, which QEMU (7.2, 10.0) carries
    /// out on its SPI active array at the LPI's INTID, far past its end,
    /// clearing bits of the `GICD_IROUTER<n>` it keeps next to it. After
    /// `enable` an LPI's end of interrupt must be a priority drop only:
    /// EOImode set, and no `ICC_DIR_EL1` write for it.
    func testAnLPIsEndOfInterruptIsAPriorityDropOnly() {
        let interface = RecordingCPUInterface()
        CPUInterfaceSequences.enable(interface)
        let control = CPUInterfaceControl(rawValue: interface.values[.ICC_CTLR_EL1] ?? 0)
        XCTAssertTrue(control.contains(.EOImode), "EOIR must not deactivate: EOImode 1")
        for id in [UInt32(8192), 13377, 13442, 16383] {
            let before = interface.log.count
            CPUInterfaceSequences.endOfInterrupt(InterruptID(id), on: interface)
            XCTAssertEqual(Array(interface.log[before...]),
                           [.write(.ICC_EOIR1_EL1, UInt64(id)), .barrier(.instructionSynchronization)],
                           "LPI \(id): the drop alone (an LPI has no active state)")
        }
    }

    func testPriorityDropAloneAndDeactivationAloneEachEndWithAnISB() {
        let interface = RecordingCPUInterface()
        CPUInterfaceSequences.dropPriority(InterruptID(40), on: interface)
        CPUInterfaceSequences.deactivate(InterruptID(40), on: interface)
        XCTAssertEqual(interface.log, [
            .write(ICC.ICC_EOIR1_EL1, 40), .barrier(.instructionSynchronization),
            .write(ICC.ICC_DIR_EL1, 40), .barrier(.instructionSynchronization),
        ])
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
        XCTAssertFalse(SystemRegisterName.ICC_DIR_EL1.isReadable)
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
