/// What the image needs to know about the machine it boots on, read once
/// from the device tree: the CPUs and their MPIDR affinities, the GICv3
/// frames, the PSCI conduit, the PL011 console, the PL031 RTC (if any) and
/// RAM.
///
/// Where the devices are looked for: CPUs under `/cpus`; everything else
/// among the root's children, matched by `compatible` (or `device_type`
/// "memory") and skipped when `status` is neither "okay" nor "ok". `reg`
/// entries use the root's `#address-cells` / `#size-cells`; no `ranges`
/// translation is done, so devices behind a bus are not found (QEMU `virt`
/// puts them all at the root). Interrupts are read as GIC specifiers: the
/// GIC is taken to be the interrupt parent of every device.
///
/// Fixed-size storage only: the value is about 5 KiB and needs no heap.
public struct PlatformDescription {
    /// Most CPUs described, as many as a `CPUMask` holds; logical CPU
    /// numbers are `0 ..< maximumCPUs`. (The tables below spell the same
    /// 512 as a literal, which `InlineArray` needs.)
    public static let maximumCPUs = CPUMask.capacity
    /// Most RAM regions kept; any beyond are ignored (left unused).
    public static let maximumMemoryRegions = 4

    /// Number of CPU nodes, at least 1.
    public let cpuCount: Int
    private let affinities: InlineArray<512, MPIDRAffinity>
    private let enableMethods: InlineArray<512, CPUEnableMethod?>

    public let gic: GICDescription
    public let psci: PSCIDescription
    /// The PL011 UART ("arm,pl011").
    public let uart: PeripheralDescription
    /// The PL031 real-time clock ("arm,pl031"), when the machine has one.
    public let rtc: PeripheralDescription?
    /// The generic timer's PPIs ("arm,armv8-timer"), when the tree lists them.
    public let timer: GenericTimerDescription?

    /// Number of RAM regions kept, at least 1.
    public let memoryRegionCount: Int
    private let memoryRegions: InlineArray<4, PhysicalAddressRange>

