// The ITS commands this kernel issues, as the ITS reads them from its
// command queue (Arm IHI 0069 §5.3): 32 bytes, four little-endian 64-bit
// doublewords DW0–DW3, the command number in DW0 bits 7:0, every field at
// the bit position of the command's table in §5.3. Fields not listed are
// RES0 and written as 0.

/// The command number, DW0 bits 7:0 (IHI 0069 §5.3, one subsection per
/// command; the GICv4 virtual commands are not listed).
public enum ITSCommandNumber: UInt8, Sendable, CaseIterable {
    case MOVI = 0x01
    case INT = 0x03
    case CLEAR = 0x04
    case SYNC = 0x05
    case MAPD = 0x08
    case MAPC = 0x09
    case MAPTI = 0x0A
    case MAPI = 0x0B
    case INV = 0x0C
    case INVALL = 0x0D
    case MOVALL = 0x0E
    case DISCARD = 0x0F
}

/// One ITS command and its arguments, named as §5.3 names them.
public enum ITSOperation: Hashable, Sendable {
    /// MAPD: give `device` an Interrupt Translation Table at `ittAddress`
    /// for `eventIDBits`-bit EventIDs (`valid`), or unmap it (`!valid`;
    /// address and size are then ignored by the ITS).
    case MAPD(device: ITSDeviceID, ittAddress: UInt64, eventIDBits: Int, valid: Bool)
    /// MAPC: bind `collection` to a redistributor (`valid`), or unbind it.
    case MAPC(collection: ITSCollectionID, target: ITSTargetRedistributor, valid: Bool)
    /// MAPTI: translate (`device`, `event`) to the LPI `interrupt` in
    /// `collection`.
    case MAPTI(device: ITSDeviceID, event: ITSEventID, interrupt: InterruptID, collection: ITSCollectionID)
    /// MAPI: as MAPTI with the LPI INTID equal to the EventID.
    case MAPI(device: ITSDeviceID, event: ITSEventID, collection: ITSCollectionID)
    /// INT: make the LPI that (`device`, `event`) translates to pending, as
    /// if the device had written `GITS_TRANSLATER`.
    case INT(device: ITSDeviceID, event: ITSEventID)
    /// CLEAR: make that LPI not pending.
    case CLEAR(device: ITSDeviceID, event: ITSEventID)
    /// INV: make the redistributor re-read that LPI's configuration byte.
    case INV(device: ITSDeviceID, event: ITSEventID)
    /// INVALL: re-read the configuration of every LPI of `collection`.
    case INVALL(collection: ITSCollectionID)
    /// MOVI: move the LPI of (`device`, `event`) to `collection`; its
    /// pending state moves with it.
    case MOVI(device: ITSDeviceID, event: ITSEventID, collection: ITSCollectionID)
    /// MOVALL: move every LPI pending or targeted at redistributor `from`
    /// (RDbase1) to redistributor `to` (RDbase2). It moves pending state
    /// only: the collections still name `from` until re-mapped with MAPC.
    case MOVALL(from: ITSTargetRedistributor, to: ITSTargetRedistributor)
    /// SYNC: wait until every earlier command's effect on redistributor
    /// `target` is visible.
    case SYNC(target: ITSTargetRedistributor)
    /// DISCARD: unmap (`device`, `event`) and clear its LPI's pending state.
    case DISCARD(device: ITSDeviceID, event: ITSEventID)

    /// The command number.
    public var number: ITSCommandNumber {
        switch self {
        case .MAPD: return .MAPD
        case .MAPC: return .MAPC
        case .MAPTI: return .MAPTI
        case .MAPI: return .MAPI
        case .INT: return .INT
        case .CLEAR: return .CLEAR
        case .INV: return .INV
        case .INVALL: return .INVALL
        case .MOVI: return .MOVI
        case .MOVALL: return .MOVALL
        case .SYNC: return .SYNC
        case .DISCARD: return .DISCARD
        }
    }
}

/// An encoded ITS command: the four doublewords written to a 32-byte slot
/// of the command queue, DW0 at the lowest address.
public struct ITSCommand: Hashable, Sendable {
    public var dw0: UInt64
    public var dw1: UInt64
    public var dw2: UInt64
    public var dw3: UInt64

    /// Bytes per command: every command takes one 32-byte slot.
    public static let bytes = 32

    @inline(__always)
    public init(dw0: UInt64 = 0, dw1: UInt64 = 0, dw2: UInt64 = 0, dw3: UInt64 = 0) {
        self.dw0 = dw0
        self.dw1 = dw1
        self.dw2 = dw2
        self.dw3 = dw3
    }

    // The fields of §5.3, by doubleword.
    static let commandNumber = ITSBitField(7, 0)
    /// DW0 63:32.
    static let deviceID = ITSBitField(63, 32)
    /// DW1 31:0.
    static let eventID = ITSBitField(31, 0)
    /// DW1 63:32 (MAPTI).
    static let physicalID = ITSBitField(63, 32)
    /// DW1 4:0 (MAPD): EventID bits minus one.
    static let size = ITSBitField(4, 0)
    /// DW2 51:8 (MAPD): ITT address bits 51:8 (256-byte aligned).
    static let ittAddress = ITSBitField(51, 8)
    /// DW2 15:0: ICID.
    static let collection = ITSBitField(15, 0)
    /// DW2 (DW3 for MOVALL's RDbase2) 51:16.
    static let rdBase = ITSBitField(51, 16)
    /// DW2 63 (MAPD, MAPC).
    static let valid = ITSBitField(bit: 63)

