// The layering that Package.swift declares, checked on what was linked: the broker executable
// carries no training kernels and no aggregator or trainer code, so a dependency added by
// mistake (a `TensorCore` import creeping into `FedMQTransport`, say) fails here.
import Foundation
import Testing

@Suite struct ModuleLayeringTests {
    /// Swift symbol prefixes of the modules in `executable`'s symbol table (`$s<len><Module>`).
    private func linkedModules(_ executable: String, among modules: [String]) throws -> Set<String> {
        let path = LauncherEndToEndTests.executables.appendingPathComponent(executable).path
        try #require(FileManager.default.isExecutableFile(atPath: path), "no \(executable) executable at \(path)")
        let result = try ChildCommand.run("/usr/bin/nm", ["--defined-only", path], timeout: 60)
        try #require(result.status == 0, "nm failed: \(result.stderr)")
        return Set(modules.filter { result.stdout.contains("$s\($0.utf8.count)\($0)") })
    }

    @Test func theBrokerLinksNeitherTheKernelsNorTheAggregatorNorTheTrainer() throws {
        let modules = ["FedMQBroker", "FedMQProtocol", "ZeroMQ", "TensorCore", "FedMQAggregator", "FedMQTrainer", "FedMQTools"]
        let linked = try linkedModules("broker", among: modules)
        #expect(linked == ["FedMQBroker", "FedMQProtocol", "ZeroMQ"])
    }

    @Test func theTrainerLinksNoAggregatorCodeAndTheAggregatorNoTrainerCode() throws {
        let modules = ["FedMQTrainer", "FedMQAggregator", "TensorCore", "FedMQTools"]
        #expect(try linkedModules("trainer", among: modules) == ["FedMQTrainer", "TensorCore"])
        #expect(try linkedModules("aggregator", among: modules) == ["FedMQAggregator", "TensorCore"])
    }
}
