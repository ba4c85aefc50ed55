// Property test of `Stage2TranslationTables` (swift-property-based,
// `sequenceCases` cases, shrinking on): random windows, some overlapping,
// some beyond the IPA space, mapped into tables with plenty of pages or with
// very few, from every geometry the builder chooses for a PARange.
//
// Properties:
// - a window is refused as overlapping exactly when its IPA range meets a
//   window mapped before, as beyond the address space exactly when it
//   leaves the IPA space; with plenty of table pages nothing else is
//   refused, with few pages only for want of them;
// - a refusal leaves the table memory and the pages used as they were;
// - afterwards every mapped window translates (every 61st page and the
//   last) to its physical addresses with its attributes, and the pages
//   just outside it fault unless another window holds them.
import PropertyBased
import Testing
@testable import HotplugCore

struct Stage2WindowRecipe: Sendable, CustomStringConvertible {
    var guestBlock: Int
    var guestPage: Int
    var physicalBlock: Int
    var physicalPage: Int
    var pages: Int
    var device: Bool

    var description: String { "(ipa \(guestBlock):\(guestPage), pa \(physicalBlock):\(physicalPage), \(pages) pages\(device ? ", device" : ""))" }

    /// Page offsets are dropped half of the time, so blocks are used.
    var window: Stage2Window {
        let guest = UInt64(guestBlock) << 21 | UInt64(guestPage) << 12
        let physical = UInt64(physicalBlock) << 21 | UInt64(physicalPage) << 12
        let size = UInt64(pages) << 12
        return device ? .device(guestAddress: guest, physicalAddress: physical, size: size)
            : .ram(guestAddress: guest, physicalAddress: physical, size: size)
    }
}

struct Stage2Case: Sendable, CustomStringConvertible {
    var physicalAddressRange: UInt64
    var fewPages: Bool
    var windows: [Stage2WindowRecipe]

    var description: String { "(PARange \(physicalAddressRange), \(fewPages ? "few" : "many") pages, \(windows))" }
}

private let offsets = Gen.int(in: 0 ... 3).map { $0 < 2 ? 0 : ($0 == 2 ? 1 : 300) }
/// Pages: one, a few, a block, a block and a page, two blocks and some
/// (large windows are few: each unaligned page is a walk).
private let sizes = Gen.int(in: 0 ... 7).map { [1, 1, 2, 17, 17, 512, 513, 1030][$0] }
private let stage2Cases = zip(
    Gen.int(in: 0 ... 5).map { UInt64($0) },
    Gen.int(in: 0 ... 3).map { $0 == 0 },
    zip(Gen.int(in: 0 ... 40), offsets, Gen.int(in: 0 ... 2047), offsets, sizes, Gen.int(in: 0 ... 4))
        .map { Stage2WindowRecipe(guestBlock: $0 < 40 ? $0 : 1 << 21, guestPage: $1, physicalBlock: $2,
                                  physicalPage: $3, pages: $4, device: $5 == 0) }
        .array(of: 1 ... 6)
).map { Stage2Case(physicalAddressRange: $0, fewPages: $1, windows: $2) }

/// What the cases reached, summed.
struct Stage2Coverage {
    var mapped = 0
    var blocks = 0
    var overlaps = 0
    var beyond = 0
    var outOfPages = 0
}

func checkStage2(_ testCase: Stage2Case, coverage: inout Stage2Coverage) -> String? {
    guard let geometry = try? Stage2Geometry(physicalAddressRange: testCase.physicalAddressRange) else {
        return "no geometry for PARange \(testCase.physicalAddressRange)"
    }
    let pages = testCase.fewPages ? geometry.rootTableCount + 3 : 64
    var memory = [UInt64](repeating: 0, count: pages * 512)
    return memory.withUnsafeMutableBufferPointer { buffer -> String? in
        guard var tables = try? Stage2TranslationTables(geometry: geometry, memory: buffer, physicalBase: 0x4_0000_0000) else {
            return "table memory refused"
        }
        var mapped: [Stage2Window] = []
        let limit = UInt64(1) << UInt64(geometry.inputAddressBits)
        for recipe in testCase.windows {
            let window = recipe.window
            let end = window.guestAddress + window.size
            let overlaps = mapped.contains { window.guestAddress < $0.guestAddress + $0.size && $0.guestAddress < end }
            // Only pages handed out can hold entries: a refusal must leave
            // them and the count as they were.
            let used = tables.pagesUsed
            let before = Array(buffer[0 ..< used * 512])
            do throws(Stage2TranslationTables.TableError) {
                try tables.map(window)
                if end > limit { return "\(recipe) mapped beyond the \(geometry.inputAddressBits)-bit IPA space" }
                if overlaps { return "\(recipe) mapped over a window already mapped" }
                mapped.append(window)
                coverage.mapped += 1
                if tables.translate(window.guestAddress)?.level == 2 { coverage.blocks += 1 }
            } catch {
                switch error {
                case .beyondAddressSpace where end > limit:
                    coverage.beyond += 1
                case .overlaps where overlaps && end <= limit:
                    coverage.overlaps += 1
                case .outOfTablePages where testCase.fewPages && !overlaps && end <= limit:
                    coverage.outOfPages += 1
                default:
                    return "\(recipe) refused: \(error)"
                }
                if tables.pagesUsed != used || Array(buffer[0 ..< used * 512]) != before {
                    return "\(recipe): the refusal wrote to the tables"
                }
            }
        }
        for window in mapped {
            // Every 61st page, and the last: each block and page table met.
            for offset in Array(stride(from: UInt64(0), to: window.size, by: 61 << 12)) + [window.size - 0x1000] {
                guard let walk = tables.translate(window.guestAddress + offset + 0x18) else {
                    return "\(window) does not translate at +0x\(String(offset, radix: 16))"
                }
                if walk.physicalAddress != window.physicalAddress + offset + 0x18 || walk.descriptor.memory != window.memory
                    || walk.descriptor.isExecutable != window.executable {
                    return "\(window) at +0x\(String(offset, radix: 16)) translates to \(walk)"
                }
            }
            for outside in [window.guestAddress &- 0x1000, window.guestAddress + window.size]
                where outside < limit && !mapped.contains(where: { outside &- $0.guestAddress < $0.size }) {
                if let walk = tables.translate(outside) { return "0x\(String(outside, radix: 16)), in no window, translates: \(walk)" }
            }
        }
        return nil
    }
}

@Suite("Stage-2 translation properties")
struct PropertyStage2Tests {
    /// Random windows: refused exactly when they overlap or leave the IPA
    /// space (or, with few table pages, lack pages), never half-written;
    /// every mapped page translates, nothing else does.
    @Test(.shrinking)
    func windowsTranslateExactlyAsMapped() async {
        var runs = 0
        var coverage = Stage2Coverage()
        await propertyCheck(count: sequenceCases, input: stage2Cases) { testCase in
            runs += 1
            let problem = checkStage2(testCase, coverage: &coverage)
            #expect(problem == nil, "\(problem ?? "")")
        }
        if runs == sequenceCases {
            #expect(coverage.blocks > runs / 10 && coverage.overlaps > runs / 10 && coverage.beyond > runs * 3 / 100
                        && coverage.outOfPages > runs / 20,
                    "paths not reached: \(coverage)")
        }
    }
}
