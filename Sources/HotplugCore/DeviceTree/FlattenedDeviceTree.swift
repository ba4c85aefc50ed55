/// A flattened devicetree blob (DTB), read in place: devicetree
/// specification v0.4 §5 "Flattened Devicetree (DTB) Format".
///
/// `init` checks the header (§5.2) and walks the whole structure block
/// (§5.4) once, so a tree that was built is known to be well formed: every
/// token valid, every name terminated, every property value and name inside
/// its block, nodes nested into one root. Reading it afterwards still checks
/// every access; no input can make the reader trap or read outside the blob.
///
/// Nothing is copied or allocated: nodes and properties are small values
/// holding offsets into the blob, and names are compared as bytes against
/// string literals. The tree borrows the blob; the memory must stay mapped
/// and unchanged for as long as the tree, its nodes and values are used.
public struct FlattenedDeviceTree {
    /// §5.2 `magic`, stored big-endian.
    public static let magic: UInt32 = 0xD00D_FEED
    /// Size of a version 17 header (ten 32-bit fields), §5.2.
    public static let headerSize = 40
    /// Oldest header version read: 16 lacks only `size_dt_struct`.
    public static let oldestVersion: UInt32 = 16
    /// Newest layout understood; later versions stay readable when their
    /// `last_comp_version` is at most this.
    public static let newestVersion: UInt32 = 17

    /// The blob, cut to its header's `totalsize`.
    public let blob: UnsafeRawBufferPointer
    /// §5.2 `version`.
    public let version: UInt32
    /// §5.2 `boot_cpuid_phys`: the `reg` of the CPU node of the boot CPU.
    public let bootCPUPhysicalID: UInt32
    /// The root node (`/`).
    public let root: DeviceTreeNode
    let structure: StructureBlock

    /// The blob's length according to the `totalsize` field of `header`,
    /// which needs to hold only the first 8 bytes: lets the image read the
    /// header where firmware left the blob, then view exactly that many bytes.
    public static func totalSize(of header: UnsafeRawBufferPointer) throws(DeviceTreeError) -> Int {
        guard let magic = BigEndian.uint32(in: header, at: 0) else {
            throw .truncated(needed: 8, available: header.count)
        }
        guard magic == FlattenedDeviceTree.magic else { throw .badMagic(magic) }
        guard let totalSize = BigEndian.uint32(in: header, at: 4) else {
            throw .truncated(needed: 8, available: header.count)
        }
        guard Int(totalSize) >= headerSize else { throw .badTotalSize(Int(totalSize)) }
        return Int(totalSize)
    }

    /// Checks the header and the structure block of `blob` (see the type's
    /// comment). `blob` may be longer than the tree; it is cut to `totalsize`.
    public init(_ blob: UnsafeRawBufferPointer) throws(DeviceTreeError) {
        let totalSize = try FlattenedDeviceTree.totalSize(of: blob)
        guard blob.count >= totalSize else {
            throw .truncated(needed: totalSize, available: blob.count)
        }
        let tree = UnsafeRawBufferPointer(rebasing: blob[0 ..< totalSize])
        // Every field below lies inside the 40 bytes `totalSize(of:)` vouched for.
        func field(_ index: Int) -> Int { Int(BigEndian.uint32(in: tree, at: 4 * index) ?? 0) }
        let structureOffset = field(2)
        let stringsOffset = field(3)
        let version = UInt32(field(5))
        let lastCompatibleVersion = UInt32(field(6))
        let stringsSize = field(8)

        guard version >= FlattenedDeviceTree.oldestVersion,
              lastCompatibleVersion <= FlattenedDeviceTree.newestVersion
        else {
            throw .unsupportedVersion(version: version, lastCompatibleVersion: lastCompatibleVersion)
        }
        // Version 16 has no `size_dt_struct` (field 9 is already data): its
        // structure block can only be bounded by the end of the blob.
        let headerEnd = version >= 17 ? FlattenedDeviceTree.headerSize : FlattenedDeviceTree.headerSize - 4
        let structureSize = version >= 17 ? field(9) : max(0, totalSize - structureOffset)
        guard FlattenedDeviceTree.block(at: structureOffset, size: structureSize, fitsBetween: headerEnd, and: totalSize) else {
            throw .blockOutOfBounds(.structure, offset: structureOffset, size: structureSize)
        }
        guard FlattenedDeviceTree.block(at: stringsOffset, size: stringsSize, fitsBetween: headerEnd, and: totalSize) else {
            throw .blockOutOfBounds(.strings, offset: stringsOffset, size: stringsSize)
        }

        let structure = StructureBlock(
            blob: tree,
            start: structureOffset, end: structureOffset + structureSize,
            stringsStart: stringsOffset, stringsEnd: stringsOffset + stringsSize)
        self.root = try structure.validate()
        self.blob = tree
        self.version = version
        self.bootCPUPhysicalID = UInt32(field(7))
        self.structure = structure
    }

