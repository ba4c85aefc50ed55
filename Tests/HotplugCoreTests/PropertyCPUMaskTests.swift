// Property test of `CPUMask` against a `Set<Int>` model: random scripts of
// operations on two masks (insert, remove, runs, set algebra, `all(upTo:)`,
// building from a sequence) over a random universe of 1 to 512 CPUs, and
// after every step every query (count, first, last, next, cycle, nth,
// iteration, contains, subset, disjoint, equality, the algebra's results)
// compared with the model. Arguments are plain integers read modulo the
// universe, so a failing script shrinks to a short one over few CPUs.
import PropertyBased
import Testing
@testable import HotplugCore

/// One step of a `MaskScript`: an operation and two raw arguments.
struct MaskStep: Sendable {
    /// Which operation; see `MaskScript.apply`.
    var kind: Int
    /// A CPU (read modulo the universe) or a count.
    var first: Int
    /// A run length, and the index the queries after the step ask about.
    var second: Int

    static let kinds = 14
    /// `second` at or above this picks one of `MaskScript.edgeIndices`.
    static let edgeBase = 1000
    static let secondRange = 0 ... edgeBase + MaskScript.edgeIndices.count - 1
}

/// Two masks, A and B, driven by a list of steps over CPUs `0 ..< universe`.
struct MaskScript: Sendable, CustomStringConvertible {
    var universe: Int
    var steps: [MaskStep]

    /// Indices outside every mask that the queries must cope with.
    static let edgeIndices = [Int.min, Int.max, -2, -1, 511, 512, 513, Int.max - 1, -1000]

    func cpu(_ raw: Int) -> Int { raw % universe }

    /// The index queried after a step: `-1 ... universe + 1`, or an edge.
    func queryIndex(_ step: MaskStep) -> Int {
        step.second >= MaskStep.edgeBase
            ? MaskScript.edgeIndices[step.second - MaskStep.edgeBase]
            : step.second % (universe + 3) - 1
    }

    /// The CPUs of a run starting at `first`, clipped to the universe.
    func run(_ step: MaskStep) -> Range<Int> {
        let start = cpu(step.first)
        return start ..< min(universe, start + 1 + step.second % 80)
    }

    /// What the step does, in words.
    func text(_ step: MaskStep) -> String {
        switch step.kind {
        case 0: return "A.insert(\(cpu(step.first)))"
        case 1: return "B.insert(\(cpu(step.first)))"
        case 2: return "A.remove(\(cpu(step.first)))"
        case 3: return "B.remove(\(cpu(step.first)))"
        case 4: return "A.insert(\(run(step)))"
        case 5: return "A.remove(\(run(step)))"
        case 6: return "A = A ∪ B"
        case 7: return "A = A ∩ B"
        case 8: return "A = A − B"
        case 9: return "swap A, B"
        case 10: return "B = all(upTo: \(step.first % (universe + 1)))"
        case 11: return "B = CPUMask(A's members reversed, twice)"
        case 12: return "A = CPUMask(single: \(cpu(step.first)))"
        default: return "queries only"
        }
    }

    var description: String {
        "universe \(universe): " + steps.map { "\(text($0)) [query \(queryIndex($0))]" }.joined(separator: "; ")
    }

    /// Which masks `step` changes.
    func changes(_ step: MaskStep) -> (a: Bool, b: Bool) {
        switch step.kind {
        case 1, 3, 10, 11: return (false, true)
        case 9: return (true, true)
        case 13: return (false, false)
        default: return (true, false)
        }
    }

