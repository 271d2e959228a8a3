// swift-tools-version: 6.1
import PackageDescription

/// Hot numeric code is compiled for AVX2/FMA (haswell), optimised in every configuration, and
/// without overflow/bounds traps in release builds (debug builds keep every check).
let numericSettings: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release)),
    // Optimised in debug builds too: the tests train real models and run whole federations.
    .unsafeFlags(["-O"], .when(configuration: .debug)),
    .unsafeFlags(["-target-cpu", "haswell"], .when(platforms: [.linux])),
]

let package = Package(
    name: "FedMQ",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "broker", targets: ["Broker"]),
        .executable(name: "trainer", targets: ["Trainer"]),
        .executable(name: "aggregator", targets: ["Aggregator"]),
        .executable(name: "fedmq", targets: ["Launcher"]),
        .library(name: "ZeroMQ", targets: ["ZeroMQ"]),
        .library(name: "TensorCore", targets: ["TensorCore"]),
        .library(name: "Federation", targets: ["Federation"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // C: libzmq, imported only by ZeroMQ.
        .systemLibrary(
            name: "CZMQ",
            pkgConfig: "libzmq",
            providers: [.apt(["libzmq3-dev"])]
        ),
        // C: zlib, imported only by TensorCore (gzip-compressed IDX files).
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .target(
            name: "ZeroMQ",
            dependencies: ["CZMQ"]
        ),
        .target(
            name: "TensorCore",
            dependencies: ["CZlib"],
            swiftSettings: numericSettings
        ),
        .target(
            name: "Federation",
            dependencies: [
                "ZeroMQ", "TensorCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: numericSettings
        ),
        // Shared by the executables: FEDMQ_* environment fallbacks, log level, service lifecycle,
        // CURVE client options and configuration errors as usage errors.
        .target(
            name: "CommandSupport",
            dependencies: [
                "Federation",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "Broker",
            dependencies: [
                "CommandSupport",
                "Federation", "TensorCore", "ZeroMQ",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "Trainer",
            dependencies: [
                "CommandSupport",
                "Federation", "TensorCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "Aggregator",
            dependencies: [
                "CommandSupport",
                "Federation", "TensorCore", "ZeroMQ",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "Launcher",
            dependencies: [
                "CommandSupport", "Federation", "TensorCore", "ZeroMQ",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: numericSettings
        ),
        .testTarget(name: "ZeroMQTests", dependencies: ["ZeroMQ"]),
        .testTarget(name: "CommandSupportTests", dependencies: ["CommandSupport"]),
        .testTarget(
            name: "TensorCoreTests",
            dependencies: ["TensorCore"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "FederationTests", dependencies: ["Federation", "TensorCore", "ZeroMQ"]),
    ]
)
