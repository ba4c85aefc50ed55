import XCTest
@testable import HotplugCore

/// The virtual CPU interface's EL2 registers (IHI 0069 §12.4) with values
/// worked by hand from the field tables, and the context switch of a vCPU's
/// interface against a recording register file.
final class VirtualizationRegisterTests: XCTestCase {
    // MARK: ICH_LR<n>_EL2

    func testHardwareListRegisterEncodesEveryField() {
        // vINTID 222 (0xDE) 31:0, pINTID 222 44:32, priority 0xA0 55:48,
        // Group 60, HW 61, State pending (0b01) 63:62: top nibble 0b0111.
        let lr = ListRegister(hardware: InterruptID(222), virtual: InterruptID(222), priority: 0xA0)
        XCTAssertEqual(lr.rawValue, 0x70A0_00DE_0000_00DE)
        XCTAssertEqual(lr.virtualID, InterruptID(222))
        XCTAssertEqual(lr.physicalID, InterruptID(222))
        XCTAssertTrue(lr.isHardware)
        XCTAssertTrue(lr.isGroup1)
        XCTAssertEqual(lr.priority, 0xA0)
        XCTAssertEqual(lr.state, .pending)
        XCTAssertFalse(lr.isNonMaskable)
        XCTAssertFalse(lr.requestsMaintenanceOnEOI)
        // The guest acknowledged it: State 0b10, top nibble 0b1011.
        XCTAssertEqual(lr.with(state: .active).rawValue, 0xB0A0_00DE_0000_00DE)
        // It deactivated it: State 0b00, and the register is empty again.
        XCTAssertEqual(lr.with(state: .invalid).rawValue, 0x30A0_00DE_0000_00DE)
        XCTAssertTrue(lr.with(state: .invalid).isEmpty)
    }

    func testVirtualOnlyListRegisterUsesBit41AsEOI() {
        // vINTID 27, priority 0x80, group 1, pending, EOI (bit 41 = 0x200_0000_0000).
        let lr = ListRegister(virtual: InterruptID(27), priority: 0x80, maintenanceOnEOI: true)
        XCTAssertEqual(lr.rawValue, 0x5080_0200_0000_001B)
        XCTAssertNil(lr.physicalID, "HW 0: bits 44:32 are not an INTID")
        XCTAssertTrue(lr.requestsMaintenanceOnEOI)
        XCTAssertFalse(lr.with(state: .invalid).isEmpty, "deactivated but the EOI maintenance interrupt is outstanding")
        XCTAssertTrue(lr.with(state: .invalid).hasEOIMaintenance)
        // The same bit with HW 1 is pINTID bit 9, not EOI.
        let hardware = ListRegister(rawValue: ListRegister.hardwareBit | ListRegister.eoiBit)
        XCTAssertEqual(hardware.physicalID, InterruptID(0x200))
        XCTAssertFalse(hardware.requestsMaintenanceOnEOI)
        XCTAssertTrue(hardware.isEmpty)
    }

    func testListRegisterDecodingKeepsFieldsApart() {
        let cases: [(raw: UInt64, state: VirtualInterruptState, physical: UInt32?, priority: UInt8, nmi: Bool, group1: Bool, comment: String)] = [
            (0, .invalid, nil, 0, false, false, "reset value: empty"),
            (0x2000_1FFF_0000_0000, .invalid, 8191, 0, false, false, "pINTID is 13 bits, at most 8191"),
            (0x2000_E000_0000_0000, .invalid, 0, 0, false, false, "bits 47:45 are RES0, not pINTID"),
            (0x0800_0000_0000_0000, .invalid, nil, 0, true, false, "NMI is bit 59"),
            (0x0700_0000_0000_0000, .invalid, nil, 0, false, false, "bits 58:56 RES0: neither NMI nor priority"),
            (0xC0FF_0000_0000_0000, .pendingAndActive, nil, 0xFF, false, false, "state 0b11, priority 0xFF"),
            (0x9000_0000_0000_0000, .active, nil, 0, false, true, "state 0b10, group 1"),
        ]
        for c in cases {
            let lr = ListRegister(rawValue: c.raw)
            XCTAssertEqual(lr.state, c.state, c.comment)
            XCTAssertEqual(lr.physicalID?.rawValue, c.physical, c.comment)
            XCTAssertEqual(lr.priority, c.priority, c.comment)
            XCTAssertEqual(lr.isNonMaskable, c.nmi, c.comment)
            XCTAssertEqual(lr.isGroup1, c.group1, c.comment)
        }
        XCTAssertEqual(ListRegister(rawValue: 0xFFFF_FFFF).virtualID.rawValue, 0xFFFF_FFFF, "vINTID is all of 31:0")
        XCTAssertEqual(ListRegister(virtual: InterruptID(40), priority: 0, group1: false, state: .active, nonMaskable: true).rawValue,
                       0x8800_0000_0000_0028, "group 0, active, NMI")
    }

