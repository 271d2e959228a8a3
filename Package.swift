// swift-tools-version: 6.1
import PackageDescription

/// Numeric kernels (GEMM, convolution, vector math) are compiled for AVX2/FMA (haswell),
/// optimised in every configuration, and without overflow/bounds traps in release builds.
/// Only the kernel modules get `-Ounchecked`: code that parses bytes from the network or from
/// files (protocol header, safetensors header, JSON, control payloads) keeps Swift's checks.
let kernelSettings: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release)),
    // Optimised in debug builds too: the tests train real models and run whole federations.
    .unsafeFlags(["-O"], .when(configuration: .debug)),
    .unsafeFlags(["-target-cpu", "haswell"], .when(platforms: [.linux])),
]

/// Everything else that runs hot (decoding, aggregation, services): optimised with every
/// runtime check kept, in debug builds too (the tests run whole federations).
let checkedSettings: [SwiftSetting] = [
    .unsafeFlags(["-O"], .when(configuration: .debug)),
    .unsafeFlags(["-target-cpu", "haswell"], .when(platforms: [.linux])),
]

let logging = Target.Dependency.product(name: "Logging", package: "swift-log")
let lifecycle = Target.Dependency.product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")
let metrics = Target.Dependency.product(name: "CoreMetrics", package: "swift-metrics")

