// Host tests for `CPUMask` (membership, walking, set algebra) and its Linux
// cpu list text form. Where a bit-level answer is easy to get wrong, the
// expected value comes from a plain `Set<Int>` model rather than from the mask.
import XCTest
@testable import HotplugCore


private func mask(_ indices: Int...) -> CPUMask {
    CPUMask(indices.map(LogicalCPU.init))
}

private func indices(_ mask: CPUMask) -> [Int] {
    mask.map(\.index)
}

/// A mask with random density (sparse, dense, or runs), and its model.
private func randomMask(_ rng: inout SplitMix64) -> (CPUMask, Set<Int>) {
    var model = Set<Int>()
    switch rng.next() % 3 {
    case 0:
        // Sparse: a handful of CPUs anywhere.
        for _ in 0 ..< Int(rng.next() % 12) {
            model.insert(Int(rng.next() % UInt64(CPUMask.capacity)))
        }
    case 1:
        // Dense: each CPU with probability one half.
        for cpu in 0 ..< CPUMask.capacity where rng.next() & 1 == 1 {
            model.insert(cpu)
        }
    default:
        // Runs of various lengths, some crossing word boundaries.
        for _ in 0 ..< Int(rng.next() % 6) {
            let start = Int(rng.next() % UInt64(CPUMask.capacity))
            let length = Int(rng.next() % 130)
            for cpu in start ..< min(start + length, CPUMask.capacity) {
                model.insert(cpu)
            }
        }
    }
    return (CPUMask(model.map(LogicalCPU.init)), model)
}

final class CPUMaskTests: XCTestCase {
    // MARK: Membership

    func testEmptyMask() {
        let empty = CPUMask()
        XCTAssertTrue(empty.isEmpty)
        XCTAssertEqual(empty.count, 0)
        XCTAssertNil(empty.first)
        XCTAssertNil(empty.last)
        XCTAssertEqual(indices(empty), [])
        XCTAssertEqual(CPUMask.empty, empty)
        XCTAssertEqual(CPUMask.capacity, 512)
    }

    func testInsertRemoveContainsCount() {
        var cpus = CPUMask()
        cpus.insert(LogicalCPU(3))
        cpus.insert(LogicalCPU(3)) // inserting twice changes nothing
        cpus.insert(LogicalCPU(70))
        XCTAssertEqual(cpus.count, 2)
        XCTAssertFalse(cpus.isEmpty)
        XCTAssertTrue(cpus.contains(LogicalCPU(3)))
        XCTAssertTrue(cpus.contains(LogicalCPU(70)))
        XCTAssertFalse(cpus.contains(LogicalCPU(4)))
        XCTAssertFalse(cpus.contains(LogicalCPU(6))) // 70 % 64: same bit, other word

        cpus.remove(LogicalCPU(3))
        XCTAssertFalse(cpus.contains(LogicalCPU(3)))
        XCTAssertEqual(cpus.count, 1)
        cpus.remove(LogicalCPU(3)) // removing a non-member changes nothing
        XCTAssertEqual(cpus.count, 1)
        cpus.remove(LogicalCPU(70))
        XCTAssertTrue(cpus.isEmpty)
        XCTAssertEqual(cpus, CPUMask())
    }

    func testContainsOutOfRangeIsFalse() {
        let full = CPUMask.all(upTo: CPUMask.capacity)
        XCTAssertFalse(full.contains(LogicalCPU(-1)))
        XCTAssertFalse(full.contains(LogicalCPU(512)))
        XCTAssertFalse(full.contains(LogicalCPU(Int.max)))
        XCTAssertFalse(full.contains(LogicalCPU(Int.min)))
    }

