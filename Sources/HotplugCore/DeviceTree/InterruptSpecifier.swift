/// One interrupt as the Arm GIC devicetree binding ("arm,gic-v3") writes it
/// in an `interrupts` property: three cells, type, number and flags.
///
/// The number counts from the start of its type's range, so the INTID is
/// the range's first INTID plus the number (GICv3, IHI 0069 §2.2): an SPI
/// with number 1 is INTID 33. The binding's types are 0 SPI, 1 PPI,
/// 2 extended SPI, 3 extended PPI.
public struct InterruptSpecifier: Equatable, Sendable {
    /// Cell 0: which INTID range the number counts in.
    public let type: UInt32
    /// Cell 1: the interrupt's number within that range.
    public let number: UInt32
    /// Cell 2: trigger type in bits 3:0 (other bits are GICv2-era CPU masks
    /// for PPIs, meaningless on GICv3).
    public let flags: UInt32

    public static let sharedType: UInt32 = 0
    public static let privateType: UInt32 = 1
    public static let extendedSharedType: UInt32 = 2
    public static let extendedPrivateType: UInt32 = 3

    public init(type: UInt32, number: UInt32, flags: UInt32) {
        self.type = type
        self.number = number
        self.flags = flags
    }

    /// Reads the specifier at cell `index` of an `interrupts` value; `nil`
    /// when the three cells are not all there.
    public init?(_ value: DeviceTreeValue, atCell index: Int) {
        guard let type = value.cell(index), let number = value.cell(index + 1),
              let flags = value.cell(index + 2)
        else { return nil }
        self.init(type: type, number: number, flags: flags)
    }

    /// The INTID this specifier names, or `nil` for an unknown type or a
    /// number past the end of its range.
    public var interruptID: InterruptID? {
        let first: UInt32
        let last: UInt32
        switch type {
        case InterruptSpecifier.sharedType:
            (first, last) = (InterruptID.firstSPI, InterruptID.lastSPI)
        case InterruptSpecifier.privateType:
            (first, last) = (16, 31)
        case InterruptSpecifier.extendedSharedType:
            (first, last) = (InterruptID.firstExtendedSPI, InterruptID.lastExtendedSPI)
        case InterruptSpecifier.extendedPrivateType:
            (first, last) = (1056, 1119)
        default:
            return nil
        }
        guard number <= last - first else { return nil }
        return InterruptID(first + number)
    }

    /// The trigger named by the flags cell, or `nil` when bits 3:0 name
    /// none or several.
    public var trigger: InterruptTrigger? {
        switch flags & 0xF {
        case 1: return .risingEdge
        case 2: return .fallingEdge
        case 4: return .activeHighLevel
        case 8: return .activeLowLevel
        default: return nil
        }
    }
}

/// How an interrupt line signals, from a specifier's flags cell. A GICv3
/// takes SPIs and PPIs only as rising edge or active-high level
/// (`GICD_ICFGR<n>`, IHI 0069); the others appear in trees for
/// other controllers.
public enum InterruptTrigger: Equatable, Sendable {
    case risingEdge
    case fallingEdge
    case activeHighLevel
    case activeLowLevel
}