    /// Reads the platform from `deviceTree`; throws when something it needs
    /// is missing or malformed.
    public init(deviceTree tree: FlattenedDeviceTree) throws(DeviceTreeError) {
        let reader = PlatformReader(tree: tree)
        let root = tree.root
        let rootLayout = try reader.cellLayout(of: root)

        // CPUs (devicetree specification v0.4 §3.7, §3.8).
        guard let cpus = try tree.child(of: root, named: "cpus") else { throw .missingNode("/cpus") }
        let cpuAddressCells = try reader.cells("#address-cells", of: cpus, default: 2, allowed: 1 ... 2)
        var affinities = InlineArray<512, MPIDRAffinity>(repeating: MPIDRAffinity(mpidr: 0))
        var enableMethods = InlineArray<512, CPUEnableMethod?>(repeating: nil)
        var cpuCount = 0
        var children = tree.children(of: cpus)
        while let node = try children.next() {
            guard tree.node(node, isNamed: "cpu"),
                  let deviceType = try tree.value("device_type", of: node), deviceType.isString("cpu")
            else { continue }
            let limit = min(PlatformDescription.maximumCPUs, affinities.count)
            guard cpuCount < limit else { throw .tooManyCPUs(limit: limit) }
            let reg = try reader.required("reg", of: node, in: "/cpus/cpu")
            // One entry only: each hardware thread has its own cpu node.
            guard reg.count == cpuAddressCells * 4, let mpidr = reg.number(atCell: 0, cells: cpuAddressCells) else {
                throw .badPropertyLength("reg", length: reg.count)
            }
            let affinity = MPIDRAffinity(mpidr: mpidr)
            guard affinity.rawValue == mpidr else { throw .invalidCPUAffinity(mpidr) }
            for index in 0 ..< cpuCount where affinities[index] == affinity {
                throw .duplicateCPU(affinity)
            }
            affinities[cpuCount] = affinity
            enableMethods[cpuCount] = try reader.enableMethod(of: node)
            cpuCount += 1
        }
        guard cpuCount > 0 else { throw .missingNode("/cpus/cpu") }
        self.cpuCount = cpuCount
        self.affinities = affinities
        self.enableMethods = enableMethods

        // GICv3 ("arm,gic-v3" binding).
        guard let gicNode = try reader.firstEnabledChild(of: root, compatibleWith: "arm,gic-v3") else {
            throw .missingDevice(compatible: "arm,gic-v3")
        }
        let gic = try reader.gic(gicNode, layout: rootLayout)
        self.gic = gic

        // PSCI ("arm,psci*" bindings).
        var psciNode = try reader.firstEnabledChild(of: root, compatibleWith: "arm,psci-1.0")
        if psciNode == nil { psciNode = try reader.firstEnabledChild(of: root, compatibleWith: "arm,psci-0.2") }
        if psciNode == nil { psciNode = try reader.firstEnabledChild(of: root, compatibleWith: "arm,psci") }
        guard let psciNode else { throw .missingDevice(compatible: "arm,psci") }
        self.psci = try reader.psci(psciNode)

        // Console and clock.
        guard let uartNode = try reader.firstEnabledChild(of: root, compatibleWith: "arm,pl011") else {
            throw .missingDevice(compatible: "arm,pl011")
        }
        self.uart = try reader.peripheral(uartNode, name: "arm,pl011", layout: rootLayout, interruptCells: gic.interruptCells)
        if let rtcNode = try reader.firstEnabledChild(of: root, compatibleWith: "arm,pl031") {
            self.rtc = try reader.peripheral(rtcNode, name: "arm,pl031", layout: rootLayout, interruptCells: gic.interruptCells)
        } else {
            self.rtc = nil
        }
        self.timer = try GenericTimerDescription(deviceTree: tree, interruptCells: gic.interruptCells)

        // RAM (§3.4): every `reg` entry of every memory node, up to the limit.
        var memoryRegions = InlineArray<4, PhysicalAddressRange>(repeating: PhysicalAddressRange(base: 0, size: 0)!)
        var memoryRegionCount = 0
        children = tree.children(of: root)
        while let node = try children.next() {
            guard let deviceType = try tree.value("device_type", of: node), deviceType.isString("memory"),
                  try reader.isEnabled(node)
            else { continue }
            let reg = try reader.required("reg", of: node, in: "/memory")
            let entries = try reader.entryCount(reg, layout: rootLayout)
            for entry in 0 ..< entries where memoryRegionCount < memoryRegions.count {
                memoryRegions[memoryRegionCount] = try reader.range(reg, entry: entry, layout: rootLayout)
                memoryRegionCount += 1
            }
        }
        guard memoryRegionCount > 0 else { throw .missingNode("/memory") }
        self.memoryRegionCount = memoryRegionCount
        self.memoryRegions = memoryRegions
    }

    // MARK: CPUs

    /// CPU `cpu`, which must be `< cpuCount`.
    public func cpu(_ cpu: LogicalCPU) -> CPUDescription {
        precondition(cpu.index >= 0 && cpu.index < cpuCount, "no such logical CPU")
        return CPUDescription(logicalCPU: cpu, affinity: affinities[cpu.index], enableMethod: enableMethods[cpu.index])
    }

    /// The MPIDR affinity of `cpu`, which must be `< cpuCount`.
    public func affinity(of cpu: LogicalCPU) -> MPIDRAffinity {
        precondition(cpu.index >= 0 && cpu.index < cpuCount, "no such logical CPU")
        return affinities[cpu.index]
    }

    /// The logical CPU with this affinity, or `nil` if the tree has none.
    public func logicalCPU(for affinity: MPIDRAffinity) -> LogicalCPU? {
        for index in 0 ..< cpuCount where affinities[index] == affinity {
            return LogicalCPU(index)
        }
        return nil
    }

    // MARK: RAM

    /// RAM region `index`, `0 ..< memoryRegionCount`, in tree order.
    public func memoryRegion(_ index: Int) -> PhysicalAddressRange {
        precondition(index >= 0 && index < memoryRegionCount, "no such memory region")
        return memoryRegions[index]
    }
}

/// How many cells an address and a size take in a node's children's `reg`
/// (§2.3.5).
struct CellLayout {
    let addressCells: Int
    let sizeCells: Int
    var entryBytes: Int { (addressCells + sizeCells) * 4 }
}

/// The property readings `PlatformDescription` repeats, each turning a
/// missing or misshapen property into its `DeviceTreeError`.
private struct PlatformReader {
    let tree: FlattenedDeviceTree

