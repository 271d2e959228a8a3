import FedMQAggregator
import FedMQTools
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

    /// A short real run with stray `FEDMQ_*` variables in its environment (which would fail an
    /// aggregator or trainer that read them): it finishes, says why and with which accuracies,
    /// and leaves commands.sh with one shell line per process that reads back to its argv.
    @Test func shortRunIgnoresStrayVariablesSummarisesAndWritesItsCommands() async throws {
        let (fedmq, directory) = try Self.prepare()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let args = Self.shortRun + ["--max-versions", "4", "--output-dir", directory]
        // FEDMQ_MODE and FEDMQ_EVAL_EVERY are also flags of the run; FEDMQ_STALENESS and
        // FEDMQ_HEARTBEAT_INTERVAL are not, and fail an aggregator and a trainer that read them.
        let stray = ["FEDMQ_MODE": "nonsense", "FEDMQ_EVAL_EVERY": "oops", "FEDMQ_BROKER": "nowhere.invalid",
                     "FEDMQ_STALENESS": "nonsense", "FEDMQ_HEARTBEAT_INTERVAL": "oops"]
        let result = try await SocketThread.run { try ChildCommand.run(fedmq, args, timeout: 180, environment: stray) }
        #expect(result.status == 0, "fedmq run exited \(result.status): \(result.stdout) \(result.stderr)")
        let out = result.stdout.split(separator: "\n").map(String.init)
        #expect(out.contains("run finished: reached version 4"), "\(out)")
        #expect(out.contains { $0.hasPrefix("best accuracy ") && $0.contains("; final accuracy ") && $0.hasSuffix("at version 4") }, "\(out)")
        #expect(out.contains("report: \(directory)/report.html") && out.contains("metrics: \(directory)/metrics.jsonl"))

        let lines = try String(contentsOfFile: directory + "/commands.sh", encoding: .utf8)
            .split(separator: "\n").map(String.init).filter { !$0.hasPrefix("#") }
        #expect(lines.count == 4)
        let environment = ProcessInfo.processInfo.environment.merging(stray) { $1 }
        let withheld = ["env"] + ChildInvocation.withheldVariables(of: environment).flatMap { ["-u", $0] }
        #expect(withheld.contains("FEDMQ_MODE"))
        for (line, name) in zip(lines, ["broker", "aggregator", "trainer", "trainer"]) {
            let words = try shellWords(line)
            #expect(Array(words.prefix(withheld.count)) == withheld, "\(line)")
            #expect(words.count > withheld.count && words[withheld.count] == Self.executables.appendingPathComponent(name).path, "\(line)")
        }
        let aggregator = try shellWords(lines[1])
        #expect(value(aggregator, "--metrics") == directory + "/metrics.jsonl" && value(aggregator, "--max-versions") == "4")
        #expect(value(try shellWords(lines[3]), "--identity") == "trainer-2" && lines[3].hasSuffix("--sample-limit 2000"))
        // Each child served metrics on the port it was given, and the run printed where.
        let printed = try #require(out.first { $0.hasPrefix("Prometheus metrics: ") }, "\(out)")
        for (line, name) in zip(lines, ["broker", "aggregator", "trainer-1", "trainer-2"]) {
            let port = try #require(value(try shellWords(line), "--metrics-port"), "\(line)")
            #expect(printed.contains("\(name) http://127.0.0.1:\(port)/metrics"), "\(printed)")
        }
        let aggregatorLog = try String(contentsOfFile: directory + "/logs/aggregator.log", encoding: .utf8)
        #expect(aggregatorLog.contains("metrics at http://127.0.0.1:\(value(aggregator, "--metrics-port") ?? "-")/metrics"))
    }

    /// Ctrl-C (SIGINT to fedmq alone) during a run still leaves report.html and says how to
    /// resume; the same command into that directory says it resumes and carries on to the end.
    @Test func interruptedRunWritesItsReportAndResumes() async throws {
        let (fedmq, directory) = try Self.prepare()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let args = Self.shortRun + ["--output-dir", directory]
        let metrics = directory + "/metrics.jsonl"
        let interrupted = try await SocketThread.run {
            try ChildCommand.run(fedmq, args + ["--max-versions", "1000"], timeout: 180) {
                (MetricsWriter.read(path: metrics).last?.version ?? 0) >= 2
            }
        }
        #expect(interrupted.status == 130, "fedmq run exited \(interrupted.status): \(interrupted.stdout) \(interrupted.stderr)")
        #expect(interrupted.stdout.contains("run interrupted at version "), "\(interrupted.stdout)")
        #expect(interrupted.stdout.contains("report: \(directory)/report.html"))
        #expect(FileManager.default.fileExists(atPath: directory + "/report.html"))

        let reached = MetricsWriter.read(path: metrics).last?.version ?? 0
        let resumed = try await SocketThread.run {
            try ChildCommand.run(fedmq, args + ["--max-versions", "\(reached + 2)"], timeout: 180)
        }
        #expect(resumed.status == 0, "fedmq run exited \(resumed.status): \(resumed.stdout) \(resumed.stderr)")
        #expect(resumed.stdout.contains("resuming the run in this directory from its checkpoint at version "), "\(resumed.stdout)")
        #expect(resumed.stdout.contains("run finished: reached version \(reached + 2)"), "\(resumed.stdout)")
    }

    /// A small, quick job: two MLP trainers on 2000 samples, evaluation every version.
    static let shortRun = ["run", "--model", "mlp", "--trainers", "2", "--target-accuracy", "0", "--local-steps", "5",
                           "--eval-every", "1", "--trainer-args", "--sample-limit 2000"]

    /// The fedmq executable (required) and a fresh run directory path.
    static func prepare() throws -> (fedmq: String, directory: String) {
        let fedmq = executables.appendingPathComponent("fedmq").path
        try #require(FileManager.default.isExecutableFile(atPath: fedmq), "no fedmq executable at \(fedmq)")
        return (fedmq, NSTemporaryDirectory() + "fedmq-launch-\(UUID().uuidString)")
    }
}