    /// ITT addresses are 256-byte aligned (the field starts at bit 8).
    public static let ittAlignment = 256

    /// `operation`, encoded.
    ///
    /// Preconditions: MAPD's `eventIDBits` in 1 ... 32 and `ittAddress`
    /// 256-byte aligned below 2^52; MAPTI's `interrupt` an LPI.
    public init(_ operation: ITSOperation) {
        self.init(dw0: UInt64(operation.number.rawValue))
        switch operation {
        case let .MAPD(device, ittAddress, eventIDBits, valid):
            precondition(eventIDBits >= 1 && eventIDBits <= 32, "MAPD EventID bits outside 1-32")
            precondition(ittAddress % UInt64(ITSCommand.ittAlignment) == 0 && ittAddress >> 52 == 0,
                         "ITT misaligned or beyond 52 bits")
            dw0[field: ITSCommand.deviceID] = UInt64(device.rawValue)
            dw1[field: ITSCommand.size] = UInt64(eventIDBits - 1)
            dw2[field: ITSCommand.ittAddress] = ittAddress >> 8
            dw2[flag: ITSCommand.valid] = valid
        case let .MAPC(collection, target, valid):
            dw2[field: ITSCommand.collection] = UInt64(collection.rawValue)
            dw2[field: ITSCommand.rdBase] = target.field
            dw2[flag: ITSCommand.valid] = valid
        case let .MAPTI(device, event, interrupt, collection):
            precondition(interrupt.kind == .lpi, "MAPTI maps to an LPI")
            set(device, event)
            dw1[field: ITSCommand.physicalID] = UInt64(interrupt.rawValue)
            dw2[field: ITSCommand.collection] = UInt64(collection.rawValue)
        case let .MAPI(device, event, collection), let .MOVI(device, event, collection):
            set(device, event)
            dw2[field: ITSCommand.collection] = UInt64(collection.rawValue)
        case let .INT(device, event), let .CLEAR(device, event), let .INV(device, event),
             let .DISCARD(device, event):
            set(device, event)
        case let .INVALL(collection):
            dw2[field: ITSCommand.collection] = UInt64(collection.rawValue)
        case let .MOVALL(from, to):
            dw2[field: ITSCommand.rdBase] = from.field
            dw3[field: ITSCommand.rdBase] = to.field
        case let .SYNC(target):
            dw2[field: ITSCommand.rdBase] = target.field
        }
    }

    @inline(__always)
    private mutating func set(_ device: ITSDeviceID, _ event: ITSEventID) {
        dw0[field: ITSCommand.deviceID] = UInt64(device.rawValue)
        dw1[field: ITSCommand.eventID] = UInt64(event.rawValue)
    }

    /// The command number, DW0 bits 7:0, when it is one listed here.
    public var number: ITSCommandNumber? { ITSCommandNumber(rawValue: UInt8(dw0[field: ITSCommand.commandNumber])) }

    /// The operation these doublewords encode, or nil when the command
    /// number is not one listed here (or MAPTI names no LPI). Reserved
    /// bits are not checked: the ITS ignores them.
    public var operation: ITSOperation? {
        guard let number else { return nil }
        let device = ITSDeviceID(UInt32(dw0[field: ITSCommand.deviceID]))
        let event = ITSEventID(UInt32(dw1[field: ITSCommand.eventID]))
        let collection = ITSCollectionID(UInt16(dw2[field: ITSCommand.collection]))
        let target = ITSTargetRedistributor(field: dw2[field: ITSCommand.rdBase])
        switch number {
        case .MAPD:
            return .MAPD(
                device: device, ittAddress: dw2[field: ITSCommand.ittAddress] << 8,
                eventIDBits: Int(dw1[field: ITSCommand.size]) + 1, valid: dw2[flag: ITSCommand.valid])
        case .MAPC: return .MAPC(collection: collection, target: target, valid: dw2[flag: ITSCommand.valid])
        case .MAPTI:
            let interrupt = InterruptID(UInt32(dw1[field: ITSCommand.physicalID]))
            guard interrupt.kind == .lpi else { return nil }
            return .MAPTI(device: device, event: event, interrupt: interrupt, collection: collection)
        case .MAPI: return .MAPI(device: device, event: event, collection: collection)
        case .INT: return .INT(device: device, event: event)
        case .CLEAR: return .CLEAR(device: device, event: event)
        case .INV: return .INV(device: device, event: event)
        case .INVALL: return .INVALL(collection: collection)
        case .MOVI: return .MOVI(device: device, event: event, collection: collection)
        case .MOVALL: return .MOVALL(from: target, to: ITSTargetRedistributor(field: dw3[field: ITSCommand.rdBase]))
        case .SYNC: return .SYNC(target: target)
        case .DISCARD: return .DISCARD(device: device, event: event)
        }
    }
}