    private static func block(at offset: Int, size: Int, fitsBetween low: Int, and high: Int) -> Bool {
        offset >= low && offset <= high && size <= high - offset
    }

    // MARK: Walking

    /// The children of `node`, in blob order.
    public func children(of node: DeviceTreeNode) -> DeviceTreeChildren {
        DeviceTreeChildren(structure: structure, offset: node.contentOffset)
    }

    /// The properties of `node`, in blob order.
    public func properties(of node: DeviceTreeNode) -> DeviceTreeProperties {
        DeviceTreeProperties(structure: structure, offset: node.contentOffset)
    }

    /// The first child of `node` whose name matches `name` (see
    /// `node(_:isNamed:)`), or `nil`.
    public func child(of node: DeviceTreeNode, named name: StaticString) throws(DeviceTreeError) -> DeviceTreeNode? {
        var children = children(of: node)
        while let child = try children.next() {
            if self.node(child, isNamed: name) { return child }
        }
        return nil
    }

    /// The property of `node` called `name`, or `nil`.
    public func property(_ name: StaticString, of node: DeviceTreeNode) throws(DeviceTreeError) -> DeviceTreeProperty? {
        var properties = properties(of: node)
        while let property = try properties.next() {
            if self.property(property, isNamed: name) { return property }
        }
        return nil
    }

    /// The value of property `name` of `node`, or `nil` when it is absent.
    public func value(_ name: StaticString, of node: DeviceTreeNode) throws(DeviceTreeError) -> DeviceTreeValue? {
        guard let property = try property(name, of: node) else { return nil }
        return value(of: property)
    }

    // MARK: Names and values

    /// Whether `node` is called `name`. A `name` without `@` is compared
    /// with the node name proper, before any unit address (§2.2.1: "cpu"
    /// matches "cpu@1"); a `name` with `@` must match the whole node name.
    public func node(_ node: DeviceTreeNode, isNamed name: StaticString) -> Bool {
        let fullName = self.name(of: node)
        let hasUnitAddress = name.withUTF8Buffer { $0.contains(UInt8(ascii: "@")) }
        let length = hasUnitAddress ? fullName.count : (fullName.firstIndex(of: UInt8(ascii: "@")) ?? fullName.count)
        return BigEndian.bytes(fullName, start: 0, length: length, equal: name)
    }

    /// The node's full name (with any unit address), without its NUL.
    public func name(of node: DeviceTreeNode) -> UnsafeRawBufferPointer {
        bytes(start: node.nameStart, length: node.nameLength)
    }

    /// Whether `property` is called `name`.
    public func property(_ property: DeviceTreeProperty, isNamed name: StaticString) -> Bool {
        BigEndian.bytes(blob, start: property.nameStart, length: property.nameLength, equal: name)
    }

