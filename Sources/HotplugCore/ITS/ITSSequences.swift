/// The register sequences of ITS set-up and use that need no memory of
/// their own: identification, quiescing, probing what each `GITS_BASER<n>`
/// accepts, and the bounded wait for the command queue. Each is generic over
/// the ITS frame's `RegisterFile` and bounds every wait with the caller's
/// `HardwareWait`, as the redistributor sequences do.
public enum ITSSequences {
    /// Checks that the frame is a GICv3/GICv4 ITS (`GITS_PIDR2.ArchRev` 3
    /// or 4, as Linux checks) that translates physical LPIs, and returns its
    /// `GITS_TYPER`.
    public static func identify<Frame: RegisterFile>(_ registers: Frame) throws(ITSError) -> ITSType {
        let identification = registers.read(ITSRegister.GITS_PIDR2)
        guard identification.isGICv3OrLater else { throw .notGICv3ITS(identification) }
        let type = registers.read(ITSRegister.GITS_TYPER)
        guard type.supportsPhysicalLPIs else { throw .noPhysicalLPIs(type) }
        return type
    }

    /// Brings the ITS to the state in which `GITS_CBASER` and
    /// `GITS_BASER<n>` may be written: `Enabled` clear and `Quiescent` set
    /// (writing them otherwise is UNPREDICTABLE). Clears `Enabled` if
    /// firmware left it set, then waits for `Quiescent`.
    public static func quiesce<Frame: RegisterFile>(_ registers: Frame, wait: HardwareWait) throws(ITSError) {
        let control = registers.read(ITSRegister.GITS_CTLR)
        if control.contains(.Enabled) {
            registers.write(ITSRegister.GITS_CTLR, control.subtracting(.Enabled))
        }
        let quiet = wait { registers.read(ITSRegister.GITS_CTLR).isSafeToProgram }
        guard quiet else { throw .notQuiescent(control: registers.read(ITSRegister.GITS_CTLR)) }
    }

    /// What `GITS_BASER<n>` accepts, learnt by writing and reading back with
    /// Valid clear (so the ITS uses nothing yet): the first of `preferred`
    /// and the smaller page sizes it keeps (Page_Size may be read-only or
    /// hold only some sizes), whether Indirect sticks, and the memory
    /// attributes it keeps of `attributes` (Shareability read back 0 means
    /// the ITS does not snoop: see `GICShareability`).
    ///
    /// - Returns: nil when `GITS_BASER<n>.Type` is 0 (not implemented).
    /// Precondition: the ITS is quiescent (`quiesce`).
    public static func probeTable<Frame: RegisterFile>(
        _ registers: Frame, descriptor n: Int, preferred: ITSPageSize, attributes: GICMemoryAttributes
    ) -> ITSTableProbe? {
        let register = ITSRegister.GITS_BASER(n)
        let initial = registers.read(register)
        guard initial.type != .unimplemented else { return nil }
        var size = preferred
        while true {
            let trial = initial.programmed(
                address: 0, pages: 1, pageSize: size, indirect: true, attributes: attributes, valid: false)
            registers.write(register, trial)
            let answer = registers.read(register)
            if answer.pageSize == size || size == .size4K {
                return ITSTableProbe(descriptor: n, answer: answer)
            }
            size = size == .size64K ? .size16K : .size4K
        }
    }

    /// Waits until the ITS has read the command at `offset` (by default,
    /// every command handed to it), reading `GITS_CREADR` into `queue`.
    /// Stops at once, with an error, when the ITS reports Stalled or reads
    /// an impossible offset; waiting longer cannot help then.
    public static func waitForCommands<Frame: RegisterFile>(
        _ registers: Frame, queue: inout ITSCommandQueue, upTo offset: Int? = nil, wait: HardwareWait
    ) throws(ITSError) {
        var progress = ITSCommandQueueProgress.waiting(pending: queue.pending)
        _ = wait {
            progress = queue.observe(registers.read(ITSRegister.GITS_CREADR), waitingFor: offset)
            if case .waiting = progress { return false }
            return true
        }
        switch progress {
        case .done: return
        case let .waiting(pending): throw .commandQueueTimedOut(pending: pending)
        case let .stalled(offset): throw .commandQueueStalled(offset: offset)
        case let .invalid(offset): throw .commandQueueReaderInvalid(offset: offset)
        }
    }
}

/// What one `GITS_BASER<n>` answered to `ITSSequences.probeTable`.
public struct ITSTableProbe: Hashable, Sendable {
    /// n.
    public let descriptor: Int
    /// The register as read back after the probe: its Type and
    /// Entry_Size, and the Page_Size, Indirect and attributes it kept.
    public let answer: ITSTableDescriptor

    /// The table type.
    public var type: ITSTableType { answer.type }
    /// The page size the register keeps.
    public var pageSize: ITSPageSize { answer.pageSize }
    /// Whether Indirect stuck: two-level tables are possible.
    public var indirectSupported: Bool { answer.isIndirect }
    /// The attributes the register kept.
    public var attributes: GICMemoryAttributes { answer.attributes }
}