    /// The `#address-cells` / `#size-cells` a node gives its children. The
    /// defaults when absent are 2 and 1 (§2.3.5). Addresses of 1 or 2 cells
    /// and sizes of 1 or 2 cells are supported.
    func cellLayout(of node: DeviceTreeNode) throws(DeviceTreeError) -> CellLayout {
        CellLayout(
            addressCells: try cells("#address-cells", of: node, default: 2, allowed: 1 ... 2),
            sizeCells: try cells("#size-cells", of: node, default: 1, allowed: 1 ... 2))
    }

    func cells(
        _ name: StaticString, of node: DeviceTreeNode, default defaultValue: UInt32, allowed: ClosedRange<UInt32>
    ) throws(DeviceTreeError) -> Int {
        let value = try uint32(name, of: node) ?? defaultValue
        guard allowed.contains(value) else { throw .unsupportedCellCount(DeviceTreeName(stringLiteral: name), value) }
        return Int(value)
    }

    /// A `<u32>` property, or `nil` when absent.
    func uint32(_ name: StaticString, of node: DeviceTreeNode) throws(DeviceTreeError) -> UInt32? {
        guard let value = try tree.value(name, of: node) else { return nil }
        guard value.count == 4, let number = value.cell(0) else {
            throw .badPropertyLength(DeviceTreeName(stringLiteral: name), length: value.count)
        }
        return number
    }

    func required(
        _ name: StaticString, of node: DeviceTreeNode, in nodeName: DeviceTreeName
    ) throws(DeviceTreeError) -> DeviceTreeValue {
        guard let value = try tree.value(name, of: node) else {
            throw .missingProperty(DeviceTreeName(stringLiteral: name), node: nodeName)
        }
        return value
    }

    /// `status` absent, "okay" or "ok" (§2.3.4).
    func isEnabled(_ node: DeviceTreeNode) throws(DeviceTreeError) -> Bool {
        guard let status = try tree.value("status", of: node) else { return true }
        return status.isString("okay") || status.isString("ok")
    }

    func firstEnabledChild(
        of parent: DeviceTreeNode, compatibleWith compatible: StaticString
    ) throws(DeviceTreeError) -> DeviceTreeNode? {
        var children = tree.children(of: parent)
        while let node = try children.next() {
            guard let value = try tree.value("compatible", of: node), value.containsString(compatible) else {
                continue
            }
            if try isEnabled(node) { return node }
        }
        return nil
    }

    func enableMethod(of node: DeviceTreeNode) throws(DeviceTreeError) -> CPUEnableMethod? {
        guard let value = try tree.value("enable-method", of: node) else { return nil }
        if value.isString("psci") { return .psci }
        if value.isString("spin-table") { return .spinTable }
        return .other
    }

    /// Whole `reg` entries in `reg`; its length must be a multiple of one.
    func entryCount(_ reg: DeviceTreeValue, layout: CellLayout) throws(DeviceTreeError) -> Int {
        guard reg.count % layout.entryBytes == 0 else { throw .badPropertyLength("reg", length: reg.count) }
        return reg.count / layout.entryBytes
    }

    func range(_ reg: DeviceTreeValue, entry: Int, layout: CellLayout) throws(DeviceTreeError) -> PhysicalAddressRange {
        let first = entry * (layout.addressCells + layout.sizeCells)
        guard let base = reg.number(atCell: first, cells: layout.addressCells),
              let size = reg.number(atCell: first + layout.addressCells, cells: layout.sizeCells)
        else {
            throw .badPropertyLength("reg", length: reg.count)
        }
        guard let range = PhysicalAddressRange(base: base, size: size) else {
            throw .addressRangeOverflow(base: base, size: size)
        }
        return range
    }