    /// Applies `step` to the masks and to their models alike.
    func apply(_ step: MaskStep, _ a: inout CPUMask, _ b: inout CPUMask, _ modelA: inout Set<Int>, _ modelB: inout Set<Int>) {
        let x = cpu(step.first)
        switch step.kind {
        case 0: a.insert(LogicalCPU(x)); modelA.insert(x)
        case 1: b.insert(LogicalCPU(x)); modelB.insert(x)
        case 2: a.remove(LogicalCPU(x)); modelA.remove(x)
        case 3: b.remove(LogicalCPU(x)); modelB.remove(x)
        case 4:
            for cpu in run(step) { a.insert(LogicalCPU(cpu)) }
            modelA.formUnion(run(step))
        case 5:
            for cpu in run(step) { a.remove(LogicalCPU(cpu)) }
            modelA.subtract(run(step))
        case 6: a = a.union(b); modelA.formUnion(modelB)
        case 7: a = a.intersection(b); modelA.formIntersection(modelB)
        case 8: a = a.subtracting(b); modelA.subtract(modelB)
        case 9: swap(&a, &b); swap(&modelA, &modelB)
        case 10:
            let count = step.first % (universe + 1)
            b = CPUMask.all(upTo: count); modelB = Set(0 ..< count)
        case 11:
            let members = Array(a)
            b = CPUMask((members + members).reversed()); modelB = modelA
        case 12: a = CPUMask(single: LogicalCPU(x)); modelA = [x]
        default: break
        }
    }
}

/// The model's members in ascending order. Marked off in a table rather
/// than sorted: the generic sort dominated the run time in debug builds.
private func ascending(_ model: Set<Int>) -> [Int] {
    var present = [Bool](repeating: false, count: CPUMask.capacity)
    for cpu in model { present[cpu] = true }
    var members: [Int] = []
    members.reserveCapacity(model.count)
    for cpu in 0 ..< CPUMask.capacity where present[cpu] { members.append(cpu) }
    return members
}

/// Every query of one mask against its model; the first difference, if any.
private func compare(_ name: String, _ mask: CPUMask, _ model: Set<Int>, query q: Int, nth k: Int) -> String? {
    let sorted = ascending(model)
    var iterator = mask.makeIterator()
    var walked: [Int] = []
    walked.reserveCapacity(sorted.count)
    while let cpu = iterator.next() {
        walked.append(cpu.index)
        if walked.count > CPUMask.capacity { break }
    }
    if walked != sorted { return "\(name) iterates as \(walked), model \(sorted)" }
    if iterator.next() != nil { return "\(name)'s iterator yields again after nil" }
    if mask.count != sorted.count { return "\(name).count \(mask.count), model \(sorted.count)" }
    if mask.underestimatedCount != sorted.count { return "\(name).underestimatedCount \(mask.underestimatedCount)" }
    if mask.isEmpty != sorted.isEmpty { return "\(name).isEmpty \(mask.isEmpty)" }
    if mask.first?.index != sorted.first { return "\(name).first \(cpuText(mask.first)), model \(sorted.first.map(String.init) ?? "-")" }
    if mask.last?.index != sorted.last { return "\(name).last \(cpuText(mask.last)), model \(sorted.last.map(String.init) ?? "-")" }
    for cpu in sorted where !mask.contains(LogicalCPU(cpu)) { return "\(name).contains(\(cpu)) false for a member" }

    if mask.contains(LogicalCPU(q)) != model.contains(q) { return "\(name).contains(\(q)) \(mask.contains(LogicalCPU(q)))" }
    let next = sorted.first { $0 > q }
    if mask.next(afterIndex: q)?.index != next { return "\(name).next(afterIndex: \(q)) \(cpuText(mask.next(afterIndex: q))), model \(next.map(String.init) ?? "-")" }
    if mask.next(after: LogicalCPU(q))?.index != next { return "\(name).next(after: \(q)) \(cpuText(mask.next(after: LogicalCPU(q))))" }
    let cycle = next ?? sorted.first
    if mask.cycle(afterIndex: q)?.index != cycle { return "\(name).cycle(afterIndex: \(q)) \(cpuText(mask.cycle(afterIndex: q))), model \(cycle.map(String.init) ?? "-")" }
    if mask.cycle(after: LogicalCPU(q))?.index != cycle { return "\(name).cycle(after: \(q)) \(cpuText(mask.cycle(after: LogicalCPU(q))))" }
    for index in [k, -1, sorted.count - 1, sorted.count] {
        let expected = index >= 0 && index < sorted.count ? sorted[index] : nil
        if mask.nth(index)?.index != expected { return "\(name).nth(\(index)) \(cpuText(mask.nth(index))), model \(expected.map(String.init) ?? "-")" }
    }
    return nil
}

