// The configurations the host benchmarks measure, shared by `bench-report`
// (deterministic counts and same-run timing ratios) and the package-benchmark
// suite: descriptor tables sized from GICD_TYPER values, CPU counts, a router
// that only counts, and one CPU taken offline and brought back.
import HotplugCore

/// A distributor whose `GICD_TYPER` reads `type`: the descriptor table the
/// kernel would build for it.
public struct TableShape: Sendable {
    /// The register value.
    public let type: DistributorType
    /// How the report names it.
    public let label: String

    public init(type: UInt32, label: String) {
        self.type = DistributorType(rawValue: type)
        self.label = label
    }

    /// SPIs plus extended SPIs.
    public var descriptors: Int { InterruptLayout(type).sharedCount }

    /// From QEMU's virt machine (ITLinesNumber 7: 224 SPIs) to the largest
    /// GICv3 distributor (ITLinesNumber 31 and ESPI_range 31: 988 SPIs and
    /// 1024 extended SPIs; Arm IHI 0069 §12.9.38). The other fields are
    /// QEMU's (No1N, A3V, LPIS, 16 INTID bits).
    public static let all: [TableShape] = [
        TableShape(type: 0x037A_0007, label: "ITLinesNumber 7 (QEMU virt)"),
        TableShape(type: 0x037A_000F, label: "ITLinesNumber 15"),
        TableShape(type: 0x037A_001F, label: "ITLinesNumber 31"),
        TableShape(type: 0xFB7A_011F, label: "ITLinesNumber 31, ESPI_range 31"),
    ]
}

/// The CPU counts measured: from the smallest SMP machine to QEMU virt's
/// largest with a GICv3.
public let benchmarkCPUCounts = [2, 8, 32, 128, 512]

/// The two policies, side by side.
public enum PolicyKind: String, CaseIterable, Sendable {
    case seed
    case balanced
}

/// An `InterruptRouter` that writes nothing and counts the writes: no
/// hardware, and no cost a real `GICD_IROUTER` write would add.
public struct CountingRouter: InterruptRouter {
    public private(set) var writes = 0

    public init() {}

    public mutating func route(_ id: InterruptID, to cpu: LogicalCPU) {
        writes &+= 1
    }
}

/// One configuration: a table of `shape`, `cpuCount` CPUs online, one
/// policy, and the CPU that goes offline and comes back (the middle one).
///
/// The table: every descriptor has a handler except one in 97 (which stay
/// put), the top two SPIs are a guest's, every requested mask holds every
/// CPU (the default). The movable descriptors are assigned round-robin to
/// the CPUs (descriptor k to CPU k mod n), an even spread, and every
/// register is taken as written. Then one offline/online pair runs untimed:
/// the balanced policy builds its index there (its only recount of the
/// table), and the seed policy re-spreads every descriptor and narrows its
/// mask to one CPU, as the patch does — from then on each pair starts from
/// the state the previous pair left, which is each policy's steady state.
public struct RebalanceScenario {
    public let shape: TableShape
    public let cpuCount: Int
    public let kind: PolicyKind
    public let table: DescriptorTable
    public var policy: PolicySelection
    public var router = CountingRouter()
    /// Every CPU.
    public let everyCPU: CPUMask
    /// The CPU that goes offline and comes back.
    public let dyingCPU: LogicalCPU
    /// Every CPU but `dyingCPU`.
    public let withoutDyingCPU: CPUMask

    public init(shape: TableShape, cpuCount: Int, kind: PolicyKind) {
        self.shape = shape
        self.cpuCount = cpuCount
        self.kind = kind
        table = DescriptorTable(distributorType: shape.type)
        policy = PolicySelection(kind == .seed ? .seed : .balanced)
        everyCPU = CPUMask.all(upTo: cpuCount)
        dyingCPU = LogicalCPU(cpuCount / 2)
        var rest = everyCPU
        rest.remove(dyingCPU)
        withoutDyingCPU = rest

        var next = 0
        for index in 0 ..< table.count {
            table.withDescriptor(at: index) { descriptor in
                descriptor.hasHandler = index % 97 != 13
                if index >= shape.type.spiCount - 2 && index < shape.type.spiCount {
                    descriptor.status.insert(.guestBound)
                }
                descriptor.requestedAffinity = CPUMask.all(upTo: cpuCount)
                if descriptor.isMovable {
                    descriptor.effectiveTarget = LogicalCPU(next % cpuCount)
                    next += 1
                } else {
                    descriptor.effectiveTarget = LogicalCPU(0)
                }
            }
        }
        _ = offline()
        _ = online()
    }

    /// `dyingCPU` goes offline: the rebalance on its way down.
    @inline(__always)
    public mutating func offline() -> RebalanceOutcome {
        policy.rebalance(from: dyingCPU, up: false, online: withoutDyingCPU, store: table, router: &router)
    }

    /// `dyingCPU` comes back: the rebalance on its way up.
    @inline(__always)
    public mutating func online() -> RebalanceOutcome {
        policy.rebalance(from: dyingCPU, up: true, online: everyCPU, store: table, router: &router)
    }

    /// The fewest writes for `dyingCPU` going offline now.
    public func offlineBound() -> Int {
        RebalanceBounds.minimumMovesForOffline(from: dyingCPU, store: table)
    }

    /// The fewest writes for `dyingCPU` coming online now (it is offline).
    public func onlineBound() -> Int {
        var load = CPULoad()
        load.recount(table)
        return RebalanceBounds.minimumMovesForOnline(load: load, online: everyCPU)
    }

    /// max − min movable descriptors over the CPUs of `online`, counted
    /// from the table.
    public func spread(online: CPUMask) -> Int {
        var load = CPULoad()
        load.recount(table)
        let spread = load.spread(online: online)
        return spread.max - spread.min
    }
}

/// A `RebalanceScenario` behind a reference, for benchmark closures that
/// receive their state by value.
public final class ScenarioBox: @unchecked Sendable {
    public var scenario: RebalanceScenario

    public init(_ scenario: RebalanceScenario) {
        self.scenario = scenario
    }
}
