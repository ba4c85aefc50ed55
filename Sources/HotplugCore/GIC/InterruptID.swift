/// A GIC interrupt identifier (INTID), GICv3 architecture specification
/// (IHI 0069) §2.2 "INTIDs".
///
/// The ranges: SGIs 0–15, PPIs 16–31, SPIs 32–1019, special 1020–1023,
/// extended PPIs 1056–1119, extended SPIs 4096–5119, LPIs from 8192.
public struct InterruptID: Hashable, Comparable, Sendable {
    public let rawValue: UInt32

    @inline(__always)
    public init(_ rawValue: UInt32) {
        self.rawValue = rawValue
    }

    public static func < (lhs: InterruptID, rhs: InterruptID) -> Bool {
        lhs.rawValue < rhs.rawValue
    }

    /// First SPI; also the number of per-CPU (SGI + PPI) INTIDs.
    public static let firstSPI: UInt32 = 32
    /// Last INTID a GICv3 SPI can have (ITLinesNumber caps at 1019).
    public static let lastSPI: UInt32 = 1019
    /// First extended SPI (§2.2.1).
    public static let firstExtendedSPI: UInt32 = 4096
    /// Last possible extended SPI: 1024 of them at most.
    public static let lastExtendedSPI: UInt32 = 5119
    /// Last INTID any GICv3 can have: `GICD_TYPER.IDbits` is at most 24
    /// bits (§12.9.38), so LPIs end at 2^24 − 1.
    public static let lastLPI: UInt32 = (1 << 24) - 1
    /// INTID returned by `ICC_IAR1_EL1` when nothing is pending.
    public static let spurious = InterruptID(1023)

    /// The class of this INTID.
    public var kind: InterruptKind {
        switch rawValue {
        case 0 ..< 16: return .sgi
        case 16 ..< 32: return .ppi
        case 32 ... 1019: return .spi
        case 1020 ... 1023: return .special
        case 1056 ... 1119: return .extendedPPI
        case 4096 ... 5119: return .extendedSPI
        case 8192...: return .lpi
        default: return .reserved
        }
    }

    /// Whether this INTID is shared (SPI or extended SPI), i.e. has a
    /// `GICD_IROUTER` register and can be moved between CPUs.
    public var isShared: Bool {
        kind == .spi || kind == .extendedSPI
    }
}

/// What an INTID is, by range (IHI 0069 §2.2, Table 2-1).
public enum InterruptKind: Equatable, Sendable {
    /// Software generated, per CPU.
    case sgi
    /// Private peripheral, per CPU.
    case ppi
    /// Shared peripheral: routable with `GICD_IROUTER`.
    case spi
    /// 1020–1023: not interrupts (1023 is "spurious").
    case special
    /// Extended PPI range (GICv3.1), per CPU.
    case extendedPPI
    /// Extended SPI range (GICv3.1): routable with `GICD_IROUTERnE`.
    case extendedSPI
    /// Locality-specific peripheral (ITS); not used here.
    case lpi
    /// An INTID value no interrupt can have.
    case reserved
}