/// The set algebra and comparisons of A and B against the models'.
private func compareAlgebra(_ a: CPUMask, _ b: CPUMask, _ modelA: Set<Int>, _ modelB: Set<Int>) -> String? {
    let results: [(String, CPUMask, Set<Int>)] = [
        ("A ∩ B", a.intersection(b), modelA.intersection(modelB)),
        ("A & B", a & b, modelA.intersection(modelB)),
        ("A ∪ B", a.union(b), modelA.union(modelB)),
        ("A | B", a | b, modelA.union(modelB)),
        ("A − B", a.subtracting(b), modelA.subtracting(modelB)),
        ("B − A", b.subtracting(a), modelB.subtracting(modelA)),
    ]
    for (name, mask, model) in results where Set(mask.map(\.index)) != model {
        return "\(name) = \(mask.braced), model \(ascending(model))"
    }
    if a.isSubset(of: b) != modelA.isSubset(of: modelB) { return "A.isSubset(of: B) \(a.isSubset(of: b))" }
    if b.isSubset(of: a) != modelB.isSubset(of: modelA) { return "B.isSubset(of: A) \(b.isSubset(of: a))" }
    if a.isDisjoint(with: b) != modelA.isDisjoint(with: modelB) { return "A.isDisjoint(with: B) \(a.isDisjoint(with: b))" }
    if b.isDisjoint(with: a) != modelB.isDisjoint(with: modelA) { return "B.isDisjoint(with: A) \(b.isDisjoint(with: a))" }
    if (a == b) != (modelA == modelB) { return "A == B \(a == b)" }
    return nil
}

/// Scripts of 0 to 30 steps over 1 to 512 CPUs.
private let maskScripts = zip(
    Gen.int(in: 1 ... CPUMask.capacity),
    zip(Gen.int(in: 0 ... MaskStep.kinds - 1), Gen.int(in: 0 ... 1023), Gen.int(in: MaskStep.secondRange))
        .map { MaskStep(kind: $0, first: $1, second: $2) }
        .array(of: 0 ... 30)
).map { MaskScript(universe: $0, steps: $1) }

@Suite("CPUMask properties")
struct PropertyCPUMaskTests {
    /// After every step of a random script, both masks and their algebra
    /// answer every query as the `Set<Int>` model does.
    @Test(.shrinking)
    func masksBehaveLikeSets() async {
        await propertyCheck(count: propertyCases, input: maskScripts) { script in
            var a = CPUMask(), b = CPUMask()
            var modelA = Set<Int>(), modelB = Set<Int>()
            var problem: String? = nil
            for (number, step) in script.steps.enumerated() where problem == nil {
                script.apply(step, &a, &b, &modelA, &modelB)
                // The mask a step changed is compared in full; both masks
                // and their algebra after a query step and after the last.
                let changed = script.changes(step)
                let everything = step.kind == MaskStep.kinds - 1 || number == script.steps.count - 1
                let q = script.queryIndex(step)
                var difference: String? = nil
                if changed.a || everything {
                    difference = compare("A", a, modelA, query: q, nth: step.first % (modelA.count + 2) - 1)
                }
                if difference == nil && (changed.b || everything) {
                    difference = compare("B", b, modelB, query: q, nth: step.first % (modelB.count + 2) - 1)
                }
                if difference == nil && everything {
                    difference = compareAlgebra(a, b, modelA, modelB)
                }
                if let difference {
                    problem = "after step \(number) (\(script.text(step))): \(difference)"
                }
            }
            #expect(problem == nil, "\(problem ?? "")")
        }
    }
}
