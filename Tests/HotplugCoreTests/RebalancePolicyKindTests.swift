// The one policy-kind enum and its text form: every name parses back to its
// kind, nothing else parses, and every place that lists the names (errors,
// the console's usage line) lists exactly the kinds there are.
import XCTest
@testable import HotplugCore

final class RebalancePolicyKindTests: XCTestCase {
    private func text(_ string: StaticString) -> String {
        ConsoleText.string(string)
    }

    /// name -> parsing -> the same kind, for every kind; the names differ.
    func testEveryNameParsesBackToItsKind() {
        for kind in RebalancePolicyKind.allCases {
            XCTAssertEqual(RebalancePolicyKind(parsing: Array(text(kind.name).utf8)), kind, text(kind.name))
        }
        let names = Set(RebalancePolicyKind.allCases.map { text($0.name) })
        XCTAssertEqual(names, ["seed", "balanced", "load"])
    }

    /// Cases: (input, why it is not a policy).
    func testOnlyExactNamesParse() {
        let cases: [(String, String)] = [
            ("", "empty"),
            ("balance", "a prefix"),
            ("balanced ", "a trailing blank"),
            ("Seed", "names are case sensitive"),
            ("seedbalanced", "two names run together"),
            ("none", "what the image reports with migration compiled out is not a choice"),
        ]
        for (input, why) in cases {
            XCTAssertNil(RebalancePolicyKind(parsing: Array(input.utf8)), why)
        }
    }

    /// The lists of names in messages and in `help` follow `allCases`.
    func testListsOfNamesFollowTheCases() {
        let names = RebalancePolicyKind.allCases.map { text($0.name) }
        XCTAssertEqual(text(RebalancePolicyKind.names), names.joined(separator: ", "))
        XCTAssertEqual(text(ConsoleVerb.policy.usage), "policy " + names.joined(separator: "|"))
        XCTAssertEqual(ConsoleError.unknownPolicy(ConsoleWord(Array("x".utf8))).message,
                       "error: unknown policy 'x' (policies are " + names.joined(separator: ", ") + ")")
    }

    /// The console command carries the kind and writes it back by name.
    func testConsoleCommandRoundTrip() {
        for kind in RebalancePolicyKind.allCases {
            let line = "policy " + text(kind.name)
            XCTAssertEqual(ConsoleCommand.policy(kind).text, line)
            XCTAssertEqual(try ConsoleParser.parse(Array(line.utf8), cpuCount: 4).get(), .policy(kind), line)
        }
    }

    /// What each policy slot answers: `PolicySelection` puts the chosen kind
    /// in force, afresh; `DisabledRebalance` has none and refuses.
    func testSelectablePolicies() {
        var selection = PolicySelection()
        XCTAssertEqual(selection.inForce, .balanced, "the default")
        XCTAssertNil(selection.seedCursor, "no cursor unless the seed policy runs")
        XCTAssertTrue(selection.select(.seed))
        XCTAssertEqual(selection.inForce, .seed)
        XCTAssertEqual(selection.seedCursor, 0, "a fresh seed policy starts at cpu_next 0")
        selection.seed.cpuNext = 3
        XCTAssertTrue(selection.select(.seed))
        XCTAssertEqual(selection.seedCursor, 0, "selecting again starts afresh")

        XCTAssertFalse(selection.measuresLoad, "only the load policy measures load")

        var disabled = DisabledRebalance()
        XCTAssertNil(disabled.inForce)
        XCTAssertFalse(disabled.select(.balanced))
        XCTAssertFalse(disabled.select(.load))
        XCTAssertNil(disabled.inForce, "nothing changed")
        XCTAssertNil(disabled.seedCursor)
        XCTAssertFalse(disabled.measuresLoad)
    }

    /// The load policy through the selection: counts recorded while it is
    /// in force reach its rates and an epoch re-places by them (the busiest
    /// interrupt gets a CPU of its own: 130 on one CPU against 100 clears
    /// the hysteresis); under another policy both are
    /// no-ops; selecting it again forgets the rates.
    func testLoadPolicyThroughTheSelection() {
        var distributor = SimulatedDistributor()
        let table = routedTable(count: 4, targets: [0], distributor: &distributor)
        let online = cpus(0, 1)
        var selection = PolicySelection()

        selection.recordHandled(100, at: 0)
        XCTAssertEqual(selection.endEpoch(online: online, store: table, router: &distributor), .none,
                       "the balanced policy closes no epoch")
        XCTAssertEqual(selection.load.rates.handledThisEpoch(at: 0), 0, "nothing recorded for a policy not in force")

        XCTAssertTrue(selection.select(.load))
        XCTAssertTrue(selection.measuresLoad)
        XCTAssertNil(selection.seedCursor)
        for (position, handled) in [UInt32(100), 10, 10, 10].enumerated() {
            selection.recordHandled(handled, at: position)
        }
        let outcome = selection.endEpoch(online: online, store: table, router: &distributor)
        XCTAssertEqual(selection.load.rates.epochs, 1)
        XCTAssertGreaterThan(outcome.routeWrites, 0, "everything started on cpu 0")
        let busy = distributor.target(of: table[0].id)
        XCTAssertNotNil(busy)
        for index in 1 ..< 4 {
            XCTAssertNotEqual(distributor.target(of: table[index].id), busy, "INTID \(table[index].id.rawValue) shares the busy cpu")
        }

        XCTAssertTrue(selection.select(.load))
        XCTAssertEqual(selection.load.rates.epochs, 0, "a fresh load policy")
        XCTAssertEqual(selection.load.rates.rate(at: 0), 0)
    }
}