    /// `reg` = distributor, then `#redistributor-regions` redistributor
    /// regions (then GICC/GICH/GICV frames, not used here).
    func gic(_ node: DeviceTreeNode, layout: CellLayout) throws(DeviceTreeError) -> GICDescription {
        let reg = try required("reg", of: node, in: "arm,gic-v3")
        let regionCount = try cells(
            "#redistributor-regions", of: node, default: 1,
            allowed: 1 ... UInt32(GICDescription.maximumRedistributorRegions))
        guard try entryCount(reg, layout: layout) >= 1 + regionCount else {
            throw .badPropertyLength("reg", length: reg.count)
        }
        let distributor = try range(reg, entry: 0, layout: layout)
        var regions = InlineArray<8, PhysicalAddressRange>(repeating: distributor)
        for index in 0 ..< min(regionCount, regions.count) {
            regions[index] = try range(reg, entry: 1 + index, layout: layout)
        }
        // `redistributor-stride` (<u64>): the distance between consecutive
        // redistributors when padding pages separate them. The binding asks
        // for a multiple of 64 KiB; it must also hold at least the RD_base
        // and SGI_base frames, or the frame walk would read one frame as two
        // redistributors (and a zero stride would never advance).
        var stride: UInt64?
        if let value = try tree.value("redistributor-stride", of: node) {
            guard value.count == 8, let number = value.number(atCell: 0, cells: 2) else {
                throw .badPropertyLength("redistributor-stride", length: value.count)
            }
            guard number % UInt64(RedistributorRegister.frameSize) == 0, number >= RedistributorType.gicv3FrameSize else {
                throw .badRedistributorStride(number)
            }
            stride = number
        }
        // Three cells (type, number, flags); a fourth, when present, names
        // a PPI partition and is not read.
        let interruptCells = try cells("#interrupt-cells", of: node, default: 3, allowed: 3 ... 4)
        var gic = GICDescription(
            distributor: distributor, redistributorRegionCount: regionCount,
            redistributorStride: stride, interruptCells: interruptCells, redistributorRegions: regions)
        gic.its = try its(of: node)
        return gic
    }

    /// The first enabled "arm,gic-v3-its" child of the GIC node: its first
    /// `reg` entry, in the cells the GIC node gives its children (QEMU
    /// `virt`: 2 and 2, with an empty `ranges`, so child addresses are
    /// physical; a non-empty `ranges` is not translated, as elsewhere here).
    func its(of gicNode: DeviceTreeNode) throws(DeviceTreeError) -> PhysicalAddressRange? {
        guard let node = try firstEnabledChild(of: gicNode, compatibleWith: "arm,gic-v3-its") else { return nil }
        let layout = try cellLayout(of: gicNode)
        let reg = try required("reg", of: node, in: "arm,gic-v3-its")
        guard try entryCount(reg, layout: layout) >= 1 else { throw .badPropertyLength("reg", length: reg.count) }
        return try range(reg, entry: 0, layout: layout)
    }

    /// The PSCI node: `method`, the newest binding its `compatible` lists
    /// and, for the 0.1 binding, the function-ID properties (QEMU writes
    /// them for every binding; they are only used under 0.1).
    func psci(_ node: DeviceTreeNode) throws(DeviceTreeError) -> PSCIDescription {
        let method = try required("method", of: node, in: "psci")
        let conduit: PSCIConduit
        if method.isString("hvc") {
            conduit = .hvc
        } else if method.isString("smc") {
            conduit = .smc
        } else {
            throw .unknownPSCIMethod
        }
        let compatible = try required("compatible", of: node, in: "psci")
        guard let binding = PSCIBinding.newest(in: compatible) else { throw .missingDevice(compatible: "arm,psci") }
        return PSCIDescription(
            conduit: conduit,
            binding: binding,
            cpuSuspendFunctionID: try uint32("cpu_suspend", of: node),
            cpuOffFunctionID: try uint32("cpu_off", of: node),
            cpuOnFunctionID: try uint32("cpu_on", of: node),
            migrateFunctionID: try uint32("migrate", of: node))
    }

    /// First `reg` entry and first `interrupts` specifier of `node`.
    func peripheral(
        _ node: DeviceTreeNode, name: DeviceTreeName, layout: CellLayout, interruptCells: Int
    ) throws(DeviceTreeError) -> PeripheralDescription {
        let reg = try required("reg", of: node, in: name)
        _ = try entryCount(reg, layout: layout)
        guard reg.count > 0 else { throw .badPropertyLength("reg", length: 0) }
        let registers = try range(reg, entry: 0, layout: layout)
        let interrupts = try required("interrupts", of: node, in: name)
        guard interrupts.count > 0, interrupts.count % (interruptCells * 4) == 0,
              let specifier = InterruptSpecifier(interrupts, atCell: 0)
        else {
            throw .badPropertyLength("interrupts", length: interrupts.count)
        }
        guard let interrupt = specifier.interruptID else {
            throw .badInterruptSpecifier(type: specifier.type, number: specifier.number)
        }
        return PeripheralDescription(registers: registers, interrupt: interrupt)
    }
}
