import XCTest
@testable import HotplugCore

/// The command queue's ring arithmetic: fill, full, wrap, drain, what a
/// `GITS_CREADR` value means, and a seeded run against a simulated ITS that
/// reads commands at its own pace.
final class ITSCommandQueueTests: XCTestCase {
    func testOnePageHolds127Commands() {
        var queue = ITSCommandQueue(bytes: 4096)
        XCTAssertEqual(queue.slots, 128)
        XCTAssertEqual(queue.capacity, 127)
        XCTAssertTrue(queue.isEmpty)
        XCTAssertEqual(queue.free, 127)
        for index in 0 ..< 127 {
            XCTAssertEqual(queue.reserve(), index * 32)
        }
        XCTAssertTrue(queue.isFull)
        XCTAssertNil(queue.reserve(), "the last slot stays empty: CWRITER = CREADR would read as empty")
        XCTAssertEqual(queue.writer, 127 * 32)
        XCTAssertEqual(queue.writerRegister.rawValue, 0xFE0)
        XCTAssertEqual(queue.pending, 127)
        XCTAssertEqual(queue.free, 0)
    }

    func testWrapAfterTheITSReads() {
        var queue = ITSCommandQueue(bytes: 4096)
        for _ in 0 ..< 127 { _ = queue.reserve() }
        // The ITS read one command.
        XCTAssertEqual(queue.observe(ITSCommandReader(rawValue: 0x20)), .waiting(pending: 126))
        XCTAssertEqual(queue.free, 1)
        XCTAssertEqual(queue.reserve(), 0xFE0)
        XCTAssertEqual(queue.writer, 0, "CWRITER wraps to the start")
        XCTAssertTrue(queue.isFull)
        // The ITS reads everything: the queue is empty at offset 0.
        XCTAssertEqual(queue.observe(ITSCommandReader(rawValue: 0)), .done)
        XCTAssertTrue(queue.isEmpty)
        XCTAssertEqual(queue.free, 127)
    }

    func testWaitingForOneCommandAcrossTheWrap() {
        var queue = ITSCommandQueue(bytes: 4096)
        for _ in 0 ..< 120 { _ = queue.reserve() }
        _ = queue.observe(ITSCommandReader(rawValue: 120 * 32))
        // Commands at 0xF00 ... 0xFE0, then 0x0 ... 0x40.
        var offsets: [Int] = []
        for _ in 0 ..< 11 { offsets.append(queue.reserve()!) }
        XCTAssertEqual(offsets.first, 0xF00)
        XCTAssertEqual(offsets.last, 0x40)
        let sync = offsets.last!
        // The ITS is at 0xFE0: the SYNC at 0x40 (after the wrap) is unread.
        XCTAssertEqual(queue.observe(ITSCommandReader(rawValue: 0xFE0), waitingFor: sync), .waiting(pending: 4))
        XCTAssertTrue(queue.hasRead(commandAt: 0xF00))
        XCTAssertFalse(queue.hasRead(commandAt: 0x0))
        // At 0x40 the SYNC itself is next: still unread.
        XCTAssertEqual(queue.observe(ITSCommandReader(rawValue: 0x40), waitingFor: sync), .waiting(pending: 1))
        XCTAssertEqual(queue.observe(ITSCommandReader(rawValue: 0x60), waitingFor: sync), .done)
    }

    func testStalledAndImpossibleReaders() {
        var queue = ITSCommandQueue(bytes: 8192)
        for _ in 0 ..< 10 { _ = queue.reserve() }
        XCTAssertEqual(queue.observe(ITSCommandReader(rawValue: 0x80)), .waiting(pending: 6))
        // Backwards: the ITS never moves CREADR back.
        XCTAssertEqual(queue.observe(ITSCommandReader(rawValue: 0x40)), .invalid(offset: 0x40))
        // Beyond the writer.
        XCTAssertEqual(queue.observe(ITSCommandReader(rawValue: 0x160)), .invalid(offset: 0x160))
        XCTAssertEqual(queue.reader, 0x80, "an invalid value is not taken")
        // Stalled at the command at 0xA0: commands before it were read.
        XCTAssertEqual(queue.observe(ITSCommandReader(rawValue: 0xA1)), .stalled(offset: 0xA0))
        XCTAssertEqual(queue.reader, 0xA0)
        XCTAssertEqual(queue.pending, 5)
        // A GITS_CBASER-sized queue.
        let descriptor = ITSCommandQueueDescriptor(address: 0x4020_0000, pages: 16, attributes: .normalWriteBack)
        XCTAssertEqual(ITSCommandQueue(descriptor).slots, 2048)
    }

    func testAgainstASimulatedITSReadingAtItsOwnPace() {
        var random = SplitMix64(seed: 0x175)
        for pages in [1, 2, 16] {
            var queue = ITSCommandQueue(bytes: pages * 4096)
            // The simulated ITS: its CREADR, and every command written, in order.
            var itsReader = 0
            var written: [Int] = []
            var read: [Int] = []
            for _ in 0 ..< 5_000 {
                // Software writes up to 40 commands, stopping when full.
                for _ in 0 ..< random.below(40) {
                    guard let offset = queue.reserve() else {
                        XCTAssertEqual(queue.free, 0)
                        break
                    }
                    XCTAssertEqual(offset, written.last.map { queue.next($0) } ?? 0, "slots follow one another")
                    written.append(offset)
                }
                // The ITS reads up to 50 of the commands handed to it.
                let unread = (queue.writer - itsReader + queue.bytes) % queue.bytes / 32
                for _ in 0 ..< min(unread, random.below(50)) {
                    read.append(itsReader)
                    itsReader = queue.next(itsReader)
                }
                let progress = queue.observe(ITSCommandReader(rawValue: UInt64(itsReader)))
                let pending = written.count - read.count
                XCTAssertEqual(queue.pending, pending)
                XCTAssertEqual(queue.free, queue.capacity - pending)
                XCTAssertEqual(progress, pending == 0 ? .done : .waiting(pending: pending))
                XCTAssertLessThanOrEqual(pending, queue.capacity)
                if let last = read.last, pending > 0 {
                    XCTAssertTrue(queue.hasRead(commandAt: last))
                    XCTAssertFalse(queue.hasRead(commandAt: itsReader))
                }
            }
            XCTAssertEqual(read, Array(written.prefix(read.count)), "read in the order written")
        }
    }
}
