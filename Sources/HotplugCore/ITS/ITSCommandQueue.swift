/// The ring arithmetic of the ITS command queue (IHI 0069 §5.3 "The ITS
/// command interface", `GITS_CWRITER` and `GITS_CREADR`): software writes
/// 32-byte commands at `GITS_CWRITER`, then advances it; the ITS reads from
/// `GITS_CREADR` and advances it until the two are equal. Both offsets wrap
/// at the queue's size. The queue is empty when they are equal, so it is
/// full with one slot still free: a queue of n slots holds n − 1 commands.
///
/// This type keeps software's side (the writer offset, and the reader
/// offset last seen) and answers the questions a driver asks: where does
/// the next command go, how many slots are free, has a given command been
/// consumed, is a `GITS_CREADR` value believable. It reads no register:
/// the kernel reads `GITS_CREADR`, passes it to `observe`, and waits with a
/// deadline while the answer is `.waiting`.
public struct ITSCommandQueue: Hashable, Sendable {
    /// Bytes in the queue: `GITS_CBASER`'s (Size + 1) × 4 KiB.
    public let bytes: Int
    /// Where the next command will be written: the value `GITS_CWRITER` is
    /// given once the commands before it are in memory.
    public private(set) var writer: Int
    /// The last `GITS_CREADR` offset observed: commands from here to
    /// `writer` may still be unread.
    public private(set) var reader: Int

    /// A queue of `bytes` bytes as `GITS_CBASER` sets it up: writing
    /// `GITS_CBASER` resets `GITS_CREADR` to 0, and software writes
    /// `GITS_CWRITER` = 0 before enabling the ITS.
    /// Precondition: `bytes` a multiple of 4 KiB, at most 1 MiB.
    public init(bytes: Int) {
        precondition(bytes > 0 && bytes % ITSCommandQueueDescriptor.pageBytes == 0
                         && bytes <= ITSCommandQueueDescriptor.maximumPages * ITSCommandQueueDescriptor.pageBytes,
                     "command queue size not 1-256 pages of 4 KiB")
        self.bytes = bytes
        self.writer = 0
        self.reader = 0
    }

    /// The queue `descriptor` (a `GITS_CBASER` value) describes.
    public init(_ descriptor: ITSCommandQueueDescriptor) {
        self.init(bytes: descriptor.bytes)
    }

    /// 32-byte slots in the ring.
    public var slots: Int { bytes / ITSCommand.bytes }

    /// Most commands the queue holds at once: one slot stays empty so that
    /// full and empty differ.
    public var capacity: Int { slots - 1 }

    /// The offset after `offset`, wrapping at the end of the queue.
    @inline(__always)
    public func next(_ offset: Int) -> Int {
        let following = offset + ITSCommand.bytes
        return following == bytes ? 0 : following
    }

    /// Bytes from `from` forward to `to` around the ring.
    @inline(__always)
    func distance(from: Int, to: Int) -> Int {
        to >= from ? to - from : to + bytes - from
    }

    /// Commands written but, as far as the last observed `GITS_CREADR`
    /// says, not yet read.
    public var pending: Int { distance(from: reader, to: writer) / ITSCommand.bytes }

    /// Slots free for new commands, as far as the last observed reader
    /// says (the ITS may have read more since).
    public var free: Int { capacity - pending }

    /// Whether every written command has been read, as last observed.
    public var isEmpty: Bool { reader == writer }

    /// Whether no command can be written until the ITS reads one.
    public var isFull: Bool { next(writer) == reader }

    /// Reserves the slot for the next command and returns its offset, or
    /// nil when the queue is full (observe `GITS_CREADR` and try again).
    /// The caller writes the 32 bytes there, and when a batch is written
    /// and made visible to the ITS (a `DSB`, or a cache clean if the queue
    /// is not shareable with the ITS), writes `writerRegister` to
    /// `GITS_CWRITER`.
    public mutating func reserve() -> Int? {
        guard !isFull else { return nil }
        let offset = writer
        writer = next(writer)
        return offset
    }

    /// The `GITS_CWRITER` value that hands the ITS every reserved command.
    public var writerRegister: ITSCommandWriter { ITSCommandWriter(offset: writer) }

    /// Whether the command written at `offset` has been read, given the
    /// last observed reader: it has unless it lies in the unread stretch
    /// from `reader` up to `writer`.
    public func hasRead(commandAt offset: Int) -> Bool {
        precondition(isSlot(offset), "not a command slot of this queue")
        return distance(from: reader, to: offset) >= distance(from: reader, to: writer)
    }

    /// Whether `offset` is the start of a slot of this queue.
    @inline(__always)
    public func isSlot(_ offset: Int) -> Bool {
        offset >= 0 && offset < bytes && offset % ITSCommand.bytes == 0
    }

    /// Takes a `GITS_CREADR` value: moves the observed reader forward and
    /// says whether the command at `offset` (by default the last one
    /// reserved; the whole queue drained) has been read.
    ///
    /// A reader can only move forward, from the last observed one towards
    /// `writer`; a value outside that stretch, or not on a slot, is not a
    /// state the ITS can be in (a wrong frame, a reset ITS) and is reported
    /// as `.invalid` without being taken. `Stalled` is reported with the
    /// offset of the command that stopped the ITS, which is taken: the
    /// commands before it were read.
    public mutating func observe(_ register: ITSCommandReader, waitingFor offset: Int? = nil) -> ITSCommandQueueProgress {
        let observed = register.offset
        guard isSlot(observed), distance(from: reader, to: observed) <= distance(from: reader, to: writer) else {
            return .invalid(offset: observed)
        }
        reader = observed
        if register.isStalled {
            return .stalled(offset: observed)
        }
        if let offset {
            return hasRead(commandAt: offset) ? .done : .waiting(pending: pending)
        }
        return isEmpty ? .done : .waiting(pending: pending)
    }
}

/// What one reading of `GITS_CREADR` says about the commands waited for.
public enum ITSCommandQueueProgress: Hashable, Sendable {
    /// The commands waited for have been read (and, for SYNC, their
    /// effects are visible once it is read).
    case done
    /// Not yet: `pending` commands are still unread. Read again, until a
    /// deadline.
    case waiting(pending: Int)
    /// The ITS stopped on an error at the command at `offset`
    /// (`GITS_CREADR.Stalled`): report it; waiting longer cannot help.
    case stalled(offset: Int)
    /// The reader is where the ITS cannot be: off a slot, or outside the
    /// stretch of commands written but unread.
    case invalid(offset: Int)
}