    // MARK: ICH_ELRSR_EL2, ICH_EISR_EL2

    func testEmptyAndEOIStatusFollowTheListRegisters() {
        let registers = [
            ListRegister.empty,                                                          // 0: empty
            ListRegister(hardware: InterruptID(222), virtual: InterruptID(222), priority: 0xA0), // 1: pending
            ListRegister(rawValue: 0x0000_0200_0000_001B),                               // 2: invalid, HW 0, EOI 1
            ListRegister(rawValue: 0x2000_00DE_0000_00DE),                               // 3: invalid, HW 1
        ]
        let empty = ListRegisterSet.emptyRegisters(registers)
        XCTAssertEqual(empty.rawValue, 0b1001)
        XCTAssertEqual(ListRegisterSet.endOfInterruptStatus(registers).rawValue, 0b0100)
        XCTAssertEqual(empty.first(below: 4), 0)
        XCTAssertEqual(ListRegisterSet(rawValue: 0b1000).first(below: 3), nil, "LR3 is not implemented with 3")
        XCTAssertEqual(ListRegisterSet(rawValue: 0xFFFF_0000_0000_0010).rawValue, 0x10, "bits 63:16 RES0")
        XCTAssertTrue(empty.contains(3))
        XCTAssertFalse(empty.contains(16))
    }

    // MARK: ICH_HCR_EL2, ICH_VTR_EL2, ICH_VMCR_EL2, ICH_AP1R<n>_EL2, ICH_MISR_EL2

    func testHypervisorControlBitsAndEOIcount() {
        // En 0, UIE 1, NPIE 3; EOIcount 3 in 31:27 = 0x1800_0000.
        let hcr = HypervisorControl(rawValue: 0x1800_000B)
        XCTAssertEqual(hcr.intersection([.En, .UIE, .LRENPIE, .NPIE]), [.En, .UIE, .NPIE])
        XCTAssertEqual(hcr.eoiCount, 3)
        XCTAssertEqual(hcr.clearingEOICount.rawValue, 0xB)
        XCTAssertEqual(HypervisorControl.LRENPIE.rawValue, 0x4)
        XCTAssertEqual(HypervisorControl.TDIR.rawValue, 0x4000)
        XCTAssertEqual(HypervisorControl(rawValue: 0xF800_0000).eoiCount, 31, "five bits")
    }

    func testVirtualInterfaceTypeCountsAreMinusOne() {
        // ListRegs 3 (4 LRs), TDS 19, nV4 20, A3V 21, IDbits 0b001 at 25:23,
        // PREbits 4 at 28:26, PRIbits 4 at 31:29: 0x90B8_0003.
        let vtr = VirtualInterfaceType(rawValue: 0x90B8_0003)
        XCTAssertEqual(vtr.listRegisterCount, 4)
        XCTAssertEqual(vtr.preemptionBits, 5)
        XCTAssertEqual(vtr.priorityBits, 5)
        XCTAssertEqual(vtr.virtualIDBits, 24)
        XCTAssertTrue(vtr.separateDIRTrap)
        XCTAssertTrue(vtr.noDirectInjection)
        XCTAssertTrue(vtr.affinity3Valid)
        XCTAssertFalse(vtr.supportsSystemErrors)
        XCTAssertEqual(vtr.activePriorityRegisterCount, 1)
        XCTAssertEqual(VirtualInterfaceType(rawValue: 0xF).listRegisterCount, 16)
        XCTAssertEqual(VirtualInterfaceType(rawValue: 0x1F).listRegisterCount, 16, "no ICH_LR16_EL2 and up")
        XCTAssertEqual(VirtualInterfaceType(listRegisters: 4, preemptionBits: 5, priorityBits: 5).rawValue, 0x9000_0003)
        XCTAssertEqual(VirtualInterfaceType(listRegisters: 16, preemptionBits: 6, priorityBits: 8).activePriorityRegisterCount, 2)
        XCTAssertEqual(VirtualInterfaceType(listRegisters: 1, preemptionBits: 7, priorityBits: 7).activePriorityRegisterCount, 4)
    }

