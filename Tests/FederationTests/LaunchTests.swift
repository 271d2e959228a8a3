import FedMQAggregator
import FedMQProtocol
import FedMQTools
import FedMQTrainer
import Foundation
import Testing
import ZeroMQ

/// `fedmq run`'s pieces: free ports, the process wiring, the metrics tail and progress line,
/// and the supervisor's failure detection and SIGTERM → SIGKILL teardown (with stand-in
/// shell-script children).
@Suite struct LaunchTests {
    @Test func freePortsAreDistinctAndBindable() throws {
        let ports = try FreePorts.reserve(6)
        #expect(Set(ports).count == 6 && ports.allSatisfy { (1024...65535).contains($0) })
        let context = try Context()
        let sockets = try ports.map { port in
            let socket = try context.socket(.pull)
            try socket.bind("tcp://127.0.0.1:\(port)")
            return socket
        }
        sockets.forEach { $0.close(linger: .zero) }
    }

    @Test func planWiresEveryProcessToTheSameBrokerPorts() throws {
        var configuration = LaunchConfiguration(executablesDirectory: "/bin", outputDirectory: "/tmp/run")
        configuration.trainers = 3
        configuration.mode = .sync
        configuration.slowdowns = [1, 4]
        configuration.stepTime = 0.02
        let plan = try LaunchPlan(configuration: configuration, layout: RunLayout(directory: "/tmp/run"))
        let p = plan.ports
        #expect(Set([p.modelIn, p.modelOut, p.updatesIn, p.updatesOut, p.controlIn, p.controlOut]).count == 6)

        let broker = plan.brokerArguments
        for (flag, port) in [("--model-in-port", p.modelIn), ("--model-out-port", p.modelOut), ("--updates-in-port", p.updatesIn),
                             ("--updates-out-port", p.updatesOut), ("--control-in-port", p.controlIn), ("--control-out-port", p.controlOut)] {
            #expect(value(broker, flag) == "\(port)")
        }
        // The aggregator connects to the aggregator-side ports, trainers to the trainer side.
        let aggregator = plan.aggregatorArguments
        #expect(value(aggregator, "--model-endpoint") == "tcp://127.0.0.1:\(p.modelIn)")
        #expect(value(aggregator, "--update-endpoint") == "tcp://127.0.0.1:\(p.updatesOut)")
        #expect(value(aggregator, "--control-endpoint") == "tcp://127.0.0.1:\(p.controlOut)")
        #expect(value(aggregator, "--shards") == "3" && value(aggregator, "--round-size") == "3")
        #expect(value(aggregator, "--metrics") == plan.layout.metrics && value(aggregator, "--target-accuracy") == "0.85")
        let trainers = (0..<3).map(plan.trainerArguments(index:))
        for t in trainers {
            #expect(value(t, "--model-endpoint") == "tcp://127.0.0.1:\(p.modelOut)")
            #expect(value(t, "--update-endpoint") == "tcp://127.0.0.1:\(p.updatesIn)")
            #expect(value(t, "--control-endpoint") == "tcp://127.0.0.1:\(p.controlIn)")
            #expect(value(t, "--model-wait") == "inf")  // sync: one update per version
        }
        #expect(Set(trainers.compactMap { value($0, "--identity") }).count == 3)
        #expect(trainers.compactMap { value($0, "--slowdown") } == ["1.0", "4.0", "1.0"])
        #expect(trainers.allSatisfy { value($0, "--step-time") == "0.02" })
    }

