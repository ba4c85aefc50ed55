// swift-tools-version: 6.1
//
// The host side of the project: the pure core (`HotplugCore`) and its tests.
//
// The same `Sources/HotplugCore` files are compiled again, with the Embedded
// Swift flags, by the Makefile: as the module HotplugCore that the
// freestanding AArch64 image's kernel imports; the
// image-only code under `Sources/Kernel` touches hardware and is therefore not
// a SwiftPM target (it would not build for the host).
import PackageDescription

let package = Package(
    name: "GICv3Hotplug",
    products: [
        .library(name: "HotplugCore", targets: ["HotplugCore"]),
    ],
    dependencies: [
        // Property tests with shrinking (Swift Testing's `propertyCheck`): host tests only.
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.0"),
    ],
    targets: [
        .target(
            name: "HotplugCore",
            path: "Sources/HotplugCore"
        ),
        .testTarget(
            name: "HotplugCoreTests",
            dependencies: [
                "HotplugCore",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            path: "Tests/HotplugCoreTests",
            resources: [.copy("Fixtures")]
        ),
    ]
)