    func testVirtualMachineControlFields() {
        // VENG1 bit 1, VBPR1 3 at 20:18, VBPR0 2 at 23:21, VPMR 0xF0 at 31:24.
        let vmcr = VirtualMachineControl(flags: .VENG1, priorityMask: 0xF0, binaryPoint0: 2, binaryPoint1: 3)
        XCTAssertEqual(vmcr.rawValue, 0xF04C_0002)
        XCTAssertEqual(vmcr.priorityMask, 0xF0)
        XCTAssertEqual(vmcr.binaryPoint0, 2)
        XCTAssertEqual(vmcr.binaryPoint1, 3)
        XCTAssertTrue(vmcr.contains(.VENG1))
        XCTAssertFalse(vmcr.contains(.VENG0))
        XCTAssertEqual(VirtualMachineControl.VEOIM.rawValue, 0x200)
        XCTAssertEqual(VirtualMachineControl(flags: VirtualMachineControl(rawValue: 0xFFFF_FFFF), priorityMask: 0, binaryPoint0: 0, binaryPoint1: 0).rawValue,
                       0x21F, "only the flag bits come from flags")
    }

    func testActivePrioritiesPositionIsTheGroupPriority() {
        // Group priority = top PREbits bits; 32 per register.
        XCTAssertTrue(ActivePriorities.position(of: 0xA0, preemptionBits: 5) == (0, 20))  // 0xA0 >> 3 = 20
        XCTAssertTrue(ActivePriorities.position(of: 0xA0, preemptionBits: 6) == (1, 8))   // 0xA0 >> 2 = 40
        XCTAssertTrue(ActivePriorities.position(of: 0xA0, preemptionBits: 7) == (2, 16))  // 0xA0 >> 1 = 80
        XCTAssertTrue(ActivePriorities.position(of: 0xFF, preemptionBits: 5) == (0, 31))
        XCTAssertTrue(ActivePriorities.position(of: 0x00, preemptionBits: 7) == (0, 0))
        XCTAssertTrue(ActivePriorities(rawValue: 1 << 20).contains(bit: 20))
        XCTAssertEqual(ActivePriorities.nmiBit, 0x8000_0000_0000_0000)
    }

    func testMaintenanceInterruptStateBits() {
        XCTAssertEqual(MaintenanceInterruptState(rawValue: 0x0B), [.EOI, .U, .NP])
        XCTAssertEqual(MaintenanceInterruptState.LRENP.rawValue, 0x4)
        XCTAssertEqual(MaintenanceInterruptState.VGrp1D.rawValue, 0x80)
    }

    // MARK: The vCPU's interface context

    func testSaveReadsTheImplementedRegistersThenClearsThePE() {
        let file = RecordingVirtualInterface(listRegisters: 4)
        let pending = ListRegister(hardware: InterruptID(222), virtual: InterruptID(222), priority: 0xA0)
        let active = ListRegister(hardware: InterruptID(223), virtual: InterruptID(223), priority: 0xA0, state: .active)
        file.values[.ICH_LR_EL2(0)] = pending.rawValue
        file.values[.ICH_LR_EL2(2)] = active.rawValue
        file.values[.ICH_AP1R_EL2(0)] = 1 << 20
        file.values[.ICH_VMCR_EL2] = 0xF04C_0002
        file.values[.ICH_HCR_EL2] = HypervisorControl.En.rawValue

        var context = VirtualCPUInterfaceContext(for: VirtualInterfaceType(listRegisters: 4, preemptionBits: 5, priorityBits: 5))
        context.save(from: file)
        XCTAssertEqual(file.log, [
            .read(.ICH_LR_EL2(0)), .read(.ICH_LR_EL2(1)), .read(.ICH_LR_EL2(2)), .read(.ICH_LR_EL2(3)),
            .read(.ICH_AP1R_EL2(0)), .read(.ICH_VMCR_EL2), .read(.ICH_HCR_EL2),
            .write(.ICH_HCR_EL2, 0),
            .write(.ICH_LR_EL2(0), 0), .write(.ICH_LR_EL2(1), 0), .write(.ICH_LR_EL2(2), 0), .write(.ICH_LR_EL2(3), 0),
            .barrier(.instructionSynchronization),
        ])
        XCTAssertEqual(context.listRegisters[0], pending)
        XCTAssertEqual(context.listRegisters[2], active)
        XCTAssertEqual(context.emptyListRegisters.rawValue, 0b1010)
        XCTAssertEqual(context.listRegister(holding: InterruptID(223)), 2)
        XCTAssertEqual(context.machineControl.priorityMask, 0xF0)
        XCTAssertTrue(context.activePriorities[0].contains(bit: 20))
    }