    func testWordBoundaries() {
        // Each CPU on either side of a 64-bit word edge, and both ends.
        for cpu in [0, 63, 64, 127, 128, 448, 511] {
            let single = CPUMask(single: LogicalCPU(cpu))
            XCTAssertEqual(single.count, 1, "cpu \(cpu)")
            XCTAssertEqual(single.first, LogicalCPU(cpu), "cpu \(cpu)")
            XCTAssertEqual(single.last, LogicalCPU(cpu), "cpu \(cpu)")
            XCTAssertEqual(indices(single), [cpu], "cpu \(cpu)")
            XCTAssertFalse(single.contains(LogicalCPU(cpu ^ 1)), "cpu \(cpu)")
        }
        let edges = mask(63, 64, 511)
        XCTAssertEqual(indices(edges), [63, 64, 511])
        XCTAssertEqual(edges.next(after: LogicalCPU(63)), LogicalCPU(64))
        XCTAssertEqual(edges.next(after: LogicalCPU(64)), LogicalCPU(511))
        XCTAssertNil(edges.next(after: LogicalCPU(511)))
        XCTAssertEqual(edges.cycle(after: LogicalCPU(511)), LogicalCPU(63))
    }

    func testAllUpTo() {
        // (count, expected count, expected last)
        let cases: [(Int, Int, Int?)] = [
            (0, 0, nil),     // no CPUs
            (1, 1, 0),       // uniprocessor
            (4, 4, 3),       // QEMU -smp 4
            (63, 63, 62),    // one short of a word
            (64, 64, 63),    // exactly one word
            (65, 65, 64),    // spills into the second word
            (512, 512, 511), // the whole capacity
        ]
        for (count, expectedCount, expectedLast) in cases {
            let all = CPUMask.all(upTo: count)
            XCTAssertEqual(all.count, expectedCount, "all(upTo: \(count))")
            XCTAssertEqual(all.last?.index, expectedLast, "all(upTo: \(count))")
            XCTAssertEqual(indices(all), Array(0 ..< count), "all(upTo: \(count))")
        }
    }

    func testInitFromSequenceIgnoresDuplicatesAndOrder() {
        let cpus = CPUMask([5, 1, 5, 200, 1].map(LogicalCPU.init))
        XCTAssertEqual(indices(cpus), [1, 5, 200])
    }

    // MARK: Walking

    func testIterationIsAscending() {
        var rng = SplitMix64(seed: 1)
        for _ in 0 ..< 200 {
            let (cpus, model) = randomMask(&rng)
            XCTAssertEqual(indices(cpus), model.sorted())
            XCTAssertEqual(cpus.count, model.count)
            XCTAssertEqual(cpus.first?.index, model.min())
            XCTAssertEqual(cpus.last?.index, model.max())
        }
    }

    func testIteratorStaysExhausted() {
        var iterator = mask(511).makeIterator()
        XCTAssertEqual(iterator.next(), LogicalCPU(511))
        XCTAssertNil(iterator.next())
        XCTAssertNil(iterator.next())
    }

    func testNext() {
        let cpus = mask(2, 5, 64)
        // (after, expected)
        let cases: [(Int, Int?)] = [
            (Int.min, 2), // far before CPU 0
            (-1, 2),      // just before CPU 0
            (0, 2),       // non-member below the first
            (2, 5),       // strictly greater: a member is not its own next
            (5, 64),      // crosses a word
            (64, nil),    // last member: no wrap
            (510, nil),
            (511, nil),   // top of the capacity
            (512, nil),   // past the capacity
            (Int.max, nil), // must not overflow computing index + 1
        ]
        for (after, expected) in cases {
            XCTAssertEqual(cpus.next(afterIndex: after)?.index, expected, "next after \(after)")
        }
        XCTAssertEqual(cpus.next(after: LogicalCPU(2)), LogicalCPU(5))
        XCTAssertNil(CPUMask().next(afterIndex: -1))
    }

    func testCycle() {
        let cpus = mask(1, 3, 100)
        // (after, expected): the next member round-robin, as cpumask_cycle.
        let cases: [(Int, Int)] = [
            (1, 3),       // to the next member
            (3, 100),     // across words
            (100, 1),     // wraps from the last member to the first
            (50, 100),    // a non-member cursor between members
            (200, 1),     // a non-member cursor after every member wraps
            (511, 1),     // cursor at the top of the capacity wraps
            (-1, 1),      // cursor before CPU 0 gives the first member
            (Int.min, 1), // any negative cursor does
            (512, 1),     // a cursor past the capacity wraps
            (Int.max, 1),
        ]
        for (after, expected) in cases {
            XCTAssertEqual(cpus.cycle(afterIndex: after)?.index, expected, "cycle after \(after)")
        }
        XCTAssertEqual(cpus.cycle(after: LogicalCPU(100)), LogicalCPU(1))
    }

