/// What went wrong while setting up or driving the ITS: each case is one
/// clear line (`message`); every bounded wait that ends unsatisfied becomes
/// one of the `…TimedOut` / `notQuiescent` cases, and a command the ITS
/// refuses becomes `commandQueueStalled`.
public enum ITSError: Error, Equatable, Sendable {
    /// `GITS_PIDR2.ArchRev` is not 3 or 4: no GICv3 ITS at the address the
    /// device tree gave.
    case notGICv3ITS(PeripheralID2)
    /// `GITS_TYPER.Physical` is clear.
    case noPhysicalLPIs(ITSType)
    /// `GITS_CTLR.Quiescent` did not set by its deadline after `Enabled`
    /// was cleared.
    case notQuiescent(control: ITSControl)
    /// `GITS_CREADR.Stalled`: the command at `offset` was refused.
    case commandQueueStalled(offset: Int)
    /// `GITS_CREADR` read an offset the ITS cannot be at.
    case commandQueueReaderInvalid(offset: Int)
    /// The commands waited for were not all read by the deadline.
    case commandQueueTimedOut(pending: Int)

    /// One line saying what is wrong.
    public var message: String {
        switch self {
        case let .notGICv3ITS(id):
            return "GITS_PIDR2 \(hex(id.rawValue)) has ArchRev \(id.architectureRevision), not 3 or 4: no GICv3 ITS there"
        case let .noPhysicalLPIs(type):
            return "GITS_TYPER \(hex(type.rawValue)) has Physical clear: the ITS translates no physical LPIs"
        case let .notQuiescent(control):
            return "GITS_CTLR reads \(hex(control.rawValue)): Quiescent did not set by its deadline"
        case let .commandQueueStalled(offset):
            return "ITS command queue stalled at offset \(hex(offset)) (GITS_CREADR.Stalled): the command there was refused"
        case let .commandQueueReaderInvalid(offset):
            return "GITS_CREADR reads offset \(hex(offset)), outside the commands written and unread"
        case let .commandQueueTimedOut(pending):
            return "ITS command queue: \(pending) command(s) still unread at the deadline"
        }
    }

    private func hex<T: BinaryInteger>(_ value: T) -> String {
        "0x" + String(value, radix: 16)
    }
}