    func testRestoreWritesStateFirstAndEnablesLast() {
        var context = VirtualCPUInterfaceContext(for: VirtualInterfaceType(listRegisters: 2, preemptionBits: 6, priorityBits: 8))
        let lr = ListRegister(hardware: InterruptID(222), virtual: InterruptID(222), priority: 0xA0)
        XCTAssertEqual(context.insert(lr), 0)
        context.machineControl = .VENG1
        context.hypervisorControl = []
        let file = RecordingVirtualInterface(listRegisters: 2)
        context.restore(to: file)
        XCTAssertEqual(file.log, [
            .write(.ICH_VMCR_EL2, 0x2),
            .write(.ICH_AP1R_EL2(0), 0), .write(.ICH_AP1R_EL2(1), 0),  // PREbits 6: two AP1Rs
            .write(.ICH_LR_EL2(0), lr.rawValue), .write(.ICH_LR_EL2(1), 0),
            .write(.ICH_HCR_EL2, HypervisorControl.En.rawValue),      // En last, always
            .barrier(.instructionSynchronization),
        ])
    }

    func testContextTravelsUnchangedBetweenPEs() {
        let implementation = VirtualInterfaceType(listRegisters: 4, preemptionBits: 5, priorityBits: 5)
        var context = VirtualCPUInterfaceContext(for: implementation)
        XCTAssertEqual(context.insert(ListRegister(hardware: InterruptID(40), virtual: InterruptID(40), priority: 0xA0)), 0)
        XCTAssertEqual(context.insert(ListRegister(hardware: InterruptID(41), virtual: InterruptID(41), priority: 0xA0, state: .active)), 1)
        context.activePriorities[0] = ActivePriorities(rawValue: 1 << 20)
        context.machineControl = VirtualMachineControl(flags: .VENG1, priorityMask: 0xFF, binaryPoint0: 2, binaryPoint1: 3)
        let first = RecordingVirtualInterface(listRegisters: 4)
        context.restore(to: first)
        var saved = VirtualCPUInterfaceContext(for: implementation)
        saved.save(from: first)
        XCTAssertEqual(saved, context)
        for index in 0 ..< 4 { XCTAssertEqual(first.values[.ICH_LR_EL2(index)] ?? 0, 0, "LR\(index) cleared on the PE left") }
        let second = RecordingVirtualInterface(listRegisters: 4)
        saved.restore(to: second)
        XCTAssertEqual(second.values[.ICH_LR_EL2(1)], context.listRegisters[1].rawValue)
    }

    func testInsertFillsTheLowestEmptyRegisterAndReportsFull() {
        var context = VirtualCPUInterfaceContext(for: VirtualInterfaceType(listRegisters: 2, preemptionBits: 5, priorityBits: 5))
        let lr = ListRegister(hardware: InterruptID(40), virtual: InterruptID(40), priority: 0xA0)
        XCTAssertEqual(context.insert(lr), 0)
        XCTAssertEqual(context.insert(lr), 1)
        XCTAssertNil(context.insert(lr), "two LRs: the third stays queued in software")
        context.listRegisters[0] = lr.with(state: .invalid)
        XCTAssertEqual(context.insert(lr), 0, "a deactivated hardware LR is free again")
    }
}

/// A PE's `ICH_*_EL2` registers for the context tests: values by name and
/// every access in order. An access to an unimplemented LR fails the test.
final class RecordingVirtualInterface: VirtualInterfaceRegisterFile {
    enum Access: Equatable {
        case read(VirtualInterfaceRegisterName)
        case write(VirtualInterfaceRegisterName, UInt64)
        case barrier(Barrier)
    }

    let listRegisters: Int
    var values: [VirtualInterfaceRegisterName: UInt64] = [:]
    private(set) var log: [Access] = []

    init(listRegisters: Int) {
        self.listRegisters = listRegisters
    }

    private func check(_ register: VirtualInterfaceRegisterName) {
        if case .ICH_LR_EL2(let n) = register, n >= listRegisters { XCTFail("ICH_LR\(n)_EL2 is not implemented") }
    }

    func read(_ register: VirtualInterfaceRegisterName) -> UInt64 {
        check(register)
        log.append(.read(register))
        return values[register] ?? 0
    }

    func write(_ register: VirtualInterfaceRegisterName, _ value: UInt64) {
        check(register)
        log.append(.write(register, value))
        values[register] = value
    }

    func barrier(_ barrier: Barrier) {
        log.append(.barrier(barrier))
    }
}
