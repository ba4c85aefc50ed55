// Property tests of the cpu list text form (`CPUMask.cpuList` and
// `CPUMask(parsingCPUList:limit:)`):
// - random masks (long runs and scattered bits over all 512 CPUs) print as
//   an independent formatter prints them and parse back to themselves; the
//   `limit` is exact (the highest CPU + 1 is accepted, the highest CPU is
//   not);
// - random byte strings, mostly digits, '-' and ',', never trap the parser,
//   which accepts exactly what an independent acceptor written from the
//   grammar accepts, with the same CPUs, all below the limit; an accepted
//   list printed and parsed again gives the same mask; a rejection's offset
//   lies inside the text and its message is one printable line.
import PropertyBased
import Testing
@testable import HotplugCore

/// The generated parts of a mask: runs `start ..< start + length` (clipped
/// to the capacity) and whole 64-bit words of scattered bits.
struct MaskRecipe: Sendable, CustomStringConvertible {
    var runs: [(start: Int, length: Int)]
    var words: [UInt64]

    var mask: CPUMask {
        var mask = CPUMask()
        for run in runs {
            for cpu in run.start ..< min(CPUMask.capacity, run.start + run.length) {
                mask.insert(LogicalCPU(cpu))
            }
        }
        for (word, bits) in words.enumerated() {
            for bit in 0 ..< 64 where bits & (1 << UInt64(bit)) != 0 {
                mask.insert(LogicalCPU(word * 64 + bit))
            }
        }
        return mask
    }

    var description: String { mask.braced }
}

private let maskRecipes = zip(
    zip(Gen.int(in: 0 ... CPUMask.capacity - 1), Gen.int(in: 0 ... 70)).map { (start: $0, length: $1) }.array(of: 0 ... 8),
    Gen<UInt64>.bitSet.array(of: 0 ... 8)
).map { MaskRecipe(runs: $0, words: $1) }

/// The cpu list of sorted CPUs, written from Linux's description of the
/// format rather than from `CPUMask.cpuList`: runs of two or more as `a-b`.
private func expectedCPUList(_ sorted: [Int]) -> String {
    var items: [String] = []
    var index = 0
    while index < sorted.count {
        var end = index
        while end + 1 < sorted.count && sorted[end + 1] == sorted[end] + 1 { end += 1 }
        items.append(end == index ? "\(sorted[index])" : "\(sorted[index])-\(sorted[end])")
        index = end + 1
    }
    return items.joined(separator: ",")
}

/// The grammar of `CPUList.swift` restated with `split`: comma-separated
/// items, each one decimal number or two joined by '-', low end first,
/// every number below the clamped limit. `nil`: not a valid list.
private func acceptedCPUs(_ bytes: [UInt8], limit: Int) -> Set<Int>? {
    let allowed = max(0, min(limit, CPUMask.capacity))
    guard !bytes.isEmpty else { return nil }
    var cpus = Set<Int>()
    for item in bytes.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
        let ends = item.split(separator: UInt8(ascii: "-"), omittingEmptySubsequences: false)
        guard ends.count == 1 || ends.count == 2 else { return nil }
        var values: [Int] = []
        for end in ends {
            guard !end.isEmpty, end.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                  let value = Int(String(decoding: end, as: UTF8.self)), value < allowed else { return nil }
            values.append(value)
        }
        guard values.last! >= values.first! else { return nil }
        cpus.formUnion(values.first! ... values.last!)
    }
    return cpus
}

/// Parses, catching the typed error.
private func parse(_ bytes: [UInt8], limit: Int) -> Result<CPUMask, CPUListError> {
    do throws(CPUListError) {
        return .success(try CPUMask(parsingCPUList: bytes, limit: limit))
    } catch {
        return .failure(error)
    }
}

/// The offset an error names, if it names one.
private func offset(of error: CPUListError) -> Int? {
    switch error {
    case .empty: return nil
    case .unexpectedEnd(let offset), .unexpectedCharacter(_, let offset), .numberTooLarge(let offset),
         .descendingRange(_, _, let offset), .cpuOutOfRange(_, _, let offset):
        return offset
    }
}

/// The bytes random lists are made of, weighted so that about one in ten
/// short lists is valid: each digit twice, '-' three times, ',' four times,
/// and a few that never belong (space, a letter, '+', NUL, 0xFF).
private let listAlphabet: [UInt8] = Array("01234567890123456789---,,,, a+".utf8) + [0x00, 0xFF]

