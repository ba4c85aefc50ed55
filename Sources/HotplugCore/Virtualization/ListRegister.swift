// The GICv3 list registers, `ICH_LR<n>_EL2` (IHI 0069 §12.4, "ICH_LR<n>_EL2,
// Interrupt Controller List Registers"): how a hypervisor presents a
// virtual interrupt to the virtual CPU interface of the vCPU running on
// this PE.

/// The state of the virtual interrupt a list register holds:
/// `ICH_LR<n>_EL2.State`, bits 63:62.
public enum VirtualInterruptState: UInt64, Sendable, CaseIterable {
    /// 0b00: no interrupt (the register is free unless it still waits for
    /// an EOI maintenance interrupt, see `ListRegister.isEmpty`).
    case invalid = 0b00
    /// 0b01: pending, not yet acknowledged by the guest.
    case pending = 0b01
    /// 0b10: active: the guest acknowledged it (read `ICV_IAR1_EL1`) and has
    /// not deactivated it.
    case active = 0b10
    /// 0b11: active and pending again. Never used with `HW` set: for a
    /// hardware interrupt the pending state is the physical distributor's
    /// (KVM made the same rule after finding the hazard).
    case pendingAndActive = 0b11
}

/// The value of one list register, `ICH_LR<n>_EL2` (IHI 0069 §12.4).
///
/// Fields: vINTID 31:0; pINTID 44:32 when `HW` is 1 (with `HW` 0, bit 41 is
/// `EOI`, a maintenance interrupt on deactivation, and bits 44:42 and 40:32
/// are RES0); Priority 55:48; NMI 59 (FEAT_GICv3_NMI); Group 60; HW 61;
/// State 63:62. Bits 47:45 and 58:56 are RES0.
///
/// With `HW` set, the guest's deactivation of vINTID (its EOI with
/// `ICV_CTLR_EL1.EOImode` 0, or its DIR) also deactivates the physical
/// interrupt pINTID: the hypervisor never deactivates it itself. That is
/// how a guest-bound SPI is handed to a guest in Xen's model.
public struct ListRegister: RegisterValue, Hashable, Sendable {
    public let rawValue: UInt64

    @inline(__always)
    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// vINTID, bits 31:0.
    public static let virtualIDMask: UInt64 = 0xFFFF_FFFF
    /// pINTID, bits 44:32 (13 bits: SGIs, PPIs, SPIs and extended SPIs;
    /// never an LPI, which cannot be a hardware interrupt of an LR).
    public static let physicalIDShift: UInt64 = 32
    public static let physicalIDMask: UInt64 = 0x1FFF << 32
    /// EOI, bit 41, meaningful only with `HW` 0.
    public static let eoiBit: UInt64 = 1 << 41
    /// Priority, bits 55:48.
    public static let priorityShift: UInt64 = 48
    /// NMI, bit 59.
    public static let nmiBit: UInt64 = 1 << 59
    /// Group, bit 60: 1 for group 1 (signalled as a virtual IRQ).
    public static let groupBit: UInt64 = 1 << 60
    /// HW, bit 61.
    public static let hardwareBit: UInt64 = 1 << 61
    /// State, bits 63:62.
    public static let stateShift: UInt64 = 62

    /// The free list register: state invalid, no EOI request.
    public static let empty = ListRegister(rawValue: 0)

    /// A hardware interrupt: `physical` is deactivated when the guest
    /// deactivates `virtual`.
    ///
    /// - Precondition: `physical` fits pINTID (below 8192) and `state` is
    ///   not `pendingAndActive` (see `VirtualInterruptState`).
    public init(hardware physical: InterruptID, virtual: InterruptID, priority: UInt8, group1: Bool = true,
                state: VirtualInterruptState = .pending, nonMaskable: Bool = false) {
        precondition(physical.rawValue < 8192, "ICH_LR pINTID holds 13 bits")
        precondition(state != .pendingAndActive, "a hardware LR is never pending and active")
        self.init(rawValue: UInt64(virtual.rawValue)
            | UInt64(physical.rawValue) << ListRegister.physicalIDShift
            | UInt64(priority) << ListRegister.priorityShift
            | (nonMaskable ? ListRegister.nmiBit : 0)
            | (group1 ? ListRegister.groupBit : 0)
            | ListRegister.hardwareBit
            | state.rawValue << ListRegister.stateShift)
    }

    /// A purely virtual interrupt (`HW` 0), with `maintenanceOnEOI` asking
    /// for a maintenance interrupt when the guest deactivates it.
    public init(virtual: InterruptID, priority: UInt8, group1: Bool = true,
                state: VirtualInterruptState = .pending, maintenanceOnEOI: Bool = false, nonMaskable: Bool = false) {
        self.init(rawValue: UInt64(virtual.rawValue)
            | (maintenanceOnEOI ? ListRegister.eoiBit : 0)
            | UInt64(priority) << ListRegister.priorityShift
            | (nonMaskable ? ListRegister.nmiBit : 0)
            | (group1 ? ListRegister.groupBit : 0)
            | state.rawValue << ListRegister.stateShift)
    }

    /// vINTID: what the guest reads from `ICV_IAR1_EL1`.
    public var virtualID: InterruptID { InterruptID(UInt32(truncatingIfNeeded: rawValue & ListRegister.virtualIDMask)) }

    /// HW: the virtual interrupt stands for the physical one in pINTID.
    public var isHardware: Bool { rawValue & ListRegister.hardwareBit != 0 }

    /// pINTID when `HW` is 1; nil for a virtual-only interrupt, whose bits
    /// 44:32 are not an INTID.
    public var physicalID: InterruptID? {
        isHardware ? InterruptID(UInt32(truncatingIfNeeded: (rawValue & ListRegister.physicalIDMask) >> ListRegister.physicalIDShift)) : nil
    }

    /// EOI (bit 41, `HW` 0 only): a maintenance interrupt is asked for when
    /// the guest deactivates the interrupt.
    public var requestsMaintenanceOnEOI: Bool { !isHardware && rawValue & ListRegister.eoiBit != 0 }

    /// Priority, bits 55:48 (the virtual CPU interface implements the top
    /// `ICH_VTR_EL2.PRIbits + 1` of them).
    public var priority: UInt8 { UInt8(truncatingIfNeeded: rawValue >> ListRegister.priorityShift) }

    /// NMI: the virtual interrupt is non-maskable (FEAT_GICv3_NMI).
    public var isNonMaskable: Bool { rawValue & ListRegister.nmiBit != 0 }

    /// Group: true for group 1.
    public var isGroup1: Bool { rawValue & ListRegister.groupBit != 0 }

    /// State, bits 63:62.
    public var state: VirtualInterruptState { VirtualInterruptState(rawValue: rawValue >> ListRegister.stateShift)! }

    /// The same register with another state.
    public func with(state: VirtualInterruptState) -> ListRegister {
        ListRegister(rawValue: rawValue & ~(0b11 << ListRegister.stateShift) | state.rawValue << ListRegister.stateShift)
    }

    /// Whether `ICH_ELRSR_EL2` reports this register empty: state invalid,
    /// and not waiting for an EOI maintenance interrupt (`HW` 1 or `EOI` 0).
    public var isEmpty: Bool { state == .invalid && !requestsMaintenanceOnEOI }

    /// Whether `ICH_EISR_EL2` reports an EOI maintenance interrupt for this
    /// register: state invalid, `HW` 0 and `EOI` 1 (the guest deactivated an
    /// interrupt whose end the hypervisor asked to hear of).
    public var hasEOIMaintenance: Bool { state == .invalid && requestsMaintenanceOnEOI }
}
