// The numbers the ITS works with, each its own type (IHI 0069 §5.1): a
// device writes its EventID to `GITS_TRANSLATER` with its DeviceID beside
// it; the ITS looks the pair up in the device's Interrupt Translation Table
// and finds an LPI INTID and a collection (ICID); the collection names the
// redistributor, and so the PE, that gets the LPI.

/// A DeviceID: which device (bus requester) an MSI came from; 32 bits at
/// most, `GITS_TYPER.Devbits` + 1 on a given ITS.
public struct ITSDeviceID: Hashable, Comparable, Sendable {
    public let rawValue: UInt32

    @inline(__always)
    public init(_ rawValue: UInt32) {
        self.rawValue = rawValue
    }

    public static func < (lhs: ITSDeviceID, rhs: ITSDeviceID) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// An EventID: which of a device's interrupts; 32 bits at most,
/// `GITS_TYPER.IDbits` + 1 on a given ITS, and fewer for a device whose
/// MAPD gave it a smaller ITT.
public struct ITSEventID: Hashable, Comparable, Sendable {
    public let rawValue: UInt32

    @inline(__always)
    public init(_ rawValue: UInt32) {
        self.rawValue = rawValue
    }

    public static func < (lhs: ITSEventID, rhs: ITSEventID) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// An interrupt collection ID (ICID): a group of LPIs that share a target
/// redistributor. MAPC binds a collection to a redistributor; MOVI moves one
/// LPI to another collection; MOVALL moves every LPI of one redistributor
/// to another. 16 bits at most (`GITS_TYPER.CIL`/`CIDbits`).
public struct ITSCollectionID: Hashable, Comparable, Sendable {
    public let rawValue: UInt16

    @inline(__always)
    public init(_ rawValue: UInt16) {
        self.rawValue = rawValue
    }

    public static func < (lhs: ITSCollectionID, rhs: ITSCollectionID) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The RDbase field of MAPC, MOVALL and SYNC (bits 51:16 of its
/// doubleword): a redistributor, named as `GITS_TYPER.PTA` says — the
/// RD_base physical address (PTA = 1; bits 51:16 of the 64 KiB aligned
/// address) or the PE's processor number from `GICR_TYPER.Processor_Number`
/// (PTA = 0; the number itself in the field). `ITSType.redistributorTarget`
/// picks the form.
public struct ITSTargetRedistributor: Hashable, Sendable {
    /// The field's 36 bits, moved down to bit 0.
    public let field: UInt64

    /// Highest value the field holds (36 bits).
    public static let fieldMask: UInt64 = (1 << 36) - 1

    /// The raw field, as a command holds it.
    /// Precondition: fits in 36 bits.
    @inline(__always)
    public init(field: UInt64) {
        precondition(field <= ITSTargetRedistributor.fieldMask, "RDbase wider than 36 bits")
        self.field = field
    }

    /// A redistributor named by processor number (PTA = 0).
    @inline(__always)
    public init(processorNumber: UInt16) {
        self.field = UInt64(processorNumber)
    }

    /// A redistributor named by its RD_base address (PTA = 1).
    /// Precondition: 64 KiB aligned, below 2^52.
    @inline(__always)
    public init(physicalAddress: UInt64) {
        precondition(physicalAddress & 0xFFFF == 0, "RD_base not 64 KiB aligned")
        precondition(physicalAddress >> 52 == 0, "RD_base beyond 52 bits")
        self.field = physicalAddress >> 16
    }

    /// The address this field names, read as PTA = 1 does.
    public var physicalAddress: UInt64 { field << 16 }

    /// The processor number this field names, read as PTA = 0 does, or nil
    /// when the field is wider than `GICR_TYPER.Processor_Number`'s 16 bits.
    public var processorNumber: UInt16? { field >> 16 == 0 ? UInt16(field) : nil }
}
