/// What is wrong with a device tree: either the blob itself is malformed
/// (devicetree specification v0.4 §5) or it lacks something the platform
/// needs (`PlatformDescription`).
///
/// Every malformed input ends in one of these, never in a trap: the image
/// reads the blob before it has anywhere to report a crash.
public enum DeviceTreeError: Error, Equatable {
    // MARK: The blob (§5.2 header, §5.4 structure block, §5.5 strings block)

    /// The buffer holds `available` bytes where `needed` are required: a
    /// header cut short, or a blob shorter than its header's `totalsize`.
    case truncated(needed: Int, available: Int)
    /// The first word is not 0xd00dfeed.
    case badMagic(UInt32)
    /// The header's `totalsize` is smaller than the header itself.
    case badTotalSize(Int)
    /// `version` below 16, or `last_comp_version` above 17: a layout this
    /// reader does not know.
    case unsupportedVersion(version: UInt32, lastCompatibleVersion: UInt32)
    /// The header places a block (offset and size) partly or wholly outside
    /// the blob, or over the header.
    case blockOutOfBounds(DeviceTreeBlock, offset: Int, size: Int)
    /// A token at structure offset `offset` (from the blob's start) does not
    /// fit before the end of the structure block.
    case unexpectedEndOfStructure(offset: Int)
    /// A word in the structure block that is no token (§5.4.1).
    case badToken(UInt32, offset: Int)
    /// A node name or property name with no NUL before its block ends.
    case unterminatedString(DeviceTreeBlock, offset: Int)
    /// A property's `nameoff` points past the end of the strings block.
    case offsetOutOfBounds(DeviceTreeBlock, offset: Int)
    /// A property at `offset` claims a value of `length` bytes that runs
    /// past the end of the structure block.
    case propertyValueOutOfBounds(offset: Int, length: UInt32)
    /// The tokens do not nest into exactly one root node followed by
    /// FDT_END: a stray FDT_END_NODE, a property outside any node, a second
    /// root, or FDT_END inside an open node.
    case unbalancedNodes(offset: Int)

    // MARK: The platform

    /// A node the platform needs, by path, is absent.
    case missingNode(DeviceTreeName)
    /// No enabled node is compatible with this string.
    case missingDevice(compatible: DeviceTreeName)
    /// A required property is absent from a node.
    case missingProperty(DeviceTreeName, node: DeviceTreeName)
    /// A property's length does not fit its binding.
    case badPropertyLength(DeviceTreeName, length: Int)
    /// An `#address-cells`, `#size-cells`, `#interrupt-cells` or
    /// `#redistributor-regions` value this reader cannot use.
    case unsupportedCellCount(DeviceTreeName, UInt32)
    /// A GICv3 `redistributor-stride` that is not a multiple of 64 KiB or
    /// is smaller than one redistributor's two frames (128 KiB).
    case badRedistributorStride(UInt64)
    /// More CPU nodes than `PlatformDescription.maximumCPUs`.
    case tooManyCPUs(limit: Int)
    /// A CPU node `reg` with bits set outside the MPIDR affinity fields.
    case invalidCPUAffinity(UInt64)
    /// Two CPU nodes with the same affinity.
    case duplicateCPU(MPIDRAffinity)
    /// `/psci` `method` is neither "hvc" nor "smc".
    case unknownPSCIMethod
    /// A GIC interrupt specifier naming no interrupt (type, number cells).
    case badInterruptSpecifier(type: UInt32, number: UInt32)
    /// A `reg` entry whose base plus size does not fit in 64 bits.
    case addressRangeOverflow(base: UInt64, size: UInt64)