    /// The settings of the Flower comparison (benchmarks/peers/compare-flower.sh) reach the
    /// aggregator and every trainer: sync FedAvg, iid shards, 1 local epoch of batch 64 with SGD
    /// lr 0.01 momentum 0.5, evaluation every version, stop at 85 % or after 20 rounds.
    @Test func flowerComparisonSettingsReachEveryProcess() throws {
        var c = LaunchConfiguration(executablesDirectory: "/bin", outputDirectory: "/tmp/run")
        (c.mode, c.partition, c.localWork, c.batchSize) = (.sync, .iid, .epochs(1), 64)
        (c.learningRate, c.momentum, c.evalEvery, c.maxVersions) = (0.01, 0.5, 1, 20)
        let plan = try LaunchPlan(configuration: c, layout: RunLayout(directory: "/tmp/run"))
        let aggregator = plan.aggregatorArguments
        for (flag, expected) in [("--mode", "sync"), ("--partition", "iid"), ("--shards", "8"), ("--round-size", "8"),
                                 ("--eval-every", "1"), ("--max-versions", "20"), ("--target-accuracy", "0.85")] {
            #expect(value(aggregator, flag) == expected, "aggregator \(flag)")
        }
        for t in (0..<8).map(plan.trainerArguments(index:)) {
            for (flag, expected) in [("--local-epochs", "1"), ("--batch-size", "64"), ("--lr", "0.01"), ("--momentum", "0.5"),
                                     ("--prox-mu", "0.0"), ("--model-wait", "inf")] {
                #expect(value(t, flag) == expected, "trainer \(flag)")
            }
            #expect(!t.contains("--local-steps"))
        }
    }

    /// The default `fedmq run` passes its children the values a hand-started `aggregator` and
    /// `trainer` default to (`defaultJob`), except the differences the README lists: loopback
    /// ports, the run directory's files, the stop condition, `--min-trainers` and identities.
    @Test func theDefaultRunPassesWhatHandStartedProcessesDefaultTo() throws {
        let plan = try LaunchPlan(configuration: LaunchConfiguration(executablesDirectory: "/bin", outputDirectory: "/tmp/run"),
                                  layout: RunLayout(directory: "/tmp/run"))
        let a = AggregatorConfiguration.defaultJob
        let aggregator = plan.aggregatorArguments
        for (flag, expected) in [("--model", a.modelName), ("--mode", a.mode.rawValue), ("--run-id", "\(a.runID)"), ("--seed", "\(a.seed)"),
                                 ("--shards", "\(a.shardCount)"), ("--partition", a.partition.description),
                                 ("--buffer-size", "\(a.bufferSize)"), ("--round-size", "\(a.roundSize)"), ("--alpha", "\(a.alpha)"),
                                 ("--eval-every", "\(a.evalEvery)")] {
            #expect(value(aggregator, flag) == expected, "aggregator \(flag)")
        }
        let t = TrainerConfiguration.defaultJob
        #expect(t.localWork == .steps(50))
        for trainer in (0..<plan.configuration.trainers).map(plan.trainerArguments(index:)) {
            for (flag, expected) in [("--model", t.modelName), ("--local-steps", "50"), ("--batch-size", "\(t.batchSize)"),
                                     ("--lr", "\(t.learningRate)"), ("--momentum", "\(t.momentum)"), ("--prox-mu", "\(t.proximalMu)"),
                                     ("--slowdown", "\(t.slowdown)"), ("--step-time", "\(t.stepTime)"), ("--seed", "\(t.seed)")] {
                #expect(value(trainer, flag) == expected, "trainer \(flag)")
            }
            #expect(value(trainer, "--model-wait").flatMap(Double.init) == t.modelWait)
        }
    }

    @Test func invalidLaunchConfigurationsAreRejected() {
        let base = LaunchConfiguration(executablesDirectory: "/bin", outputDirectory: "/tmp/run")
        let bad: [(inout LaunchConfiguration) -> Void] = [
            { $0.trainers = 0 },
            { $0.targetAccuracy = nil },  // no stop condition left
            { $0.targetAccuracy = 1.5 },
            { $0.partition = .quantity(beta: 0) },
            { $0.slowdowns = [0.5] },
            { $0.stepTime = -1 },
            { $0.localWork = .steps(0) },
        ]
        for mutate in bad {
            var c = base
            mutate(&c)
            #expect(throws: ConfigurationError.self) { try c.validate() }
        }
    }

