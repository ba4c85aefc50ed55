// A vCPU's saved virtual CPU interface and the sequences that move it
// between a vCPU and the PE it runs on (IHI 0069 §12.4 and "Virtual CPU
// interface": the list registers, active priorities, VMCR and HCR belong
// to the vCPU, not to the PE; they are loaded when it runs and saved when
// it stops, so its in-flight interrupts travel with it).

/// The EL2 registers of the virtual CPU interface, by name, as the
/// specification spells them (`ICH_LR<n>_EL2` and `ICH_AP1R<n>_EL2` with
/// their `n`).
public enum VirtualInterfaceRegisterName: Hashable, Sendable {
    case ICH_LR_EL2(Int)
    case ICH_AP1R_EL2(Int)
    case ICH_VMCR_EL2
    case ICH_HCR_EL2
    case ICH_VTR_EL2
    case ICH_ELRSR_EL2
    case ICH_EISR_EL2
    case ICH_MISR_EL2
}

/// The hardware seam of the context switch: this PE's `ICH_*_EL2`
/// registers and barriers. The image implements it with `MRS`/`MSR`, host
/// tests with a recording fake; used through generics only.
public protocol VirtualInterfaceRegisterFile {
    /// `MRS` of `register`.
    func read(_ register: VirtualInterfaceRegisterName) -> UInt64
    /// `MSR` to `register`.
    func write(_ register: VirtualInterfaceRegisterName, _ value: UInt64)
    /// Executes `barrier`.
    func barrier(_ barrier: Barrier)
}

/// The saved virtual CPU interface of one vCPU: its list registers, group 1
/// active priorities, `ICH_VMCR_EL2` and `ICH_HCR_EL2`.
///
/// Only what the PE implements is held and moved: `ICH_VTR_EL2.ListRegs + 1`
/// list registers and `activePriorityRegisterCount` AP1Rs (an access to an
/// unimplemented `ICH_LR<n>_EL2` or `ICH_AP1R<n>_EL2` is UNDEFINED). All PEs
/// of a machine are assumed to report the same `ICH_VTR_EL2`, since the
/// vCPU's context moves between them.
public struct VirtualCPUInterfaceContext: Equatable, Sendable {
    /// The most list registers an implementation has (ListRegs is 4 bits
    /// of use: 16).
    public static let listRegisterCapacity = 16

    /// List registers implemented and saved.
    public let listRegisterCount: Int
    /// `ICH_AP1R<n>_EL2` implemented and saved.
    public let activePriorityRegisterCount: Int
    /// `ICH_LR<n>_EL2` at index `n`; only the first `listRegisterCount` are used.
    public var listRegisters: InlineArray<16, ListRegister>
    /// `ICH_AP1R<n>_EL2` at index `n`; only the first
    /// `activePriorityRegisterCount` are used.
    public var activePriorities: InlineArray<4, ActivePriorities>
    /// `ICH_VMCR_EL2`: the guest's own CPU interface state.
    public var machineControl: VirtualMachineControl
    /// `ICH_HCR_EL2`, restored with `En` set.
    public var hypervisorControl: HypervisorControl

    /// A vCPU that has not run: no interrupt in any list register, nothing
    /// active, the guest's interface as at reset (VMCR 0: both groups off,
    /// priority mask 0), the interface enabled for it.
    public init(for implementation: VirtualInterfaceType) {
        listRegisterCount = implementation.listRegisterCount
        activePriorityRegisterCount = implementation.activePriorityRegisterCount
        listRegisters = InlineArray(repeating: .empty)
        activePriorities = InlineArray(repeating: .none)
        machineControl = []
        hypervisorControl = .En
    }

    public static func == (lhs: VirtualCPUInterfaceContext, rhs: VirtualCPUInterfaceContext) -> Bool {
        guard lhs.listRegisterCount == rhs.listRegisterCount,
              lhs.activePriorityRegisterCount == rhs.activePriorityRegisterCount,
              lhs.machineControl == rhs.machineControl, lhs.hypervisorControl == rhs.hypervisorControl else { return false }
        for index in 0 ..< lhs.listRegisterCount where lhs.listRegisters[index] != rhs.listRegisters[index] { return false }
        for index in 0 ..< lhs.activePriorityRegisterCount where lhs.activePriorities[index] != rhs.activePriorities[index] {
            return false
        }
        return true
    }

    /// What `ICH_ELRSR_EL2` would read with these list registers loaded.
    public var emptyListRegisters: ListRegisterSet {
        var set: UInt64 = 0
        for index in 0 ..< listRegisterCount where listRegisters[index].isEmpty { set |= 1 << UInt64(index) }
        return ListRegisterSet(rawValue: set)
    }

    /// Puts `register` in the lowest empty list register; its index, or nil
    /// when all are in use (the interrupt then stays queued in software).
    public mutating func insert(_ register: ListRegister) -> Int? {
        guard let index = emptyListRegisters.first(below: listRegisterCount) else { return nil }
        listRegisters[index] = register
        return index
    }

    /// The index of the list register holding `virtual`, if one does.
    public func listRegister(holding virtual: InterruptID) -> Int? {
        for index in 0 ..< listRegisterCount where !listRegisters[index].isEmpty && listRegisters[index].virtualID == virtual {
            return index
        }
        return nil
    }

    /// Saves the interface of the vCPU leaving this PE and clears it.
    ///
    /// Reads the `listRegisterCount` list registers, the AP1Rs, VMCR and
    /// HCR; then writes `ICH_HCR_EL2` 0 (the interface off, so nothing is
    /// signalled to whatever runs next) and every list register empty, so
    /// none of this vCPU's interrupts stays on the PE, and ends with an ISB
    /// so the clearing is in effect before the next vCPU's state is loaded.
    /// Runs on the PE, with interrupts masked at EL2.
    public mutating func save<File: VirtualInterfaceRegisterFile>(from file: File) {
        for index in 0 ..< listRegisterCount {
            listRegisters[index] = ListRegister(rawValue: file.read(.ICH_LR_EL2(index)))
        }
        for index in 0 ..< activePriorityRegisterCount {
            activePriorities[index] = ActivePriorities(rawValue: file.read(.ICH_AP1R_EL2(index)))
        }
        machineControl = VirtualMachineControl(rawValue: file.read(.ICH_VMCR_EL2))
        hypervisorControl = HypervisorControl(rawValue: file.read(.ICH_HCR_EL2))
        file.write(.ICH_HCR_EL2, 0)
        for index in 0 ..< listRegisterCount {
            file.write(.ICH_LR_EL2(index), ListRegister.empty.rawValue)
        }
        file.barrier(.instructionSynchronization)
    }

    /// Loads this vCPU's interface onto the PE it is about to run on.
    ///
    /// Writes VMCR, the AP1Rs and the list registers first and `ICH_HCR_EL2`
    /// (with `En`) last, so the interface is enabled only once all of the
    /// vCPU's state is in place; then an ISB, so it is in effect before the
    /// `ERET` to the guest.
    public func restore<File: VirtualInterfaceRegisterFile>(to file: File) {
        file.write(.ICH_VMCR_EL2, machineControl.rawValue)
        for index in 0 ..< activePriorityRegisterCount {
            file.write(.ICH_AP1R_EL2(index), activePriorities[index].rawValue)
        }
        for index in 0 ..< listRegisterCount {
            file.write(.ICH_LR_EL2(index), listRegisters[index].rawValue)
        }
        file.write(.ICH_HCR_EL2, hypervisorControl.union(.En).rawValue)
        file.barrier(.instructionSynchronization)
    }
}
