// Settings that can never work used to be accepted: an aggregator --max-message-bytes below
// its own model's updates (updates vanished with their connection, never rejected), a
// partition needing more classes than the data or the model has (every trainer registered and
// left; the aggregator ran on with nothing to do), intervals of zero, below zero or infinite.
// Each is now refused at start with a message that says what to change; these tests pin the
// refusals (configuration checks without I/O) and, with the real executables, that the
// aggregator and the trainer exit non-zero with that message.
import FedMQAggregator
import FedMQProtocol
import FedMQTools
import FedMQTrainer
import FedMQTransport
import Foundation
import TensorCore
import Testing
import ZeroMQ

@Suite struct ImpossibleSettingsTests {
    /// `body`'s `ConfigurationError` message ("" when it does not throw).
    private func message(_ body: () throws(ConfigurationError) -> Void) -> String {
        do {
            try body()
            return ""
        } catch {
            return error.message
        }
    }

    // MARK: Aggregator

    @Test func anAggregatorMaxMessageBytesBelowTheModelsUpdatesIsRefusedNamingBothSizes() {
        let layout = ModelArchitecture.cnn.layout
        let needed = MessageSizeLimit.messageBytes(for: layout)
        var c = AggregatorConfiguration()
        c.maxMessageBytes = 1000
        let refusal = message { () throws(ConfigurationError) in try c.validate(layout: layout, outputClasses: 10) }
        #expect(refusal.contains("--max-message-bytes 1000") && refusal.contains("\(needed) bytes"), "\(refusal)")
        #expect(refusal.contains("raise it to at least \(needed)"), "\(refusal)")
        c.maxMessageBytes = needed
        #expect(message { () throws(ConfigurationError) in try c.validate(layout: layout, outputClasses: 10) } == "")
        c.maxMessageBytes = nil
        #expect(message { () throws(ConfigurationError) in try c.validate(layout: layout, outputClasses: 10) } == "")
    }

