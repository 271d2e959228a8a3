import FedMQAggregator
import FedMQBroker
import FedMQTrainer
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import TensorCore
import Testing

/// Small real federations over loopback: an in-process broker on ephemeral ports, an
/// aggregator and trainers, each a service on its own threads, training the MLP on a slice of
/// Fashion-MNIST.
enum EndToEnd {
    static let logger = Logger(label: "test.e2e") { _ in SwiftLogNoOpLogHandler() }
    static let modelName = "mlp"

    /// The first 3 000 training samples and 1 000 test samples (loaded once).
    static let data: (train: Dataset, test: Dataset) = {
        do {
            let train = try FashionMNIST.load(split: .train)
            let test = try FashionMNIST.load(split: .test)
            return (train.subset(Array(0..<3000)), test.subset(Array(0..<1000)))
        } catch {
            preconditionFailure("Fashion-MNIST is needed for end-to-end tests: \(error)")
        }
    }()

    static var architecture: ModelArchitecture { try! ModelArchitecture.named(modelName) }

    /// Version-0 weights shared by every aggregator of a test.
    static let initialWeights = architecture.build(seed: 1).parameters

    /// An aggregator configuration against `broker` for `mode`, with small rounds.
    static func aggregatorConfiguration(_ broker: BrokerService, mode: AggregationMode) -> AggregatorConfiguration {
        var c = AggregatorConfiguration()
        c.modelName = modelName
        c.runID = 11
        c.seed = 3
        c.mode = mode
        c.roundSize = 3
        c.roundDeadline = 30
        c.bufferSize = 2
        c.alpha = 0.6
        c.shardCount = 3
        c.partition = .iid
        c.evalEvery = 1
        c.republishInterval = 0.5
        c.modelEndpoint = broker.endpoints.modelIn
        c.updateEndpoint = broker.endpoints.updatesOut
        c.controlEndpoint = broker.endpoints.controlOut
        return c
    }

    /// A trainer configuration against `broker`: a few SGD steps per update.
    static func trainerConfiguration(_ broker: BrokerService, identity: String, modelWait: Double) -> TrainerConfiguration {
        var c = TrainerConfiguration()
        c.modelEndpoint = broker.endpoints.modelOut
        c.updateEndpoint = broker.endpoints.updatesIn
        c.controlEndpoint = broker.endpoints.controlIn
        c.identity = identity
        c.modelName = modelName
        c.localWork = .steps(8)
        c.batchSize = 32
        c.learningRate = 0.05
        c.momentum = 0.5
        c.heartbeatInterval = 0.05  // short runs (optimised builds finish in ~1 s) still heartbeat
        c.modelWait = modelWait
        c.seed = 5
        return c
    }

    static func broker() throws -> BrokerService {
        var c = BrokerConfiguration()
        c.bindHost = "127.0.0.1"
        c.ports = .ephemeral
        return try BrokerService(configuration: c, logger: logger)
    }

    static func aggregator(_ configuration: AggregatorConfiguration) throws -> AggregatorService {
        try AggregatorService(configuration: configuration, layout: architecture.layout, initialWeights: initialWeights,
                              evaluator: TestSetEvaluator(architecture: architecture, testSet: data.test), logger: logger)
    }

    static func trainer(_ configuration: TrainerConfiguration) throws -> TrainerService {
        try TrainerService(configuration: configuration, dataset: data.train, logger: logger)
    }
}

/// A running service: its task, cancelled (graceful stop) by `stop()`.
struct Running<S: Service & Sendable>: Sendable {
    let service: S
    let task: Task<Void, any Error>

    init(_ service: S) {
        self.service = service
        task = Task { try await service.run() }
    }

    /// Requests a stop and waits for the service to return.
    func stop() async throws {
        task.cancel()
        try await task.value
    }
}

/// Waits until `condition` holds, or records an issue after `timeout`.
func waitUntil(_ what: String, timeout: Duration, sourceLocation: SourceLocation = #_sourceLocation,
               _ condition: () -> Bool) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    Issue.record("\(what) did not happen within \(timeout)", sourceLocation: sourceLocation)
    throw CancellationError()
}

extension Array where Element: Comparable {
    /// Whether every element is larger than the one before.
    var isStrictlyIncreasing: Bool { zip(self, dropFirst()).allSatisfy { $0 < $1 } }
}