    /// The bytes of `property`'s value.
    public func value(of property: DeviceTreeProperty) -> DeviceTreeValue {
        DeviceTreeValue(bytes(start: property.valueStart, length: property.valueLength))
    }

    /// A span of the blob. Nodes and properties of this tree always lie
    /// inside it; one from another tree gets an empty span, not a trap.
    private func bytes(start: Int, length: Int) -> UnsafeRawBufferPointer {
        guard start >= 0, length >= 0, length <= blob.count, start <= blob.count - length else {
            return UnsafeRawBufferPointer(start: nil, count: 0)
        }
        return UnsafeRawBufferPointer(rebasing: blob[start ..< start + length])
    }
}

/// A node of the tree: where its FDT_BEGIN_NODE token and name are in the blob.
public struct DeviceTreeNode: Equatable, Sendable {
    /// Blob offset of the node's FDT_BEGIN_NODE token.
    public let offset: Int
    let nameStart: Int
    let nameLength: Int
    /// Blob offset of the first token after the name: its properties, then
    /// its children, then its FDT_END_NODE.
    let contentOffset: Int
}

/// A property of a node: where its name (in the strings block) and value
/// (in the structure block) are in the blob.
public struct DeviceTreeProperty: Equatable, Sendable {
    /// Blob offset of the property's FDT_PROP token.
    public let offset: Int
    let nameStart: Int
    let nameLength: Int
    let valueStart: Int
    /// Length of the value in bytes.
    public let valueLength: Int
}

/// The children of one node, in blob order: `while let child = try
/// children.next() { … }`. (Not a `Sequence`: reading can throw.)
public struct DeviceTreeChildren {
    let structure: StructureBlock
    var offset: Int
    var finished = false

    public mutating func next() throws(DeviceTreeError) -> DeviceTreeNode? {
        while !finished {
            let (token, next) = try structure.token(at: offset)
            switch token {
            case .property, .nop:
                offset = next
            case let .beginNode(child):
                offset = try structure.offsetAfter(child)
                return child
            case .endNode:
                finished = true
            case .end:
                throw .unbalancedNodes(offset: offset)
            }
        }
        return nil
    }
}

/// The properties of one node, in blob order: `while let property = try
/// properties.next() { … }`. Properties precede child nodes (§5.4.2).
public struct DeviceTreeProperties {
    let structure: StructureBlock
    var offset: Int
    var finished = false

    public mutating func next() throws(DeviceTreeError) -> DeviceTreeProperty? {
        while !finished {
            let (token, next) = try structure.token(at: offset)
            switch token {
            case let .property(property):
                offset = next
                return property
            case .nop:
                offset = next
            case .beginNode, .endNode:
                finished = true
            case .end:
                throw .unbalancedNodes(offset: offset)
            }
        }
        return nil
    }
}

/// One token of the structure block, decoded (§5.4.1).
enum StructureToken {
    case beginNode(DeviceTreeNode)
    case endNode
    case property(DeviceTreeProperty)
    case nop
    case end

    /// The token values, as stored (big-endian) in the blob.
    static let beginNodeValue: UInt32 = 1
    static let endNodeValue: UInt32 = 2
    static let propertyValue: UInt32 = 3
    static let nopValue: UInt32 = 4
    static let endValue: UInt32 = 9
}

/// The structure and strings blocks' bounds in the blob, and the decoding of
/// one token at a time with every read checked against them.
struct StructureBlock {
    let blob: UnsafeRawBufferPointer
    let start: Int
    let end: Int
    let stringsStart: Int
    let stringsEnd: Int

