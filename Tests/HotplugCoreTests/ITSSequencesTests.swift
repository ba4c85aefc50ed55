import XCTest
@testable import HotplugCore

/// The ITS register sequences against the recording register file: the
/// identification checks, quiescing, what a `GITS_BASER<n>` probe learns
/// from registers that keep only some of what is written, and the bounded
/// command-queue wait.
final class ITSSequencesTests: XCTestCase {
    // MARK: Identification

    func testIdentifyChecksArchRevAndPhysical() throws {
        let its = RecordingRegisterFile([
            ITSRegister.GITS_PIDR2.offset: 0x3B, ITSRegister.GITS_TYPER.offset: 0x0000_001F_0001_EFF1,
        ])
        XCTAssertEqual(try ITSSequences.identify(its).eventIDBits, 16)
        let gicv2 = RecordingRegisterFile([ITSRegister.GITS_PIDR2.offset: 0x2B])
        XCTAssertThrowsError(try ITSSequences.identify(gicv2)) {
            XCTAssertEqual($0 as? ITSError, .notGICv3ITS(PeripheralID2(rawValue: 0x2B)))
        }
        let virtualOnly = RecordingRegisterFile([ITSRegister.GITS_PIDR2.offset: 0x4B, ITSRegister.GITS_TYPER.offset: 0x2])
        XCTAssertThrowsError(try ITSSequences.identify(virtualOnly)) {
            XCTAssertEqual($0 as? ITSError, .noPhysicalLPIs(ITSType(rawValue: 0x2)))
        }
    }

    // MARK: Quiescing

    func testQuiesceClearsEnabledAndWaitsForQuiescent() throws {
        // An ITS left enabled: clearing Enabled makes it quiescent.
        let its = RecordingRegisterFile([ITSRegister.GITS_CTLR.offset: 0x1])
        its.onWrite = { offset, value in
            offset == ITSRegister.GITS_CTLR.offset && value & 1 == 0 ? value | 0x8000_0000 : value
        }
        try ITSSequences.quiesce(its, wait: its.wait)
        XCTAssertEqual(its.log, [
            .read32(0x0), .write32(0x0, 0x0), .wait, .read32(0x0),
        ])
        // Already disabled and quiescent: nothing written.
        let idle = RecordingRegisterFile([ITSRegister.GITS_CTLR.offset: 0x8000_0000])
        try ITSSequences.quiesce(idle, wait: idle.wait)
        XCTAssertTrue(idle.writes.isEmpty)
        // Never quiescent: the deadline's error, with what the register said.
        let busy = RecordingRegisterFile([ITSRegister.GITS_CTLR.offset: 0x0])
        XCTAssertThrowsError(try ITSSequences.quiesce(busy, wait: busy.wait)) {
            XCTAssertEqual($0 as? ITSError, .notQuiescent(control: ITSControl(rawValue: 0)))
        }
    }

    // MARK: GITS_BASER<n> probing

    func testProbeKeepsThePreferredPageSizeWhenAccepted() {
        // A QEMU-like device table: Type and Entry_Size read-only, all else
        // kept as written.
        let its = tableRegister(n: 0, initial: 1 << 56 | 7 << 48 | 2 << 8) { $0 }
        let probe = ITSSequences.probeTable(its, descriptor: 0, preferred: .size64K, attributes: .normalWriteBack)
        XCTAssertEqual(probe?.type, .devices)
        XCTAssertEqual(probe?.pageSize, .size64K)
        XCTAssertEqual(probe?.indirectSupported, true)
        XCTAssertEqual(probe?.attributes, .normalWriteBack)
        XCTAssertEqual(probe?.answer.entrySize, 8)
        XCTAssertEqual(probe?.answer.isValid, false, "the probe never makes a table valid")
        XCTAssertEqual(its.writes.count, 1)
    }

