// swift-tools-version: 6.1
//
// Host benchmarks of the rebalance, in their own package so that the main
// package's test build stays lean. Depends on the root package by path.
//
//   swift run -c release bench-report       route writes, descriptors examined,
//                                           same-run time ratios (Markdown)
//   swift package benchmark                 the package-benchmark suite
//
// `scripts/host-bench.sh` (at the repository root) runs both.
import PackageDescription

let package = Package(
    name: "HotplugBenchmarks",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "bench-report", targets: ["BenchReport"]),
    ],
    dependencies: [
        .package(name: "GICv3Hotplug", path: ".."),
        .package(url: "https://github.com/ordo-one/package-benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
    ],
    targets: [
        .target(
            name: "RebalanceScenarios",
            dependencies: [.product(name: "HotplugCore", package: "GICv3Hotplug")],
            path: "Sources/RebalanceScenarios"
        ),
        .executableTarget(
            name: "BenchReport",
            dependencies: ["RebalanceScenarios", .product(name: "HotplugCore", package: "GICv3Hotplug")],
            path: "Sources/BenchReport"
        ),
        .executableTarget(
            name: "RebalanceBenchmarks",
            dependencies: [
                "RebalanceScenarios",
                .product(name: "Benchmark", package: "package-benchmark"),
                .product(name: "HotplugCore", package: "GICv3Hotplug"),
            ],
            path: "Benchmarks/RebalanceBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        ),
    ]
)