let package = Package(
    name: "FedMQ",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "broker", targets: ["Broker"]),
        .executable(name: "trainer", targets: ["Trainer"]),
        .executable(name: "aggregator", targets: ["Aggregator"]),
        .executable(name: "fedmq", targets: ["Launcher"]),
        .library(name: "ZeroMQ", targets: ["ZeroMQ"]),
        .library(name: "SafeTensorsFormat", targets: ["SafeTensorsFormat"]),
        .library(name: "TensorCore", targets: ["TensorCore"]),
        .library(name: "FedMQProtocol", targets: ["FedMQProtocol"]),
        .library(name: "FedMQBroker", targets: ["FedMQBroker"]),
        .library(name: "FedMQAggregator", targets: ["FedMQAggregator"]),
        .library(name: "FedMQTrainer", targets: ["FedMQTrainer"]),
        .library(name: "FedMQPrivacy", targets: ["FedMQPrivacy"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
    ],
    targets: [
        // C: libzmq, imported only by ZeroMQ.
        .systemLibrary(name: "CZMQ", pkgConfig: "libzmq", providers: [.apt(["libzmq3-dev"])]),
        // C: zlib, imported only by TensorCore (gzip-compressed IDX files).
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        // Sockets: libzmq in Swift (CURVE, ZAP, poll, proxy, zero-copy messages).
        .target(name: "ZeroMQ", dependencies: ["CZMQ"]),
        // Vector kernels (AVX2): sums of squares, axpy, scale, finiteness.
        .target(name: "VectorKernels", swiftSettings: kernelSettings),
        // The weights format: Tensor values, parameter layouts with PyTorch names, safetensors
        // files and payloads, the JSON parser behind them. Parses untrusted bytes: checked.
        .target(name: "SafeTensorsFormat", swiftSettings: checkedSettings),
        // Training: GEMM/conv/pool kernels, layers, models, optimizers, datasets.
        .target(name: "TensorCore", dependencies: ["CZlib", "VectorKernels", "SafeTensorsFormat"],
                swiftSettings: kernelSettings),

        // The wire protocol: header, codec, CRC-32C, size limits, control messages. No sockets,
        // no training kernels.
        .target(name: "FedMQProtocol", dependencies: ["SafeTensorsFormat", "VectorKernels"],
                swiftSettings: checkedSettings),
        // What every process needs around the protocol on ZeroMQ: broker ports and endpoints,
        // CURVE key files and lists, the sender abstraction.
        .target(name: "FedMQTransport", dependencies: ["FedMQProtocol", "ZeroMQ"],
                swiftSettings: checkedSettings),
        // Differential privacy: the sampled Gaussian mechanism's Rényi DP, the accountant and
        // noise calibration from a budget. Pure arithmetic, no I/O.
        .target(name: "FedMQPrivacy", swiftSettings: checkedSettings),
        // The broker service: forwarding channels, last-value cache, counters. ZeroMQ + protocol.
        .target(name: "FedMQBroker", dependencies: ["FedMQTransport", "FedMQProtocol", "ZeroMQ", logging, lifecycle, metrics],
                swiftSettings: checkedSettings),
        // The aggregator: engine, strategies, staleness, registry, checkpoints, metrics, evaluation.
        .target(name: "FedMQAggregator",
                dependencies: ["FedMQTransport", "FedMQProtocol", "FedMQPrivacy", "TensorCore", "VectorKernels",
                               "SafeTensorsFormat", "ZeroMQ", logging, lifecycle, metrics],
                swiftSettings: checkedSettings),
        // The trainer: session, local training, partitions, sockets.
        .target(name: "FedMQTrainer",
                dependencies: ["FedMQTransport", "FedMQProtocol", "TensorCore", "VectorKernels", "SafeTensorsFormat",
                               "ZeroMQ", logging, lifecycle, metrics],
                swiftSettings: checkedSettings),
        // Prometheus metrics over HTTP (plus any extra routes, e.g. a live page): the only module
        // that imports Hummingbird and the Prometheus backend; libraries use the swift-metrics API only.
        .target(name: "FedMQMonitoring",
                dependencies: [logging, lifecycle, metrics,
                               .product(name: "Prometheus", package: "swift-prometheus"),
                               .product(name: "Hummingbird", package: "hummingbird")],
                swiftSettings: checkedSettings),
        // Not a library product: the launcher's process supervision, the load generator and the
        // benchmarks (kernels, safetensors, transport, broker, aggregation).
        .target(name: "FedMQTools",
                dependencies: ["FedMQBroker", "FedMQAggregator", "FedMQTrainer", "FedMQTransport", "FedMQProtocol",
                               "TensorCore", "VectorKernels", "SafeTensorsFormat", "ZeroMQ", logging, metrics],
                swiftSettings: checkedSettings),

        // Shared by the executables: FEDMQ_* environment fallbacks, log level, service lifecycle,
        // CURVE client options, metrics options and configuration errors as usage errors.
        .target(name: "CommandSupport",
                dependencies: ["FedMQTransport", "FedMQProtocol", "FedMQMonitoring", argumentParser, logging, lifecycle, metrics,
                               .product(name: "UnixSignals", package: "swift-service-lifecycle")]),
        // The aggregator's strategy settings as argument types, for the commands that configure
        // an aggregator (aggregator, fedmq run); kept out of CommandSupport so the broker and
        // trainer do not link the aggregator.
        .target(name: "AggregatorCommandSupport", dependencies: ["CommandSupport", "FedMQAggregator", "FedMQPrivacy", argumentParser]),
        .executableTarget(name: "Broker",
                          dependencies: ["CommandSupport", "FedMQBroker", "FedMQTransport", "FedMQProtocol", "ZeroMQ",
                                         argumentParser, logging, lifecycle]),
        .executableTarget(name: "Trainer",
                          dependencies: ["CommandSupport", "FedMQTrainer", "FedMQTransport", "FedMQProtocol", "TensorCore",
                                         argumentParser, logging, lifecycle]),
        .executableTarget(name: "Aggregator",
                          dependencies: ["CommandSupport", "AggregatorCommandSupport", "FedMQAggregator", "FedMQTransport", "FedMQProtocol",
                                         "TensorCore", "ZeroMQ", argumentParser, logging, lifecycle]),
        .executableTarget(name: "Launcher",
                          dependencies: ["CommandSupport", "AggregatorCommandSupport", "FedMQTools", "FedMQAggregator", "FedMQTrainer", "FedMQBroker",
                                         "FedMQMonitoring",
                                         "FedMQTransport", "FedMQProtocol", "TensorCore", "SafeTensorsFormat", "ZeroMQ",
                                         argumentParser, logging]),

        .testTarget(name: "ZeroMQTests", dependencies: ["ZeroMQ"]),
        .testTarget(name: "MonitoringTests", dependencies: ["FedMQMonitoring", logging, metrics]),
        .testTarget(name: "CommandSupportTests", dependencies: ["CommandSupport", "FedMQProtocol", argumentParser, logging]),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore", "SafeTensorsFormat", "VectorKernels"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "PrivacyTests", dependencies: ["FedMQPrivacy"], resources: [.copy("Fixtures")]),
        .testTarget(name: "FederationTests",
                    dependencies: ["FedMQTools", "FedMQBroker", "FedMQAggregator", "FedMQTrainer", "FedMQTransport",
                                   "FedMQProtocol", "TensorCore", "SafeTensorsFormat", "VectorKernels", "ZeroMQ",
                                   "FedMQMonitoring", metrics]),
    ]
)