    func testLeastLoadedTakesTheSmallestLoadAndTheLowestCPUOnATie() {
        let loads: [Int: Int] = [1: 5, 3: 2, 64: 2, 100: 7]
        let cpus = mask(1, 3, 64, 100)
        XCTAssertEqual(cpus.leastLoaded { loads[$0.index]! }, LogicalCPU(3), "3 and 64 tie: the lower wins")
        XCTAssertEqual(mask(1, 64, 100).leastLoaded { loads[$0.index]! }, LogicalCPU(64))
        XCTAssertEqual(mask(100).leastLoaded { loads[$0.index]! }, LogicalCPU(100), "a single member")
        XCTAssertEqual(mask(511).leastLoaded { _ in UInt64.max }, LogicalCPU(511), "the largest load is still a load")
        XCTAssertNil(CPUMask().leastLoaded { _ in 0 }, "the empty mask has none")
    }

    func testCycleSingleMemberReturnsItself() {
        for cpu in [0, 63, 64, 511] {
            let single = CPUMask(single: LogicalCPU(cpu))
            XCTAssertEqual(single.cycle(after: LogicalCPU(cpu)), LogicalCPU(cpu), "cpu \(cpu)")
            XCTAssertEqual(single.cycle(afterIndex: -1), LogicalCPU(cpu), "cpu \(cpu)")
        }
    }

    func testCycleEmptyIsNil() {
        for after in [-1, 0, 5, 511, 512] {
            XCTAssertNil(CPUMask().cycle(afterIndex: after), "after \(after)")
        }
    }

    func testCycleVisitsEveryMemberOnceARound() {
        var rng = SplitMix64(seed: 2)
        for _ in 0 ..< 50 {
            let (cpus, model) = randomMask(&rng)
            guard !model.isEmpty else { continue }
            var cursor = -1
            var visited: [Int] = []
            for _ in 0 ..< model.count {
                let cpu = cpus.cycle(afterIndex: cursor)!
                visited.append(cpu.index)
                cursor = cpu.index
            }
            XCTAssertEqual(visited, model.sorted())
            XCTAssertEqual(cpus.cycle(afterIndex: cursor)?.index, model.min(), "wraps after a full round")
        }
    }

    func testNth() {
        let cpus = mask(0, 63, 64, 300, 511)
        XCTAssertEqual((0 ..< 5).map { cpus.nth($0)?.index }, [0, 63, 64, 300, 511])
        XCTAssertNil(cpus.nth(5))
        XCTAssertNil(cpus.nth(-1))
        XCTAssertNil(CPUMask().nth(0))

        var rng = SplitMix64(seed: 3)
        for _ in 0 ..< 50 {
            let (random, model) = randomMask(&rng)
            let sorted = model.sorted()
            for k in 0 ..< sorted.count {
                XCTAssertEqual(random.nth(k)?.index, sorted[k])
            }
            XCTAssertNil(random.nth(sorted.count))
        }
    }

    // MARK: Set algebra

    func testSetAlgebraSmall() {
        let a = mask(0, 1, 2, 64)
        let b = mask(2, 3, 64, 511)
        XCTAssertEqual(indices(a.intersection(b)), [2, 64])
        XCTAssertEqual(indices(a.union(b)), [0, 1, 2, 3, 64, 511])
        XCTAssertEqual(indices(a.subtracting(b)), [0, 1])
        XCTAssertEqual(a & b, a.intersection(b))
        XCTAssertEqual(a | b, a.union(b))
        XCTAssertFalse(a.isSubset(of: b))
        XCTAssertTrue(mask(2, 64).isSubset(of: a))
        XCTAssertTrue(CPUMask().isSubset(of: a)) // the empty set is a subset of anything
        XCTAssertTrue(a.isSubset(of: a))
        XCTAssertFalse(a.isDisjoint(with: b))
        XCTAssertTrue(mask(0, 1).isDisjoint(with: mask(2, 65)))
        XCTAssertTrue(CPUMask().isDisjoint(with: CPUMask()))
    }

