/// The Arm generic timer's interrupts, as the "arm,armv8-timer" devicetree
/// binding lists them in its `interrupts` property: the Secure EL1
/// physical timer, the Non-secure EL1 physical timer, the virtual timer and
/// the EL2 (hypervisor) physical timer, in that order (an optional fifth,
/// the EL2 virtual timer, is not used here). Each is a PPI: private to its
/// CPU, the same INTID on every CPU (Arm ARM D11.2; SBSA recommends INTIDs
/// 29, 30, 27 and 26, which QEMU's virt machine uses, but the device tree
/// is what counts).
public struct GenericTimerDescription: Equatable, Sendable {
    /// The Secure EL1 physical timer (`CNTPS_*`).
    public let securePhysical: InterruptID
    /// The Non-secure EL1 physical timer (`CNTP_*`).
    public let physical: InterruptID
    /// The EL1 virtual timer (`CNTV_*`).
    public let virtual: InterruptID
    /// The EL2 physical timer (`CNTHP_*`).
    public let hypervisorPhysical: InterruptID

    public init(securePhysical: InterruptID, physical: InterruptID, virtual: InterruptID,
                hypervisorPhysical: InterruptID) {
        self.securePhysical = securePhysical
        self.physical = physical
        self.virtual = virtual
        self.hypervisorPhysical = hypervisorPhysical
    }

    /// The first enabled child of the root compatible with
    /// "arm,armv8-timer"; nil when there is none. Throws when its
    /// `interrupts` do not hold four PPI specifiers of `interruptCells`
    /// cells each.
    public init?(deviceTree tree: FlattenedDeviceTree, interruptCells: Int) throws(DeviceTreeError) {
        var children = tree.children(of: tree.root)
        var found: DeviceTreeNode? = nil
        while let node = try children.next() {
            guard let compatible = try tree.value("compatible", of: node),
                  compatible.containsString("arm,armv8-timer") else { continue }
            if let status = try tree.value("status", of: node), !status.isString("okay"), !status.isString("ok") {
                continue
            }
            found = node
            break
        }
        guard let node = found else { return nil }
        guard let interrupts = try tree.value("interrupts", of: node) else {
            throw .missingProperty("interrupts", node: "arm,armv8-timer")
        }
        let entryBytes = interruptCells * 4
        guard interruptCells >= 3, interrupts.count % entryBytes == 0, interrupts.count / entryBytes >= 4 else {
            throw .badPropertyLength("interrupts", length: interrupts.count)
        }
        var ids = InlineArray<4, InterruptID>(repeating: InterruptID(0))
        for entry in 0 ..< 4 {
            guard let specifier = InterruptSpecifier(interrupts, atCell: entry * interruptCells) else {
                throw .badPropertyLength("interrupts", length: interrupts.count)
            }
            guard specifier.type == InterruptSpecifier.privateType, let id = specifier.interruptID else {
                throw .badInterruptSpecifier(type: specifier.type, number: specifier.number)
            }
            ids[entry] = id
        }
        self.init(securePhysical: ids[0], physical: ids[1], virtual: ids[2], hypervisorPhysical: ids[3])
    }
}