    func testProbeFallsBackToSmallerPagesAndSeesNoIndirectOrShareability() {
        // A register holding only 4 KiB pages (Page_Size reads 0 whatever
        // is written), Indirect RAZ/WI, Shareability RAZ/WI.
        let its = tableRegister(n: 3, initial: 4 << 56 | 15 << 48) { value in
            value & ~(0b11 << 8 | 1 << 62 | 0b11 << 10)
        }
        let probe = ITSSequences.probeTable(its, descriptor: 3, preferred: .size64K, attributes: .normalWriteBack)
        XCTAssertEqual(probe?.type, .collections)
        XCTAssertEqual(probe?.pageSize, .size4K)
        XCTAssertEqual(probe?.indirectSupported, false)
        XCTAssertEqual(probe?.attributes.shareability, .nonShareable)
        XCTAssertEqual(probe?.answer.entrySize, 16)
        // 64 KiB, then 16 KiB, then 4 KiB tried.
        XCTAssertEqual(its.writes.count, 3)
        // A 16 KiB-only register stops at 16 KiB.
        let sixteen = tableRegister(n: 1, initial: 1 << 56) { $0 & ~(0b11 << 8) | 1 << 8 }
        XCTAssertEqual(ITSSequences.probeTable(sixteen, descriptor: 1, preferred: .size64K, attributes: .normalWriteBack)?.pageSize, .size16K)
        XCTAssertEqual(sixteen.writes.count, 2)
    }

    func testProbeOfAnUnimplementedDescriptorWritesNothing() {
        let its = RecordingRegisterFile()
        XCTAssertNil(ITSSequences.probeTable(its, descriptor: 7, preferred: .size64K, attributes: .normalWriteBack))
        XCTAssertEqual(its.log, [.read64(0x138)])
    }

    // MARK: Command queue wait

    func testWaitForCommandsOutcomes() throws {
        var queue = ITSCommandQueue(bytes: 4096)
        for _ in 0 ..< 3 { _ = queue.reserve() }
        // The ITS has read all three.
        let done = RecordingRegisterFile([ITSRegister.GITS_CREADR.offset: 0x60])
        try ITSSequences.waitForCommands(done, queue: &queue, wait: done.wait)
        XCTAssertTrue(queue.isEmpty)
        XCTAssertEqual(done.log, [.wait, .read64(0x90)])

        for _ in 0 ..< 3 { _ = queue.reserve() }
        // One read of three: the deadline passes.
        let slow = RecordingRegisterFile([ITSRegister.GITS_CREADR.offset: 0x80])
        XCTAssertThrowsError(try ITSSequences.waitForCommands(slow, queue: &queue, wait: slow.wait)) {
            XCTAssertEqual($0 as? ITSError, .commandQueueTimedOut(pending: 2))
        }
        // Waiting only for the first of them succeeds.
        XCTAssertNoThrow(try ITSSequences.waitForCommands(slow, queue: &queue, upTo: 0x60, wait: slow.wait))
        // Stalled on the second: reported at once.
        let stalled = RecordingRegisterFile([ITSRegister.GITS_CREADR.offset: 0x81])
        XCTAssertThrowsError(try ITSSequences.waitForCommands(stalled, queue: &queue, wait: stalled.wait)) {
            XCTAssertEqual($0 as? ITSError, .commandQueueStalled(offset: 0x80))
        }
        // A reader behind the last one seen is impossible.
        let backwards = RecordingRegisterFile([ITSRegister.GITS_CREADR.offset: 0x20])
        XCTAssertThrowsError(try ITSSequences.waitForCommands(backwards, queue: &queue, wait: backwards.wait)) {
            XCTAssertEqual($0 as? ITSError, .commandQueueReaderInvalid(offset: 0x20))
        }
    }

    func testEveryErrorHasAOneLineMessage() {
        let errors: [ITSError] = [
            .notGICv3ITS(PeripheralID2(rawValue: 0x2B)), .noPhysicalLPIs(ITSType(rawValue: 0)),
            .notQuiescent(control: ITSControl(rawValue: 0)), .commandQueueStalled(offset: 0x80),
            .commandQueueReaderInvalid(offset: 0x20), .commandQueueTimedOut(pending: 2),
        ]
        for error in errors {
            XCTAssertFalse(error.message.isEmpty)
            XCTAssertFalse(error.message.contains("\n"))
        }
        XCTAssertEqual(ITSError.commandQueueStalled(offset: 0x80).message.contains("0x80"), true)
    }

    // MARK: Helpers

    /// A register file holding `GITS_BASER<n>` = `initial`, whose Type and
    /// Entry_Size are read-only and whose other bits keep what `keep` lets
    /// through of each write.
    private func tableRegister(n: Int, initial: UInt64, keep: @escaping (UInt64) -> UInt64) -> RecordingRegisterFile {
        let offset = ITSRegister.GITS_BASER(n).offset
        let its = RecordingRegisterFile([offset: initial])
        let readOnly: UInt64 = 0b111 << 56 | 0b11111 << 48
        its.onWrite = { written, value in
            written == offset ? (initial & readOnly) | (keep(value) & ~readOnly) : value
        }
        return its
    }
}