    @Test func anAggregatorPartitionNeedingMoreClassesThanTheModelOutputsIsRefused() {
        var c = AggregatorConfiguration()
        c.partition = .labels(classesPerShard: 12)
        let layout = ModelArchitecture.mlp.layout
        let refusal = message { () throws(ConfigurationError) in try c.validate(layout: layout, outputClasses: 10) }
        #expect(refusal.contains("labels:12 needs at least 12 classes") && refusal.contains("output layer has 10"), "\(refusal)")
        #expect(refusal.contains("k ≤ 10"), "says what to change: \(refusal)")
        #expect(message { () throws(ConfigurationError) in try c.validate(layout: layout, outputClasses: nil) } == "",
                "an unknown output size is not guessed")
        c.partition = .labels(classesPerShard: 10)
        #expect(message { () throws(ConfigurationError) in try c.validate(layout: layout, outputClasses: 10) } == "")
    }

    @Test func absurdAggregatorIntervalsAreRefusedNamingTheOption() {
        let cases: [(String, (inout AggregatorConfiguration) -> Void)] = [
            ("--heartbeat-timeout", { $0.heartbeatTimeout = 0 }),
            ("--heartbeat-timeout", { $0.heartbeatTimeout = -1 }),
            ("--heartbeat-timeout", { $0.heartbeatTimeout = .infinity }),
            ("--heartbeat-timeout", { $0.heartbeatTimeout = .nan }),
            ("--republish-interval", { $0.republishInterval = 0 }),
            ("--republish-interval", { $0.republishInterval = -5 }),
            ("--republish-interval", { $0.republishInterval = .infinity }),
            ("--round-deadline", { $0.roundDeadline = 0 }),
            ("--round-deadline", { $0.roundDeadline = -1 }),
            ("--round-deadline", { $0.roundDeadline = .infinity }),
            ("--final-eval-timeout", { $0.finalEvaluationTimeout = .infinity }),
            ("--final-eval-timeout", { $0.finalEvaluationTimeout = -1 }),
            ("--time-limit", { $0.timeLimit = 0 }),
            ("--time-limit", { $0.timeLimit = .infinity }),
            ("--min-trainers", { $0.minTrainers = 0 }),
        ]
        for (option, mutate) in cases {
            var c = AggregatorConfiguration()
            mutate(&c)
            let refusal = message { () throws(ConfigurationError) in try c.validate() }
            #expect(refusal.contains(option), "\(refusal)")
        }
    }

    // MARK: Trainer

    @Test func absurdTrainerIntervalsAreRefusedNamingTheSetting() {
        let cases: [(String, (inout TrainerConfiguration) -> Void)] = [
            ("--heartbeat-interval", { $0.heartbeatInterval = 0 }),
            ("--heartbeat-interval", { $0.heartbeatInterval = -1 }),
            ("--heartbeat-interval", { $0.heartbeatInterval = .infinity }),
            ("--heartbeat-interval", { $0.heartbeatInterval = .nan }),
            ("register retry", { $0.registerRetry = 0 }),
            ("register retry", { $0.registerRetry = -2 }),
            ("register retry", { $0.registerRetry = .infinity }),
            ("--model-wait", { $0.modelWait = -1 }),
        ]
        for (setting, mutate) in cases {
            var c = TrainerConfiguration()
            mutate(&c)
            let refusal = message { () throws(ConfigurationError) in try c.validate() }
            #expect(refusal.contains(setting), "\(refusal)")
        }
    }

    @Test func aTrainerHeartbeatIntervalNotBelowTheAggregatorsTimeoutIsRefused() {
        var c = TrainerConfiguration()
        c.heartbeatInterval = 30
        let refusal = message { () throws(ConfigurationError) in try c.validate(aggregatorHeartbeatTimeout: 30) }
        #expect(refusal.contains("--heartbeat-interval 30.0") && refusal.contains("--heartbeat-timeout 30.0"), "\(refusal)")
        #expect(refusal.contains("at most 10.0"), "\(refusal)")
        #expect(message { () throws(ConfigurationError) in try c.validate(aggregatorHeartbeatTimeout: 31) } == "")
        #expect(message { () throws(ConfigurationError) in try c.validate(aggregatorHeartbeatTimeout: nil) } == "",
                "older aggregators do not send their timeout")
    }

    @Test func registrationCarriesTheHeartbeatTimeoutAndReadsOlderRepliesWithout() throws {
        let older = #"{"modelVersion":17,"partition":"iid","seed":42,"shardCount":8,"shardIndex":2,"trainerID":3}"#
        let decoded = try JSONDecoder().decode(Registration.self, from: Data(older.utf8))
        #expect(decoded.heartbeatTimeout == nil && decoded.trainerID == 3)
        let newer = Registration(trainerID: 3, shardIndex: 2, shardCount: 8, partition: "iid", seed: 42, modelVersion: 17,
                                 heartbeatTimeout: 30)
        let again = try JSONDecoder().decode(Registration.self, from: JSONEncoder().encode(newer))
        #expect(again == newer)
    }

    // MARK: Partition

    @Test func aLabelsPartitionNeedsAsManyClassesAsItsK() {
        #expect(PartitionScheme.labels(classesPerShard: 12).requiredClassCount == 12)
        #expect(PartitionScheme.dirichlet(alpha: 0.5).requiredClassCount == 1)
        let refusal = message { () throws(ConfigurationError) in
            try PartitionScheme.labels(classesPerShard: 12).check(classCount: 10, source: "the data")
        }
        #expect(refusal == "partition labels:12 needs at least 12 classes, the data has 10: use labels:k with k ≤ 10, or iid, dirichlet:<α> or quantity:<β>")
        let labels = (0..<100).map { Int32($0 % 10) }
        #expect(throws: ConfigurationError.self) {
            try Partitioner.shards(4, labels: labels, scheme: .labels(classesPerShard: 12), seed: 1)
        }
    }

    // MARK: Real processes

    /// Runs `executable args` (stopped after `timeout` seconds); its status and stdout + stderr.
    private func run(_ executable: String, _ args: [String], timeout: Double) async throws -> (Int32, String) {
        let path = LauncherEndToEndTests.executables.appendingPathComponent(executable).path
        try #require(FileManager.default.isExecutableFile(atPath: path), "no \(executable) executable at \(path)")
        let result = try await SocketThread.run { try ChildCommand.run(path, args, timeout: timeout) }
        return (result.status, result.stdout + "\n" + result.stderr)
    }

    @Test func theAggregatorExitsWithAMessageOnAMaxMessageBytesBelowItsUpdates() async throws {
        let (status, output) = try await run("aggregator", ["--max-message-bytes", "1000", "--eval-every", "0"], timeout: 30)
        let needed = MessageSizeLimit.messageBytes(for: ModelArchitecture.cnn.layout)
        #expect(status != 0, "\(output)")
        #expect(output.contains("--max-message-bytes 1000") && output.contains("\(needed) bytes"), "\(output)")
    }

    @Test func theBrokerExitsWithAMessageOnAMaxMessageBytesBelowItsModelsUpdates() async throws {
        let (status, output) = try await run("broker", ["--max-message-bytes", "1000", "--model-parameters", "21840"], timeout: 30)
        #expect(status != 0, "\(output)")
        #expect(output.contains("--max-message-bytes 1000 is smaller than the 305792 bytes"), "\(output)")
    }

    @Test func theAggregatorExitsWithAMessageOnALabelsPartitionAboveItsClasses() async throws {
        let (status, output) = try await run("aggregator", ["--partition", "labels:12", "--eval-every", "0"], timeout: 30)
        #expect(status != 0, "\(output)")
        #expect(output.contains("labels:12 needs at least 12 classes"), "\(output)")
    }

    @Test func theTrainerExitsBeforeRegisteringOnALabelsPartitionAboveItsDataClasses() async throws {
        let ports = try FreePorts.reserve(3)
        let (status, output) = try await run("trainer", [
            "--partition", "labels:12", "--model-endpoint", "tcp://127.0.0.1:\(ports[0])",
            "--update-endpoint", "tcp://127.0.0.1:\(ports[1])", "--control-endpoint", "tcp://127.0.0.1:\(ports[2])",
        ], timeout: 60)
        #expect(status != 0, "\(output)")
        #expect(output.contains("--partition labels:12 cannot cut this trainer's data")
                    && output.contains("the training data has 10"), "\(output)")
        #expect(!output.contains("waiting for"), "fails before waiting for the broker: \(output)")
    }

    @Test func aTrainerWhoseHeartbeatIntervalIsNotBelowTheAggregatorsTimeoutLeavesWithAMessage() async throws {
        let directory = NSTemporaryDirectory() + "fedmq-heartbeat-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var c = LaunchConfiguration.bufferedMLP(directory: directory, trainers: 1)
        (c.maxVersions, c.evalEvery, c.localWork) = (1_000, 1_000, .steps(5))
        c.aggregatorArguments = ["--heartbeat-timeout", "3"]
        c.trainerArguments = ["--heartbeat-interval", "5"]
        let federation = try ProcessFederation(c)
        do {
            try federation.startAll()
            try await waitUntil("the trainer exits", timeout: .seconds(60)) { federation.exit(.trainer(0)) != nil }
            let trainerLog = federation.logTexts(.trainer(0)).joined()
            #expect(federation.exit(.trainer(0)) != .code(0), "\(trainerLog)")
            #expect(trainerLog.contains("--heartbeat-interval 5.0 is not below the aggregator's --heartbeat-timeout 3.0"),
                    "\(trainerLog)")
            try await waitUntil("the aggregator logs the goodbye", timeout: .seconds(10)) {
                federation.logTexts(.aggregator).joined().contains("trainer left")
            }
        } catch {
            await federation.killAll()
            throw error
        }
        await federation.killAll()
    }
}