    @Test func metricsTailReturnsOnlyNewCompleteRecords() throws {
        let path = NSTemporaryDirectory() + "fedmq-tail-\(UUID().uuidString).jsonl"
        defer { try? FileManager.default.removeItem(atPath: path) }
        var tail = MetricsTail(path: path)
        #expect(tail.poll().isEmpty)  // no file yet
        let writer = try MetricsWriter(path: path)
        try writer.write(record(version: 1, accuracy: 0.5))
        try writer.write(record(version: 2, accuracy: nil))
        #expect(tail.poll().map(\.version) == [1, 2])
        #expect(tail.poll().isEmpty)

        let line = try JSONEncoder().encode(record(version: 3, accuracy: 0.7))
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(line.prefix(10))
        #expect(tail.poll().isEmpty)  // half a line waits
        handle.write(line.dropFirst(10) + [0x0A])
        try handle.close()
        #expect(tail.poll().map(\.testAccuracy) == [0.7])
    }

    @Test func progressLineShowsVersionLatestAccuracyRateAndElapsedTime() {
        var progress = RunProgress()
        #expect(progress.line(elapsed: 0) == "v 0 | acc – | 0.0 upd/s | 00:00")
        progress.absorb([record(version: 4, accuracy: 0.61, updates: 20, wallTime: 10),
                         record(version: 6, accuracy: nil, updates: 30, wallTime: 12)])
        #expect(progress.version == 6 && progress.accuracy?.value == 0.61 && progress.accuracy?.version == 4)
        #expect(progress.updatesPerSecond == 2.5)
        #expect(progress.line(elapsed: 83) == "v 6 | acc 0.6100 (v 4) | 2.5 upd/s | 01:23")
        #expect(RunProgress.clock(3725) == "1:02:05")
    }

    @Test func supervisorReportsAFailedAggregatorAndKillsChildrenThatIgnoreSIGTERM() async throws {
        let run = try StandIns(broker: "trap 'exit 0' TERM; while :; do sleep 0.05; done",
                               aggregator: "sleep 0.3; exit 3",
                               trainer: "trap '' TERM; while :; do sleep 0.05; done")
        defer { run.remove() }
        let supervisor = ProcessSupervisor(plan: try run.plan(trainers: 2))
        try supervisor.start()
        let outcome = await supervisor.supervise(interrupted: { false }, tick: {})
        guard case .failed(let message) = outcome else { Issue.record("outcome \(outcome)"); return }
        #expect(message.contains("aggregator") && message.contains("exit status 3"))
        let killed = await supervisor.tearDown(after: outcome)
        #expect(killed.sorted() == ["trainer-1", "trainer-2"])
        #expect(supervisor.children.allSatisfy { !$0.isRunning })
        #expect(supervisor.children[0].exit == .code(0))  // the broker stopped on SIGTERM
    }

    @Test func supervisorFinishesCleanlyWhenTheAggregatorEnds() async throws {
        let run = try StandIns(broker: "trap 'exit 0' TERM; while :; do sleep 0.05; done",
                               aggregator: "echo stopping; sleep 0.3; exit 0",
                               trainer: "sleep 0.5; exit 0")
        defer { run.remove() }
        let supervisor = ProcessSupervisor(plan: try run.plan(trainers: 3))
        try supervisor.start()
        var ticks = 0
        let outcome = await supervisor.supervise(interval: .milliseconds(20), interrupted: { false }, tick: { ticks += 1 })
        #expect(outcome == .finished && outcome.exitCode == 0 && ticks > 0)
        #expect(await supervisor.tearDown(after: outcome).isEmpty)
        #expect(supervisor.failures.isEmpty)
        let log = try String(contentsOfFile: run.layout.log("aggregator"), encoding: .utf8)
        #expect(log.contains("stopping"))
    }

