// swift-tools-version: 6.1
//
// The host side of the project: the pure core (`HotplugCore`) and its tests.
//
// The same `Sources/HotplugCore` files are compiled again, with the Embedded
// Swift flags, into the freestanding AArch64 image by the Makefile; the
// image-only code under `Sources/Kernel` touches hardware and is therefore not
// a SwiftPM target (it would not build for the host).
import PackageDescription

let package = Package(
    name: "GICv3Hotplug",
    products: [
        .library(name: "HotplugCore", targets: ["HotplugCore"]),
    ],
    targets: [
        .target(
            name: "HotplugCore",
            path: "Sources/HotplugCore"
        ),
        .testTarget(
            name: "HotplugCoreTests",
            dependencies: ["HotplugCore"],
            path: "Tests/HotplugCoreTests",
            resources: [.copy("Fixtures")]
        ),
    ]
)
