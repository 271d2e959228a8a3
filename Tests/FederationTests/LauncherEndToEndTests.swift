import FedMQAggregator
import Foundation
import Testing
import ZeroMQ

/// The product as separate OS processes: `fedmq run` starts the real `broker`, `aggregator`
/// and three `trainer` executables over loopback, in each mode, until a target accuracy.
@Suite struct LauncherEndToEndTests {
    /// `swift test` builds the executables next to the test bundle.
    static let executables = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()

    @Test(arguments: ["sync", "async", "buffered"])
    func separateProcessesReachTheTarget(mode: String) async throws {
        let fedmq = Self.executables.appendingPathComponent("fedmq").path
        try #require(FileManager.default.isExecutableFile(atPath: fedmq), "no fedmq executable at \(fedmq)")
        let directory = NSTemporaryDirectory() + "fedmq-launch-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let args = ["run", "--model", "mlp", "--trainers", "3", "--mode", mode, "--target-accuracy", "0.6",
                    "--time-limit", "120", "--local-steps", "10", "--eval-every", "1",
                    "--trainer-args", "--sample-limit 3000", "--output-dir", directory]
        let result = try await SocketThread.run { try ChildCommand.run(fedmq, args, timeout: 180) }
        #expect(result.status == 0, "fedmq run exited \(result.status): \(result.stderr)")

        let records = MetricsWriter.read(path: directory + "/metrics.jsonl")
        let accuracies = records.compactMap(\.testAccuracy)
        #expect((accuracies.first ?? 1) < 0.6, "the run should start below the target")
        #expect((accuracies.max() ?? 0) >= 0.6, "accuracies \(accuracies)")
        let versions = records.map(\.version)
        #expect(versions == versions.sorted() && (versions.last ?? 0) > 0)
        // sync rounds wait for all three (the launcher passes --min-trainers); in the
        // asynchronous modes a loaded machine may end the run before the last one joins.
        let live = records.last?.liveTrainers ?? 0
        #expect(mode == "sync" ? live == 3 : (1...3).contains(live), "live trainers at the end: \(live)")
        #expect(FileManager.default.fileExists(atPath: directory + "/report.html"))
        let checkpoints = (try? FileManager.default.contentsOfDirectory(atPath: directory + "/checkpoints")) ?? []
        #expect(!checkpoints.isEmpty)
        let aggregatorLog = (try? String(contentsOfFile: directory + "/logs/aggregator.log", encoding: .utf8)) ?? ""
        #expect(aggregatorLog.contains("target accuracy 0.6 reached"))
    }
}
