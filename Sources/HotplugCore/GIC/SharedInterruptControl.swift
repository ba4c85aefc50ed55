/// What the kernel does to one SPI or extended SPI once the distributor is
/// running (IHI 0069 §12.9): trigger mode, enable, pending and active
/// state, route. Generic over the distributor's `RegisterFile`, as
/// `DistributorInitialisation` is.
///
/// Every operation touches only its interrupt's bits. The set- and
/// clear-enable and -pending registers are write-one-to-act, so operations
/// on different interrupts from different CPUs never undo each other; the
/// one read-modify-write (`setTrigger`, on a `GICD_ICFGR<n>` shared by 16
/// interrupts) is serialised by the caller, like the routing changes that
/// must stay consistent with the interrupt's descriptor.
///
/// Precondition of every function: `id` is an SPI or extended SPI.
public enum SharedInterruptControl {
    /// Level-sensitive or edge-triggered: Int_config bit 1 of the
    /// interrupt's `GICD_ICFGR<n>` field (bit 0 is reserved). Only changed
    /// while the interrupt is disabled: otherwise the effect is UNPREDICTABLE
    /// (IHI 0069, GICD_ICFGR<n>).
    public static func setTrigger<Registers: RegisterFile>(
        _ registers: Registers, _ id: InterruptID, edgeTriggered: Bool
    ) {
        let field = DistributorRegister.configurationRegister(for: id)
        let others = registers.read(field.register) & ~field.mask
        registers.write(field.register, others | (edgeTriggered ? field.placing(edgeTriggeredField) : 0))
    }

    /// Int_config field value of an edge-triggered interrupt (bit 1 set);
    /// 0 is level-sensitive.
    public static let edgeTriggeredField: UInt32 = 0b10

    /// Enables forwarding of `id` to the CPU interfaces (`GICD_ISENABLER`).
    @inline(__always)
    public static func enable<Registers: RegisterFile>(_ registers: Registers, _ id: InterruptID) {
        act(on: id, through: .GICD_ISENABLER, registers)
    }

    /// Disables `id` (`GICD_ICENABLER`) and waits for `GICD_CTLR.RWP` to
    /// clear: only then is the disable in effect throughout the GIC, and
    /// only then may the interrupt be reconfigured or retired.
    ///
    /// - Throws: `distributorWritePending` when the wait ends unsatisfied;
    ///   the interrupt has been written disabled all the same.
    public static func disable<Registers: RegisterFile>(
        _ registers: Registers, _ id: InterruptID, wait: HardwareWait
    ) throws(GICError) {
        act(on: id, through: .GICD_ICENABLER, registers)
        try DistributorInitialisation.waitForRegisterWrite(registers, wait)
    }

    /// Makes `id` pending, as its device would (`GICD_ISPENDR`).
    @inline(__always)
    public static func setPending<Registers: RegisterFile>(_ registers: Registers, _ id: InterruptID) {
        act(on: id, through: .GICD_ISPENDR, registers)
    }

    /// Whether `id` is enabled (`GICD_ISENABLER` read).
    @inline(__always)
    public static func isEnabled<Registers: RegisterFile>(_ registers: Registers, _ id: InterruptID) -> Bool {
        test(id, in: .GICD_ISENABLER, registers)
    }

    /// Whether `id` is pending (`GICD_ISPENDR` read).
    @inline(__always)
    public static func isPending<Registers: RegisterFile>(_ registers: Registers, _ id: InterruptID) -> Bool {
        test(id, in: .GICD_ISPENDR, registers)
    }

    /// Whether `id` is active (`GICD_ISACTIVER` read).
    @inline(__always)
    public static func isActive<Registers: RegisterFile>(_ registers: Registers, _ id: InterruptID) -> Bool {
        test(id, in: .GICD_ISACTIVER, registers)
    }

    /// Routes `id` to the one CPU with `affinity`: one `GICD_IROUTER<n>`
    /// write with Interrupt_Routing_Mode 0 (never "any participating PE").
    @inline(__always)
    public static func route<Registers: RegisterFile>(
        _ registers: Registers, _ id: InterruptID, to affinity: MPIDRAffinity
    ) {
        registers.write(DistributorRegister.routerRegister(for: id), RoutingTarget(affinity: affinity))
    }

    /// The routing register as the GIC holds it.
    @inline(__always)
    public static func routing<Registers: RegisterFile>(_ registers: Registers, of id: InterruptID) -> RoutingTarget {
        registers.read(DistributorRegister.routerRegister(for: id))
    }

    /// Writes `id`'s bit alone to a write-one-to-act array.
    @inline(__always)
    private static func act<Registers: RegisterFile>(
        on id: InterruptID, through array: BitPerInterruptRegister, _ registers: Registers
    ) {
        let bit = DistributorRegister.bitRegister(array, for: id)
        registers.write(bit.register, bit.mask)
    }

    /// Reads `id`'s bit in a one-bit-per-interrupt array.
    @inline(__always)
    private static func test<Registers: RegisterFile>(
        _ id: InterruptID, in array: BitPerInterruptRegister, _ registers: Registers
    ) -> Bool {
        let bit = DistributorRegister.bitRegister(array, for: id)
        return registers.read(bit.register) & bit.mask != 0
    }
}
