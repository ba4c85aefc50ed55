// bench-report: the host figures of the rebalance, as Markdown tables.
//
// For every table size (GICD_TYPER) and CPU count, both policies start from
// the same even spread (see `RebalanceScenario`) and take the middle CPU
// offline and back. Printed:
// - route writes and descriptor visits (`RebalanceOutcome.descriptorsExamined`)
//   of one offline and one online, with the lower bound and the spread
//   after the event: deterministic counts;
// - time per event, seed over balanced, timed in this run side by side
//   (median of interleaved rounds); never absolute times, which say more
//   about the machine than about the policies;
// - the balanced offline's time per moved descriptor, relative to the
//   smallest table at the same CPU count: flat means the cost follows what
//   moves, not the table.
//
// `bench-report --counts-only` skips the timing.
import HotplugCore
import RebalanceScenarios

/// One event's deterministic figures.
struct EventFigures {
    var bound = 0
    var writes = 0
    var examined = 0
    var spreadAfter = 0
}

/// Everything measured for one policy in one configuration.
struct PolicyFigures {
    var offline = EventFigures()
    var online = EventFigures()
    var offlineTime: Duration = .zero
    var onlineTime: Duration = .zero
}

/// One configuration, both policies.
struct Row {
    let shape: TableShape
    let cpuCount: Int
    var seed = PolicyFigures()
    var balanced = PolicyFigures()
    var rounds = 0
}

/// One offline/online pair, counted.
func countPair(_ scenario: inout RebalanceScenario) -> PolicyFigures {
    var figures = PolicyFigures()
    figures.offline.bound = scenario.offlineBound()
    let down = scenario.offline()
    figures.offline.writes = down.routeWrites
    figures.offline.examined = down.descriptorsExamined
    figures.offline.spreadAfter = scenario.spread(online: scenario.withoutDyingCPU)
    figures.online.bound = scenario.onlineBound()
    let up = scenario.online()
    figures.online.writes = up.routeWrites
    figures.online.examined = up.descriptorsExamined
    figures.online.spreadAfter = scenario.spread(online: scenario.everyCPU)
    return figures
}

/// The median of `samples` (sorted in place).
func median(_ samples: inout [Duration]) -> Duration {
    samples.sort()
    return samples[samples.count / 2]
}

/// Interleaved rounds of offline and online for both policies, each event
/// timed on its own, until about `budget` of events has been timed (at
/// least 15 rounds, at most 2000).
func time(_ seed: inout RebalanceScenario, _ balanced: inout RebalanceScenario,
          budget: Duration) -> (seed: (Duration, Duration), balanced: (Duration, Duration), rounds: Int) {
    let clock = ContinuousClock()
    var seedOffline: [Duration] = []
    var seedOnline: [Duration] = []
    var balancedOffline: [Duration] = []
    var balancedOnline: [Duration] = []
    var spent: Duration = .zero
    var rounds = 0
    var sink = 0
    while rounds < 15 || (spent < budget && rounds < 2000) {
        var start = clock.now
        sink &+= seed.offline().routeWrites
        var end = clock.now
        seedOffline.append(end - start)
        start = end
        sink &+= seed.online().routeWrites
        end = clock.now
        seedOnline.append(end - start)
        start = end
        sink &+= balanced.offline().routeWrites
        end = clock.now
        balancedOffline.append(end - start)
        start = end
        sink &+= balanced.online().routeWrites
        end = clock.now
        balancedOnline.append(end - start)
        spent += seedOffline.last! + seedOnline.last! + balancedOffline.last! + balancedOnline.last!
        rounds += 1
    }
    precondition(sink >= 0)
    return ((median(&seedOffline), median(&seedOnline)),
            (median(&balancedOffline), median(&balancedOnline)),
            rounds)
}

/// `a / b` with two decimals; "–" when `b` is zero.
func ratio(_ a: Double, _ b: Double) -> String {
    guard b > 0 else { return a == 0 ? "–" : "∞" }
    let hundredths = Int((a / b * 100).rounded())
    let fraction = hundredths % 100
    return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
}

func ratio(_ a: Int, _ b: Int) -> String { ratio(Double(a), Double(b)) }

func ratio(_ a: Duration, _ b: Duration) -> String {
    ratio(Double(a.components.attoseconds) / 1e18 + Double(a.components.seconds),
          Double(b.components.attoseconds) / 1e18 + Double(b.components.seconds))
}

func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