    /// One line saying what is wrong, for the boot log.
    public var message: String {
        switch self {
        case let .truncated(needed, available):
            return "device tree truncated: needs \(needed) bytes, has \(available)"
        case let .badMagic(value):
            return "device tree magic is \(hex(value)), not 0xd00dfeed"
        case let .badTotalSize(size):
            return "device tree totalsize \(size) is smaller than its header"
        case let .unsupportedVersion(version, lastCompatible):
            return "device tree version \(version) (compatible down to \(lastCompatible)) is not 16 or 17"
        case let .blockOutOfBounds(block, offset, size):
            return "device tree \(block.name) block (offset \(hex(offset)), size \(hex(size))) lies outside the blob"
        case let .unexpectedEndOfStructure(offset):
            return "device tree structure block ends inside the token at \(hex(offset))"
        case let .badToken(token, offset):
            return "device tree has bad token \(hex(token)) at \(hex(offset))"
        case let .unterminatedString(block, offset):
            return "device tree name at \(hex(offset)) runs off the end of the \(block.name) block"
        case let .offsetOutOfBounds(block, offset):
            return "device tree offset \(hex(offset)) is past the end of the \(block.name) block"
        case let .propertyValueOutOfBounds(offset, length):
            return "device tree property at \(hex(offset)) claims \(length) bytes past the end of the structure block"
        case let .unbalancedNodes(offset):
            return "device tree nodes do not nest properly at \(hex(offset))"
        case let .missingNode(path):
            return "device tree has no node \(path.text)"
        case let .missingDevice(compatible):
            return "device tree has no enabled node compatible with \(compatible.text)"
        case let .missingProperty(property, node):
            return "device tree node \(node.text) has no property \(property.text)"
        case let .badPropertyLength(property, length):
            return "device tree property \(property.text) has unusable length \(length)"
        case let .unsupportedCellCount(property, value):
            return "device tree \(property.text) = \(value) is not supported"
        case let .badRedistributorStride(stride):
            return "device tree redistributor-stride \(hex(stride)) is not a multiple of 0x10000 of at least 0x20000"
        case let .tooManyCPUs(limit):
            return "device tree describes more than \(limit) CPUs"
        case let .invalidCPUAffinity(reg):
            return "device tree CPU reg \(hex(reg)) has bits outside the MPIDR affinity fields"
        case let .duplicateCPU(affinity):
            return "device tree has two CPUs with affinity \(hex(affinity.rawValue))"
        case .unknownPSCIMethod:
            return "device tree PSCI method is neither hvc nor smc"
        case let .badInterruptSpecifier(type, number):
            return "device tree interrupt specifier <\(type) \(number)> names no GIC interrupt"
        case let .addressRangeOverflow(base, size):
            return "device tree range \(hex(base)) + \(hex(size)) overflows 64 bits"
        }
    }

    private func hex<T: BinaryInteger>(_ value: T) -> String {
        "0x" + String(value, radix: 16)
    }
}

/// The blocks of a flattened devicetree that the header locates (§5.2).
public enum DeviceTreeBlock: Equatable, Sendable {
    /// §5.4: the tokens that make up the nodes and properties.
    case structure
    /// §5.5: the property names, referred to by offset.
    case strings

    var name: String {
        switch self {
        case .structure: return "structure"
        case .strings: return "strings"
        }
    }
}

/// A node path, property name or compatible string named in an error: a
/// string literal, compared by its bytes (so errors stay `Equatable` and
/// allocation-free until `message` is asked for).
public struct DeviceTreeName: Equatable, ExpressibleByStringLiteral, Sendable {
    public let literal: StaticString

    public init(stringLiteral literal: StaticString) {
        self.literal = literal
    }

    public static func == (lhs: DeviceTreeName, rhs: DeviceTreeName) -> Bool {
        rhs.literal.withUTF8Buffer { right in
            BigEndian.bytes(UnsafeRawBufferPointer(right), start: 0, length: right.count, equal: lhs.literal)
        }
    }

    /// The name as a `String` (allocates).
    public var text: String {
        literal.withUTF8Buffer { String(decoding: $0, as: UTF8.self) }
    }
}