    func testSetAlgebraAgainstModel() {
        var rng = SplitMix64(seed: 4)
        for _ in 0 ..< 200 {
            let (a, modelA) = randomMask(&rng)
            let (b, modelB) = randomMask(&rng)
            XCTAssertEqual(indices(a.intersection(b)), modelA.intersection(modelB).sorted())
            XCTAssertEqual(indices(a.union(b)), modelA.union(modelB).sorted())
            XCTAssertEqual(indices(a.subtracting(b)), modelA.subtracting(modelB).sorted())
            XCTAssertEqual(a.isSubset(of: b), modelA.isSubset(of: modelB))
            XCTAssertEqual(a.isDisjoint(with: b), modelA.isDisjoint(with: modelB))
            XCTAssertEqual(a == b, modelA == modelB)
            XCTAssertTrue(a.intersection(b).isSubset(of: a))
            XCTAssertTrue(a.subtracting(b).isDisjoint(with: b))
        }
    }

    // MARK: Cpu list text

    func testCPUListFormatting() {
        // (members, expected text)
        let cases: [([Int], String)] = [
            ([], ""),                       // empty mask: empty text
            ([0], "0"),                     // single CPU
            ([0, 1, 2, 5], "0-2,5"),        // the kernel-parameters.rst example
            ([3, 4], "3-4"),                // a run of two is a range, as %*pbl
            ([1, 3, 5], "1,3,5"),           // no runs
            ([62, 63, 64, 65], "62-65"),    // a run across a word edge
            ([0, 511], "0,511"),            // both ends of the capacity
            (Array(0 ..< 512), "0-511"),    // everything
            ([7, 8, 9, 100, 200, 201], "7-9,100,200-201"),
        ]
        for (members, expected) in cases {
            XCTAssertEqual(CPUMask(members.map(LogicalCPU.init)).cpuList, expected)
        }
    }

    func testCPUListParsing() throws {
        // (text, expected members)
        let cases: [(String, [Int])] = [
            ("0", [0]),
            ("0-2,5", [0, 1, 2, 5]),
            ("3-3", [3]),                   // a range of one
            ("5,1", [1, 5]),                // order in the text does not matter
            ("1,1,1-2", [1, 2]),            // repeats and overlaps are merged
            ("007", [7]),                   // leading zeros, as Linux accepts
            ("60-70", Array(60 ... 70)),    // a range across a word edge
            ("0-511", Array(0 ..< 512)),    // the whole capacity
            ("511", [511]),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(indices(try CPUMask(parsingCPUList: text)), expected, "parsing \"\(text)\"")
        }
        XCTAssertEqual(indices(try CPUMask.parse(cpuList: "x0-1,4"[...].dropFirst())), [0, 1, 4])
        XCTAssertEqual(indices(try CPUMask(parsingCPUList: Array("2-3".utf8))), [2, 3])
    }