/// Every configuration, counted and (unless `countsOnly`) timed.
func measure(countsOnly: Bool) -> [Row] {
    var rows: [Row] = []
    for shape in TableShape.all {
    for cpuCount in benchmarkCPUCounts {
        var row = Row(shape: shape, cpuCount: cpuCount)
        var seed = RebalanceScenario(shape: shape, cpuCount: cpuCount, kind: .seed)
        var balanced = RebalanceScenario(shape: shape, cpuCount: cpuCount, kind: .balanced)
        row.seed = countPair(&seed)
        row.balanced = countPair(&balanced)
        if !countsOnly {
            let timed = time(&seed, &balanced, budget: .milliseconds(60))
            (row.seed.offlineTime, row.seed.onlineTime) = timed.seed
            (row.balanced.offlineTime, row.balanced.onlineTime) = timed.balanced
            row.rounds = timed.rounds
        }
        rows.append(row)
    }
    }
    return rows
}

func bound(_ row: Row, _ event: KeyPath<PolicyFigures, EventFigures>) -> String {
    let seed = row.seed[keyPath: event].bound
    let balanced = row.balanced[keyPath: event].bound
    return seed == balanced ? "\(balanced)" : "\(seed) / \(balanced)"
}

func countsTable(_ rows: [Row], _ title: String, _ event: KeyPath<PolicyFigures, EventFigures>, boundName: String) {
    print("### \(title)")
    print("")
    print("| descriptors | CPUs | \(boundName) | writes seed | writes balanced | seed/balanced | examined seed | examined balanced | seed/balanced | max−min after seed | max−min after balanced |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows {
        let s = row.seed[keyPath: event]
        let b = row.balanced[keyPath: event]
        print("| \(row.shape.descriptors) | \(row.cpuCount) | \(bound(row, event)) | \(s.writes) | \(b.writes) | \(ratio(s.writes, b.writes)) | \(s.examined) | \(b.examined) | \(ratio(s.examined, b.examined)) | \(s.spreadAfter) | \(b.spreadAfter) |")
    }
    print("")
}

func report(_ rows: [Row], countsOnly: Bool) {
print("## Host rebalance figures")
print("")
print("Tables from GICD_TYPER: " + TableShape.all.map { "\($0.descriptors) descriptors (\($0.label))" }.joined(separator: ", ")
      + ". All requested masks hold every CPU; one descriptor in 97 has no handler and two are a guest's. "
      + "The movable ones start spread evenly; the middle CPU (n / 2) goes offline, then comes back; "
      + "figures are those of the second such pair (the first, untimed, lets each policy reach its steady state).")
print("")
countsTable(rows, "Offline of one CPU: route writes and descriptors examined", \.offline, boundName: "must move")
countsTable(rows, "Online of the same CPU: route writes and descriptors examined", \.online, boundName: "fewest moves")

if !countsOnly {
    print("### Time per event, seed / balanced (same run)")
    print("")
    print("Median of interleaved rounds (both policies, offline and online, each event timed alone); a ratio above 1 means the seed policy is slower.")
    print("")
    print("| descriptors | CPUs | rounds | offline seed/balanced | online seed/balanced |")
    print("|---:|---:|---:|---:|---:|")
    for row in rows {
        print("| \(row.shape.descriptors) | \(row.cpuCount) | \(row.rounds) | \(ratio(row.seed.offlineTime, row.balanced.offlineTime)) | \(ratio(row.seed.onlineTime, row.balanced.onlineTime)) |")
    }
    print("")

    print("### Balanced offline: time per moved descriptor, relative to the \(TableShape.all[0].descriptors)-descriptor table")
    print("")
    print("Median offline time divided by the descriptors it moved, over the same figure for the smallest table at the same CPU count. Flat (1.00 ± 0.20) means the cost follows what moves, not the table. Seed for comparison, same normalisation.")
    print("")
    print("| CPUs | " + TableShape.all.map { "balanced \($0.descriptors)" }.joined(separator: " | ") + " | " + TableShape.all.map { "seed \($0.descriptors)" }.joined(separator: " | ") + " |")
    print("|---:|" + String(repeating: "---:|", count: 2 * TableShape.all.count))
    for cpuCount in benchmarkCPUCounts {
        let line = rows.filter { $0.cpuCount == cpuCount }
        func perMoved(_ figures: PolicyFigures) -> Double? {
            figures.offline.writes > 0 ? seconds(figures.offlineTime) / Double(figures.offline.writes) : nil
        }
        func relative(_ pick: (Row) -> PolicyFigures) -> [String] {
            guard let base = perMoved(pick(line[0])) else { return line.map { _ in "–" } }
            return line.map { row in perMoved(pick(row)).map { ratio($0, base) } ?? "–" }
        }
        print("| \(cpuCount) | " + relative(\.balanced).joined(separator: " | ") + " | " + relative(\.seed).joined(separator: " | ") + " |")
    }
    print("")
}
}

let countsOnly = CommandLine.arguments.contains("--counts-only")
report(measure(countsOnly: countsOnly), countsOnly: countsOnly)
