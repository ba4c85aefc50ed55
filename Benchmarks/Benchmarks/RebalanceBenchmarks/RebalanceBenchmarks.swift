// package-benchmark suite: the rebalance of one CPU going offline, and of
// the same CPU coming back, for both policies, every table size and every
// CPU count of `RebalanceScenario`.
//
// Each measured sample is one event; the other event of the pair runs
// outside the measurement to restore the state, so every sample starts from
// the same even spread. `scripts/host-bench.sh` turns the wall-clock
// medians into seed/balanced ratios; absolute times are not the figures.
//
// BENCH_MAX_MS (default 1000) bounds each benchmark's duration.
import Benchmark
import Foundation
import HotplugCore
import RebalanceScenarios

let benchmarks: @Sendable () -> Void = {
    let milliseconds = Int(ProcessInfo.processInfo.environment["BENCH_MAX_MS"] ?? "") ?? 1000
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput],
        timeUnits: .nanoseconds,
        warmupIterations: 5,
        maxDuration: .milliseconds(milliseconds),
        maxIterations: 100_000
    )
    for shape in TableShape.all {
        for cpuCount in benchmarkCPUCounts {
            for kind in PolicyKind.allCases {
                let suffix = "\(kind.rawValue) \(shape.descriptors)x\(cpuCount)"
                Benchmark("offline \(suffix)") { benchmark, box in
                    benchmark.startMeasurement()
                    blackHole(box.scenario.offline())
                    benchmark.stopMeasurement()
                    blackHole(box.scenario.online())
                } setup: {
                    ScenarioBox(RebalanceScenario(shape: shape, cpuCount: cpuCount, kind: kind))
                }
                Benchmark("online \(suffix)") { benchmark, box in
                    blackHole(box.scenario.offline())
                    benchmark.startMeasurement()
                    blackHole(box.scenario.online())
                    benchmark.stopMeasurement()
                } setup: {
                    ScenarioBox(RebalanceScenario(shape: shape, cpuCount: cpuCount, kind: kind))
                }
            }
        }
    }
}