/// A list of bytes shown as text, the odd ones in hex.
private func shown(_ bytes: [UInt8]) -> String {
    bytes.map { $0 >= 0x20 && $0 < 0x7F ? String(UnicodeScalar($0)) : "\\x\(String($0, radix: 16))" }.joined()
}

/// Random text for the parser, shown quoted in a failure report.
struct ListBytes: Sendable, CustomStringConvertible {
    var bytes: [UInt8]
    var description: String { "'\(shown(bytes))'" }
}

/// Up to 12 bytes of `listAlphabet`; shrinks towards fewer bytes and '0'.
private let listTexts = Gen.int(in: 0 ... listAlphabet.count - 1).array(of: 0 ... 12)
    .map { ListBytes(bytes: $0.map { listAlphabet[$0] }) }

@Suite("cpu list properties")
struct PropertyCPUListTests {
    /// Random masks: `cpuList` is the independent formatter's text, parses
    /// back to the mask (also from a `Substring`), and the limit is exact.
    @Test(.shrinking)
    func formattedMasksParseBack() async {
        await propertyCheck(count: propertyCases, input: maskRecipes) { recipe in
            let mask = recipe.mask
            let text = mask.cpuList
            let sorted = mask.map(\.index)
            #expect(text == expectedCPUList(sorted))
            let bytes = Array(text.utf8)
            guard let last = mask.last else {
                #expect(parse(bytes, limit: CPUMask.capacity) == .failure(.empty))
                return
            }
            #expect(parse(bytes, limit: CPUMask.capacity) == .success(mask), "\(text)")
            #expect(parse(bytes, limit: last.index + 1) == .success(mask), "\(text) with limit \(last.index + 1)")
            // With the limit at the highest CPU, that CPU (the text's last number) is refused.
            let lastNumber = String(last.index)
            #expect(parse(bytes, limit: last.index)
                        == .failure(.cpuOutOfRange(cpu: last.index, limit: last.index, offset: bytes.count - lastNumber.utf8.count)),
                    "\(text) with limit \(last.index)")
            let cut = ("[" + text + "]").dropFirst().dropLast()
            #expect((try? CPUMask.parse(cpuList: cut)) == mask)
        }
    }

    /// Random bytes, mostly digits, '-' and ',', with a random limit: no
    /// trap; accepted exactly when the grammar accepts, with the same CPUs,
    /// all below the limit; printing and parsing an accepted list gives the
    /// same mask; a rejection names an offset inside the text and reads as
    /// one printable line.
    @Test(.shrinking)
    func randomBytesParseAsTheGrammarSays() async {
        var cases = 0
        var accepted = 0
        await propertyCheck(count: propertyCases, input: listTexts, Gen.int(in: -3 ... 600)) { text, limit in
            cases += 1
            let bytes = text.bytes
            let allowed = max(0, min(limit, CPUMask.capacity))
            let expected = acceptedCPUs(bytes, limit: limit)
            switch parse(bytes, limit: limit) {
            case .success(let mask):
                accepted += 1
                #expect(expected.map { Set(mask.map(\.index)) == $0 } == true,
                        "'\(shown(bytes))' limit \(limit): parsed \(mask.braced), grammar says \(expected.map { "\($0.sorted())" } ?? "invalid")")
                #expect(mask.allSatisfy { $0.index < allowed }, "'\(shown(bytes))' limit \(limit): \(mask.braced)")
                #expect(parse(Array(mask.cpuList.utf8), limit: limit) == .success(mask), "'\(shown(bytes))' limit \(limit)")
            case .failure(let error):
                #expect(expected == nil, "'\(shown(bytes))' limit \(limit): refused (\(error.message)), grammar accepts \(expected?.sorted() ?? [])")
                if let offset = offset(of: error) {
                    #expect(offset >= 0 && offset <= bytes.count, "'\(shown(bytes))': offset \(offset)")
                } else {
                    #expect(bytes.isEmpty, "'\(shown(bytes))': .empty")
                }
                #expect(!error.message.isEmpty && error.message.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }, "\(error.message)")
            }
        }
        if cases == propertyCases {
            // The inputs reach the accepting paths, not only the errors.
            #expect(accepted >= propertyCases / 20, "only \(accepted) of \(cases) accepted")
        }
    }
}
