// swift-tools-version: 6.1
import PackageDescription

/// libFuzzer targets for FedMQ's decoders. Not part of the main build: it needs
/// `-sanitize=fuzzer,address`; run it with `scripts/fuzz.sh [seconds]`.
let package = Package(
    name: "FedMQFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "FedMQ", path: "..")],
    targets: [
        // Declares libFuzzer's LLVMFuzzerRunDriver for Swift.
        .target(name: "CFuzzDriver"),
        .executableTarget(
            name: "FedMQFuzz",
            dependencies: [
                "CFuzzDriver",
                .product(name: "FedMQProtocol", package: "FedMQ"),
                .product(name: "SafeTensorsFormat", package: "FedMQ"),
            ]
        ),
    ]
)