    func testCPUListParseErrors() {
        // (text, limit, expected error)
        let cases: [(String, Int, CPUListError)] = [
            ("", 512, .empty),
            ("1-", 512, .unexpectedEnd(offset: 2)),               // range without a high end
            ("1,", 512, .unexpectedEnd(offset: 2)),               // trailing comma
            ("-1", 512, .unexpectedCharacter(byte: 0x2D, offset: 0)), // no low end / negative
            ("3-1", 512, .descendingRange(first: 3, last: 1, offset: 0)),
            ("0,7-2", 512, .descendingRange(first: 7, last: 2, offset: 2)),
            ("a", 512, .unexpectedCharacter(byte: 0x61, offset: 0)),
            ("1,,2", 512, .unexpectedCharacter(byte: 0x2C, offset: 2)), // empty item
            (",1", 512, .unexpectedCharacter(byte: 0x2C, offset: 0)),
            ("1a", 512, .unexpectedCharacter(byte: 0x61, offset: 1)),   // junk after a number
            ("1-2-3", 512, .unexpectedCharacter(byte: 0x2D, offset: 3)), // a range of a range
            ("1, 2", 512, .unexpectedCharacter(byte: 0x20, offset: 2)), // spaces are not accepted
            ("1\n", 512, .unexpectedCharacter(byte: 0x0A, offset: 1)),  // nor a trailing newline
            ("99999999999999999999", 512, .numberTooLarge(offset: 0)),  // beyond Int
            ("1-99999999999999999999", 512, .numberTooLarge(offset: 2)),
            ("9223372036854775808", 512, .numberTooLarge(offset: 0)),   // Int.max + 1
            ("9223372036854775807", 512, .cpuOutOfRange(cpu: Int.max, limit: 512, offset: 0)),
            ("512", 512, .cpuOutOfRange(cpu: 512, limit: 512, offset: 0)),
            ("4", 4, .cpuOutOfRange(cpu: 4, limit: 4, offset: 0)),      // -smp 4 has CPUs 0-3
            ("0-4", 4, .cpuOutOfRange(cpu: 4, limit: 4, offset: 2)),
            ("0", 0, .cpuOutOfRange(cpu: 0, limit: 0, offset: 0)),      // a limit of none
            ("600", 1000, .cpuOutOfRange(cpu: 600, limit: 512, offset: 0)), // limit clamped to capacity
            ("é", 512, .unexpectedCharacter(byte: 0xC3, offset: 0)),   // non-ASCII
        ]
        for (text, limit, expected) in cases {
            XCTAssertThrowsError(try CPUMask(parsingCPUList: text, limit: limit), "parsing \"\(text)\"") { error in
                XCTAssertEqual(error as? CPUListError, expected, "parsing \"\(text)\"")
            }
        }
        // The same limit accepts the machine's own CPUs.
        XCTAssertEqual(indices(try CPUMask(parsingCPUList: "0-3", limit: 4)), [0, 1, 2, 3])
    }

    func testCPUListErrorMessages() {
        // (error, message)
        let cases: [(CPUListError, String)] = [
            (.empty, "cpu list is empty"),
            (.unexpectedEnd(offset: 2), "cpu list ends at offset 2 where a cpu number is expected"),
            (.unexpectedCharacter(byte: 0x61, offset: 0), "unexpected character 'a' at offset 0 in cpu list"),
            (.unexpectedCharacter(byte: 0x20, offset: 1), "unexpected space at offset 1 in cpu list"),
            (.unexpectedCharacter(byte: 0x0A, offset: 1), "unexpected byte 0xa at offset 1 in cpu list"),
            (.numberTooLarge(offset: 0), "number at offset 0 in cpu list is too large"),
            (.descendingRange(first: 3, last: 1, offset: 0), "range 3-1 at offset 0 runs downwards"),
            (.cpuOutOfRange(cpu: 600, limit: 512, offset: 0), "cpu 600 is beyond 511"),
            (.cpuOutOfRange(cpu: 0, limit: 0, offset: 0), "cpu 0 given but no cpus are allowed"),
        ]
        for (error, message) in cases {
            XCTAssertEqual(error.message, message)
        }
    }

    func testCPUListRoundTripAllMasksOverEightCPUs() throws {
        for bits in 0 ..< 256 {
            let members = (0 ..< 8).filter { bits & (1 << $0) != 0 }
            let cpus = CPUMask(members.map(LogicalCPU.init))
            let text = cpus.cpuList
            if bits == 0 {
                XCTAssertEqual(text, "")
                continue
            }
            XCTAssertEqual(try CPUMask(parsingCPUList: text, limit: 8), cpus, "mask \(bits) as \"\(text)\"")
        }
    }

    func testCPUListRoundTripRandomMasks() throws {
        var rng = SplitMix64(seed: 5)
        for _ in 0 ..< 500 {
            let (cpus, model) = randomMask(&rng)
            let text = cpus.cpuList
            guard !model.isEmpty else {
                XCTAssertEqual(text, "")
                continue
            }
            let parsed = try CPUMask(parsingCPUList: text)
            XCTAssertEqual(parsed, cpus, "\"\(text)\"")
            XCTAssertEqual(parsed.cpuList, text, "formatting is canonical")
        }
    }
}