    /// `commands.sh` holds one line per child, in start order, that a POSIX shell reads back as
    /// exactly the executable and arguments the supervisor started, after `env -u` for every
    /// `FEDMQ_*` variable it withheld.
    @Test func supervisorWritesEveryChildsCommandLineToCommandsFile() async throws {
        let run = try StandIns(broker: "trap 'exit 0' TERM; while :; do sleep 0.05; done",
                               aggregator: "sleep 0.2; exit 0", trainer: "sleep 0.2; exit 0")
        defer { run.remove() }
        let supervisor = ProcessSupervisor(plan: try run.plan(trainers: 2))
        try supervisor.start()
        await supervisor.tearDown(after: await supervisor.supervise(interrupted: { false }, tick: {}))
        let lines = try String(contentsOfFile: run.layout.commands, encoding: .utf8)
            .split(separator: "\n").map(String.init).filter { !$0.hasPrefix("#") && !$0.isEmpty }
        #expect(lines.count == 4 && supervisor.children.map(\.name) == ["broker", "aggregator", "trainer-1", "trainer-2"])
        let withheld = ChildInvocation.withheldVariables(of: ProcessInfo.processInfo.environment)
        for (line, child) in zip(lines, supervisor.children) {
            let words = try shellWords(line)
            #expect(words == ["env"] + withheld.flatMap { ["-u", $0] } + [child.executable] + child.arguments, "\(child.name)")
        }
    }

    /// The children of a run get no `FEDMQ_*` variable (a stray one would change or fail them),
    /// and their command lines survive the shell however odd the words.
    @Test func childrenGetNoFedMQVariablesAndOddWordsSurviveTheShell() throws {
        let plan = try LaunchPlan(configuration: LaunchConfiguration(executablesDirectory: "/opt/fed mq", outputDirectory: "/tmp/run"),
                                  layout: RunLayout(directory: "/tmp/it's a run"))
        let parent = ["FEDMQ_MODE": "nonsense", "FEDMQ_EVAL_EVERY": "oops", "PATH": "/usr/bin", "HOME": "/root"]
        let invocations = plan.invocations(environment: parent)
        #expect(invocations.count == 10)
        for invocation in invocations {
            #expect(invocation.removedVariables == ["FEDMQ_EVAL_EVERY", "FEDMQ_MODE"])
            #expect(invocation.environment(inheriting: parent) == ["PATH": "/usr/bin", "HOME": "/root"])
            #expect(try shellWords(invocation.shellLine) == invocation.words)
        }
        let odd = ["plain-1.0", "", "two words", "it's", "$HOME", "`id`", "a\\b", "*", "--trainer-args=--x 1", "tab\there"]
        #expect(try shellWords(ShellWords.line(odd)) == odd)
    }

    /// `fedmq run` gives each child its own loopback metrics port, none shared with another
    /// child or the broker, and none with `--no-metrics-ports`.
    @Test func everyChildGetsItsOwnMetricsPort() throws {
        var c = LaunchConfiguration(executablesDirectory: "/bin", outputDirectory: "/tmp/run")
        c.trainers = 5
        let plan = try LaunchPlan(configuration: c, layout: RunLayout(directory: "/tmp/run"))
        let invocations = plan.invocations(environment: [:])
        let ports = try invocations.map { child in
            let arguments = child.arguments
            let index = try #require(arguments.firstIndex(of: "--metrics-port"), "\(child.name) has no --metrics-port")
            return try #require(Int(arguments[index + 1]))
        }
        #expect(Set(ports).count == invocations.count)
        #expect(Set(ports).isDisjoint(with: plan.ports.named.map(\.port)))
        #expect(plan.metricsAddresses.count == invocations.count)
        #expect(plan.metricsAddresses.first == "broker http://127.0.0.1:\(ports[0])/metrics")
        c.exportMetrics = false
        let off = try LaunchPlan(configuration: c, layout: RunLayout(directory: "/tmp/run"))
        #expect(off.invocations(environment: [:]).allSatisfy { !$0.arguments.contains("--metrics-port") })
        #expect(off.metricsAddresses.isEmpty)
    }