    /// Decodes the token at blob offset `offset`, returning it and the
    /// offset of the token after it. Each token takes at least 4 bytes, so
    /// a walk that follows `next` always moves forward and ends.
    func token(at offset: Int) throws(DeviceTreeError) -> (StructureToken, next: Int) {
        guard offset >= start, offset <= end - 4, let value = BigEndian.uint32(in: blob, at: offset) else {
            throw .unexpectedEndOfStructure(offset: offset)
        }
        switch value {
        case StructureToken.beginNodeValue:
            let nameStart = offset + 4
            let nameLength = try terminatedLength(from: nameStart, before: end, in: .structure)
            let node = DeviceTreeNode(
                offset: offset, nameStart: nameStart, nameLength: nameLength,
                contentOffset: aligned(nameStart + nameLength + 1))
            return (.beginNode(node), node.contentOffset)
        case StructureToken.endNodeValue:
            return (.endNode, offset + 4)
        case StructureToken.propertyValue:
            // struct { uint32 len; uint32 nameoff; } then len bytes (§5.4.1).
            guard offset <= end - 12,
                  let length = BigEndian.uint32(in: blob, at: offset + 4),
                  let nameOffset = BigEndian.uint32(in: blob, at: offset + 8)
            else {
                throw .unexpectedEndOfStructure(offset: offset)
            }
            let valueStart = offset + 12
            guard Int(length) <= end - valueStart else {
                throw .propertyValueOutOfBounds(offset: offset, length: length)
            }
            guard Int(nameOffset) < stringsEnd - stringsStart else {
                throw .offsetOutOfBounds(.strings, offset: Int(nameOffset))
            }
            let nameStart = stringsStart + Int(nameOffset)
            let nameLength = try terminatedLength(from: nameStart, before: stringsEnd, in: .strings)
            let property = DeviceTreeProperty(
                offset: offset, nameStart: nameStart, nameLength: nameLength,
                valueStart: valueStart, valueLength: Int(length))
            return (.property(property), aligned(valueStart + Int(length)))
        case StructureToken.nopValue:
            return (.nop, offset + 4)
        case StructureToken.endValue:
            return (.end, offset + 4)
        default:
            throw .badToken(value, offset: offset)
        }
    }

    /// The offset just past the FDT_END_NODE that closes `node`.
    func offsetAfter(_ node: DeviceTreeNode) throws(DeviceTreeError) -> Int {
        var depth = 1
        var offset = node.contentOffset
        while true {
            let (token, next) = try token(at: offset)
            switch token {
            case .beginNode:
                depth += 1
            case .endNode:
                depth -= 1
                if depth == 0 { return next }
            case .property, .nop:
                break
            case .end:
                throw .unbalancedNodes(offset: offset)
            }
            offset = next
        }
    }

    /// Walks the whole block: NOPs, one root node holding properties and
    /// nested nodes, then FDT_END. Returns the root.
    func validate() throws(DeviceTreeError) -> DeviceTreeNode {
        var offset = start
        var root: DeviceTreeNode?
        var depth = 0
        while true {
            let (token, next) = try token(at: offset)
            switch token {
            case let .beginNode(node):
                if depth == 0 {
                    guard root == nil else { throw .unbalancedNodes(offset: offset) }
                    root = node
                }
                depth += 1
            case .endNode:
                guard depth > 0 else { throw .unbalancedNodes(offset: offset) }
                depth -= 1
            case .property:
                guard depth > 0 else { throw .unbalancedNodes(offset: offset) }
            case .nop:
                break
            case .end:
                guard depth == 0, let root else { throw .unbalancedNodes(offset: offset) }
                return root
            }
            offset = next
        }
    }

    /// Length of the NUL-terminated string at `offset`, which must end
    /// before `limit`.
    private func terminatedLength(
        from offset: Int, before limit: Int, in block: DeviceTreeBlock
    ) throws(DeviceTreeError) -> Int {
        var index = offset
        while index < limit {
            if blob[index] == 0 { return index - offset }
            index += 1
        }
        throw .unterminatedString(block, offset: offset)
    }

    /// Tokens sit on 4-byte boundaries of the structure block (§5.4.1).
    private func aligned(_ offset: Int) -> Int {
        start + ((offset - start + 3) & ~3)
    }
}