    @Test func summaryNamesTheStopReasonBestAndFinalAccuracyAndTheFiles() throws {
        let directory = NSTemporaryDirectory() + "fedmq-summary-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let layout = RunLayout(directory: directory)
        try layout.create()
        FileManager.default.createFile(atPath: layout.metrics, contents: Data())
        var progress = RunProgress()
        progress.absorb([record(version: 2, accuracy: 0.5), record(version: 4, accuracy: 0.71), record(version: 6, accuracy: 0.69)])
        let finished = RunSummary(outcome: .finished, progress: progress, stopReason: "reached version 6", layout: layout).lines
        #expect(finished.first == "run finished: reached version 6")
        #expect(finished.contains("best accuracy 0.7100 at version 4; final accuracy 0.6900 at version 6"))
        #expect(finished.contains("metrics: \(layout.metrics)") && !finished.contains { $0.hasPrefix("report:") })
        let interrupted = RunSummary(outcome: .interrupted, progress: RunProgress(), stopReason: nil, layout: layout).lines
        #expect(interrupted.first?.hasPrefix("run interrupted at version 0; the same command with --output-dir ") == true)
        #expect(interrupted.contains("no test accuracy measured (last version 0)"))
    }

    @Test func missingExecutablesAreReportedBeforeAnythingStarts() throws {
        var c = LaunchConfiguration(executablesDirectory: "/nonexistent", outputDirectory: NSTemporaryDirectory())
        c.trainers = 1
        let directory = NSTemporaryDirectory() + "fedmq-launch-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let supervisor = ProcessSupervisor(plan: try LaunchPlan(configuration: c, layout: RunLayout(directory: directory)))
        #expect(throws: LaunchError.self) { try supervisor.start() }
        #expect(supervisor.children.isEmpty)
    }
}

// MARK: - Helpers

/// The words a POSIX shell (`/bin/sh`) makes of `line`: the quoting of commands.sh checked by a real shell.
func shellWords(_ line: String) throws -> [String] {
    let result = try ChildCommand.run("/bin/sh", ["-c", "set -- \(line); printf '%s\\0' \"$@\""], timeout: 10)
    guard result.status == 0 else { throw ChildCommandError(message: "sh: \(result.stderr)") }
    return result.stdout.split(separator: "\0", omittingEmptySubsequences: false).dropLast().map(String.init)
}

/// The value following `flag` in an argument list.
func value(_ arguments: [String], _ flag: String) -> String? {
    guard let i = arguments.firstIndex(of: flag), i + 1 < arguments.count else { return nil }
    return arguments[i + 1]
}

private func record(version: UInt64, accuracy: Double?, updates: UInt64 = 0, wallTime: Double = 1) -> MetricsRecord {
    MetricsRecord(version: version, wallTime: wallTime, testAccuracy: accuracy, testLoss: nil, updatesAccepted: updates,
                  rejected: [:], stalenessMean: 0, stalenessHistogram: [], bytesIn: 0, bytesOut: 0, liveTrainers: 0)
}

/// A directory of shell scripts named broker, aggregator and trainer, and a run directory.
private struct StandIns {
    let bin: String
    let layout: RunLayout

    init(broker: String, aggregator: String, trainer: String) throws {
        let root = NSTemporaryDirectory() + "fedmq-launch-\(UUID().uuidString)"
        bin = root + "/bin"
        layout = RunLayout(directory: root + "/run")
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        for (name, body) in [("broker", broker), ("aggregator", aggregator), ("trainer", trainer)] {
            let path = bin + "/" + name
            try "#!/bin/sh\n\(body)\n".write(toFile: path, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        }
    }

    func plan(trainers: Int) throws -> LaunchPlan {
        var c = LaunchConfiguration(executablesDirectory: bin, outputDirectory: layout.directory)
        c.trainers = trainers
        c.gracePeriod = 0.5
        return try LaunchPlan(configuration: c, layout: layout)
    }

    func remove() { try? FileManager.default.removeItem(atPath: (bin as NSString).deletingLastPathComponent) }
}
