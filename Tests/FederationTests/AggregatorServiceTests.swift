import FedMQAggregator
import FedMQBroker
import FedMQProtocol
import FedMQTransport
import Foundation
import Logging
import SafeTensorsFormat
import Synchronization
import TensorCore
import Testing
import ZeroMQ

/// The aggregator in-process behind a real in-process broker on ephemeral loopback ports,
/// fed crafted messages by a scripted trainer (no real training). Blocking socket calls run
/// on dedicated threads (`SocketThread.run`).
@Suite struct AggregatorServiceTests {
    @Test func acceptsGoodUpdatesRejectsEachBadKindAndPublishesIncreasingVersions() async throws {
        try await withBrokerAndAggregator(configure: { $0.bufferSize = 1 }) { broker, aggregator, trainer in
            let registration = try await trainer.register(identity: "t-1")
            #expect(registration.shardCount == 2 && registration.trainerID >= 1)
            let v0 = try await trainer.awaitModel { $0 == 0 }
            #expect(v0.weights == initialWeights)

            let delta: [Float] = [1, 0, -1, 0, 0.5, 0, 0, 2]
            try await trainer.push(trainer.codec.update(delta: delta, baseVersion: 0, trainerID: registration.trainerID,
                                                        sequence: 2, sampleCount: 10, trainingLoss: 0.5))
            let v1 = try await trainer.awaitModel { $0 == 1 }
            #expect(v1.weights == zip(initialWeights, delta).map { $0 + $1 })

            // Every bad kind: counted under its reason, model bitwise unchanged.
            let id = registration.trainerID
            let good = { (seq: UInt64) in
                trainer.codec.update(delta: delta, baseVersion: 1, trainerID: id, sequence: seq, sampleCount: 1, trainingLoss: 0)
            }
            var badChecksum = good(3); badChecksum[2][badChecksum[2].count - 1] ^= 1
            let otherRun = MessageCodec(layout: smallLayout, runID: 8, payloadCodec: SafeTensorsPayloadCodec())
            var nan = delta; nan[0] = .nan
            let crafted: [(RejectionReason, [[UInt8]])] = [
                (.badChecksum, badChecksum),
                (.wrongRunID, otherRun.update(delta: delta, baseVersion: 1, trainerID: id, sequence: 4, sampleCount: 1, trainingLoss: 0)),
                (.nonFinite, trainer.codec.update(delta: nan, baseVersion: 1, trainerID: id, sequence: 5, sampleCount: 1, trainingLoss: 0)),
                (.wrongFrameCount, Array(good(6).prefix(2))),
                (.unknownTrainer, trainer.codec.update(delta: delta, baseVersion: 1, trainerID: 999, sequence: 7, sampleCount: 1, trainingLoss: 0)),
                (.duplicateSequence, good(2)),
                (.futureVersion, trainer.codec.update(delta: delta, baseVersion: 5, trainerID: id, sequence: 8, sampleCount: 1, trainingLoss: 0)),
                (.normExceeded, trainer.codec.update(delta: delta.map { $0 * 100 }, baseVersion: 1, trainerID: id, sequence: 9, sampleCount: 1, trainingLoss: 0)),
            ]
            for (reason, frames) in crafted { try await trainer.push(frames) }
            try await eventually { aggregator.status.counters.rejectedTotal == UInt64(crafted.count) }
            for (reason, _) in crafted { #expect(aggregator.status.counters.rejected[reason.rawValue] == 1, "\(reason)") }
            #expect(aggregator.status.version == 1 && aggregator.status.counters.updatesAccepted == 1)
            let republished = try await trainer.awaitModel { $0 == 1 }
            #expect(republished.weights.map(\.bitPattern) == v1.weights.map(\.bitPattern))

            // Good updates keep producing increasing versions, also from stale bases.
            try await trainer.push(good(10))
            try await trainer.push(trainer.codec.update(delta: delta, baseVersion: 0, trainerID: id, sequence: 11, sampleCount: 1, trainingLoss: 0))
            _ = try await trainer.awaitModel { $0 == 3 }
            try await eventually { aggregator.status.counters.updatesAccepted == 3 }
            _ = broker
        }
    }

    @Test func resumesItsVersionFromACheckpointAfterRestart() async throws {
        let directory = NSTemporaryDirectory() + "fedmq-agg-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let configure: @Sendable (inout AggregatorConfiguration) -> Void = {
            $0.bufferSize = 1
            $0.checkpointDirectory = directory
            $0.checkpointEvery = 1
        }
        var last: [Float] = []
        try await withBrokerAndAggregator(configure: configure) { _, aggregator, trainer in
            let r = try await trainer.register(identity: "t-1")
            for (i, base) in [UInt64(0), 1, 2].enumerated() {
                try await trainer.push(trainer.codec.update(
                    delta: [Float](repeating: 0.25, count: 8), baseVersion: base, trainerID: r.trainerID,
                    sequence: UInt64(i + 2), sampleCount: 1, trainingLoss: 0))
                last = try await trainer.awaitModel { $0 == base + 1 }.weights
            }
            #expect(aggregator.status.resumedFrom == nil)
        }
        try await withBrokerAndAggregator(configure: configure) { _, aggregator, trainer in
            let resumed = try await trainer.awaitModel { $0 >= 3 }
            #expect(resumed.version == 3 && resumed.weights == last)
            try await eventually { aggregator.status.resumedFrom == 3 && aggregator.status.counters.updatesAccepted == 3 }
            // The restored registry still knows the identity and its sequence numbers.
            let again = try await trainer.register(identity: "t-1")
            try await trainer.push(trainer.codec.update(
                delta: [Float](repeating: 0.25, count: 8), baseVersion: 3, trainerID: again.trainerID,
                sequence: 100, sampleCount: 1, trainingLoss: 0))
            _ = try await trainer.awaitModel { $0 == 4 }
        }
    }

    @Test func restartedAfterTheRunEndedItBroadcastsStopAndTrainsNoFurther() async throws {
        let directory = NSTemporaryDirectory() + "fedmq-agg-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let configure: @Sendable (inout AggregatorConfiguration) -> Void = {
            $0.bufferSize = 1
            $0.maxVersions = 1
            $0.checkpointDirectory = directory
        }
        try await withBrokerAndAggregator(configure: configure, expectStop: true) { _, _, trainer in
            let r = try await trainer.register(identity: "t-1")
            try await trainer.push(trainer.codec.update(
                delta: [Float](repeating: 1, count: 8), baseVersion: 0, trainerID: r.trainerID,
                sequence: 2, sampleCount: 1, trainingLoss: 0))
            _ = try await trainer.awaitStop()
        }
        try await withBrokerAndAggregator(configure: configure, expectStop: true) { _, aggregator, trainer in
            let reason = try await trainer.awaitStop()
            #expect(reason.contains("version 1"))
            try await eventually { aggregator.status.stopReason != nil }
            #expect(aggregator.status.resumedFrom == 1 && aggregator.status.version == 1)
            #expect(aggregator.status.counters.updatesAccepted == 1)
        }
    }

    @Test func stopsAtMaxVersionsBroadcastsStopAndWritesMetricsAndReport() async throws {
        let directory = NSTemporaryDirectory() + "fedmq-agg-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let configure: @Sendable (inout AggregatorConfiguration) -> Void = {
            $0.bufferSize = 1
            $0.maxVersions = 2
            $0.evalEvery = 1
            $0.metricsPath = directory + "/metrics.jsonl"
            $0.reportPath = directory + "/report.html"
        }
        try await withBrokerAndAggregator(configure: configure, expectStop: true) { _, aggregator, trainer in
            let r = try await trainer.register(identity: nil)
            let update = { (sequence: UInt64) in
                trainer.codec.update(delta: [Float](repeating: 1, count: 8), baseVersion: 0, trainerID: r.trainerID,
                                     sequence: sequence, sampleCount: 1, trainingLoss: 0)
            }
            try await trainer.push(update(2))
            _ = try await trainer.awaitModel { $0 == 1 }
            try await trainer.push(update(3))  // one version stale
            let reason = try await trainer.awaitStop()
            #expect(reason.contains("version 2"))
            try await eventually { aggregator.status.stopReason != nil }
        }
        let records = MetricsWriter.read(path: directory + "/metrics.jsonl")
        #expect(records.map(\.version).contains(2))
        #expect(records.last?.updatesAccepted == 2 && records.last?.stalenessHistogram.prefix(2) == [1, 1])
        let html = try String(contentsOfFile: directory + "/report.html", encoding: .utf8)
        #expect(html.contains("<svg") && html.contains("Staleness"))
    }
}

// MARK: - Harness

let initialWeights: [Float] = [0.5, -0.5, 1, 0, 0.25, 2, -1, 0.125]

/// Broker on ephemeral loopback ports, an aggregator connected to it (model `layout`, starting
/// from `weights`), and a scripted trainer.
///
/// - Parameters:
///   - configureBroker: changes to the broker's configuration (e.g. CURVE).
///   - trainerCurve: CURVE keys of the scripted trainer (nil: plaintext).
///   - route: the endpoints the scripted trainer connects to, given the broker's (e.g. relays).
func withBrokerAndAggregator(
    configure: @Sendable (inout AggregatorConfiguration) -> Void, evaluator: (any ModelEvaluator)? = nil,
    configureBroker: (inout BrokerConfiguration) -> Void = { _ in }, expectStop: Bool = false,
    layout: ParameterLayout = smallLayout, weights: [Float] = initialWeights,
    trainerCurve: CurveClientKeys? = nil, route: (BrokerEndpoints) throws -> BrokerEndpoints = { $0 },
    _ body: (BrokerService, AggregatorService, ScriptedTrainer) async throws -> Void
) async throws {
    var brokerConfiguration = BrokerConfiguration()
    brokerConfiguration.bindHost = "127.0.0.1"
    brokerConfiguration.ports = .ephemeral
    configureBroker(&brokerConfiguration)
    let broker = try BrokerService(configuration: brokerConfiguration, logger: quietLogger)
    let brokerRun = Task { try await broker.run() }
    var configuration = AggregatorConfiguration.test(broker: broker)
    configure(&configuration)
    let aggregator = try AggregatorService(configuration: configuration, layout: layout, initialWeights: weights,
                                           evaluator: evaluator, logger: quietLogger)
    let aggregatorRun = Task { try await aggregator.run() }
    let trainer = try ScriptedTrainer(
        endpoints: route(broker.endpoints), codec: MessageCodec(layout: layout, runID: 7, payloadCodec: SafeTensorsPayloadCodec()),
        curve: trainerCurve)
    defer { trainer.close() }
    do {
        // The services start on tasks that a busy cooperative pool may run late: wait for the
        // aggregator's first broadcast before scripting anything against it.
        try await trainer.awaitAnyBroadcast(within: .seconds(60))
        try await body(broker, aggregator, trainer)
    } catch {
        aggregatorRun.cancel()
        brokerRun.cancel()
        throw error
    }
    if !expectStop { aggregatorRun.cancel() }
    try await aggregatorRun.value
    brokerRun.cancel()
    try await brokerRun.value
}

extension AggregatorConfiguration {
    /// Run 7, buffered, on `broker`'s endpoints, republishing every 0.1 s, no evaluation.
    static func test(broker: BrokerService) -> AggregatorConfiguration {
        var configuration = AggregatorConfiguration()
        configuration.runID = 7
        configuration.mode = .buffered
        configuration.staleness = .constant
        configuration.shardCount = 2
        configuration.normPolicy = .reject(above: 100)
        configuration.evalEvery = 0
        configuration.republishInterval = 0.1
        configuration.finalEvaluationTimeout = 10  // a stuck evaluation fails the test instead of hanging it
        configuration.modelEndpoint = broker.endpoints.modelIn
        configuration.updateEndpoint = broker.endpoints.updatesOut
        configuration.controlEndpoint = broker.endpoints.controlOut
        return configuration
    }
}

/// Test-side trainer sockets: DEALER (control), PUSH (updates), SUB (models).
final class ScriptedTrainer: Sendable {
    let codec: MessageCodec
    private let control: Socket
    private let updates: Socket
    private let models: Socket
    private let sequence = Atomic<UInt64>(0)

    /// - Parameter curve: CURVE keys for all three sockets (nil: plaintext).
    init(endpoints: BrokerEndpoints, codec: MessageCodec, curve: CurveClientKeys? = nil) throws {
        self.codec = codec
        let context = try Context()
        control = try context.socket(.dealer)
        updates = try context.socket(.push)
        models = try context.socket(.sub)
        for socket in [control, updates, models] {
            try socket.set(.linger(.zero), .receiveTimeout(.seconds(5)), .sendTimeout(.seconds(5)))
            for option in curve?.socketOptions ?? [] { try socket.set(option) }
        }
        try models.set(.subscribe(Array("model".utf8)))
        try control.connect(endpoints.controlIn)
        try updates.connect(endpoints.updatesIn)
        try models.connect(endpoints.modelOut)
    }

    func close() {
        for socket in [control, updates, models] { socket.close(linger: .zero) }
    }

    func register(identity: String?) async throws -> Registration {
        let seq = sequence.add(1, ordering: .relaxed).newValue
        let reply = try await SocketThread.run { [self] () throws -> [[UInt8]]? in
            _ = try control.send(codec.control(.register(RegisterRequest(identity: identity), sequence: seq)))
            // Verdicts on earlier updates (update_result) and evaluation requests arrive unasked: skip them.
            while let frames = try control.receiveMultipart() {
                switch try? codec.decodeControl(frames) {
                case .updateResult?, .evaluate?: continue
                default: return frames
                }
            }
            return nil
        }
        guard let reply, case .registered(let registration) = try codec.decodeControl(reply) else {
            throw AggregatorError("no registration reply")
        }
        return registration
    }

    /// Sends a heartbeat as trainer `trainerID`.
    func heartbeat(trainerID: UInt32) async throws {
        let seq = sequence.add(1, ordering: .relaxed).newValue
        _ = try await SocketThread.run { [self] in
            try control.send(codec.control(.heartbeat(trainerID: trainerID, sequence: seq)))
        }
    }

    /// Pushes `delta` as trainer `trainerID`'s update based on `base`, with the next sequence number.
    func pushUpdate(delta: [Float], base: UInt64, trainerID: UInt32) async throws {
        let seq = sequence.add(1, ordering: .relaxed).newValue
        try await push(codec.update(delta: delta, baseVersion: base, trainerID: trainerID, sequence: seq,
                                    sampleCount: 100, trainingLoss: 1))
    }

    func push(_ frames: [[UInt8]]) async throws {
        _ = try await SocketThread.run { [self] in try updates.send(frames) }
    }

    /// Sends raw frames on the control channel without waiting for a reply.
    func sendControl(_ frames: [[UInt8]]) async throws {
        _ = try await SocketThread.run { [self] in try control.send(frames) }
    }

    /// Receives broadcasts until a model whose version satisfies `accept` arrives (at most
    /// `limit`: republished models would otherwise keep a failing test waiting forever).
    func awaitModel(within limit: Duration = .seconds(60), _ accept: @escaping @Sendable (UInt64) -> Bool) async throws -> (version: UInt64, weights: [Float]) {
        try await SocketThread.run { [self] in
            let deadline = ContinuousClock.now + limit
            while true {
                guard ContinuousClock.now < deadline else { throw AggregatorError("no accepted model within \(limit)") }
                guard let frames = try models.receiveMultipart() else { throw AggregatorError("no model within the timeout") }
                if case .model(let version, let weights) = try codec.decodeBroadcast(frames), accept(version) {
                    return (version, weights)
                }
            }
        }
    }

    /// Waits up to `limit` for any broadcast (model or stop) to arrive.
    func awaitAnyBroadcast(within limit: Duration) async throws {
        try await SocketThread.run { [self] in
            let deadline = ContinuousClock.now + limit
            while ContinuousClock.now < deadline {
                if try models.receiveMultipart() != nil { return }
            }
            throw AggregatorError("no broadcast from the aggregator within \(limit)")
        }
    }

    /// Receives broadcasts until a stop arrives; returns its reason.
    func awaitStop() async throws -> String {
        try await SocketThread.run { [self] in
            while true {
                guard let frames = try models.receiveMultipart() else { throw AggregatorError("no stop within the timeout") }
                if case .stop(_, let reason) = try codec.decodeBroadcast(frames) { return reason }
            }
        }
    }
}

/// Waits until `condition` holds, or records an issue after `timeout` (see `waitUntil`).
func eventually(timeout: Duration = .seconds(5), sourceLocation: SourceLocation = #_sourceLocation,
                _ condition: () -> Bool) async throws {
    try await waitUntil("condition", timeout: timeout, sourceLocation: sourceLocation, condition)
}

/// An evaluator whose calls block until the test opens its gate once; after that every call
/// (also one submitted later, e.g. the final evaluation) passes straight through.
private final class GatedEvaluator: ModelEvaluator {
    private let gate = DispatchSemaphore(value: 0)
    let calls = Atomic<Int>(0)
    func open() { gate.signal() }
    func evaluate(_ weights: [Float]) throws -> EvaluationResult {
        calls.add(1, ordering: .relaxed)
        gate.wait()
        gate.signal()  // turnstile: the gate stays open for every later call
        return EvaluationResult(accuracy: 0.9, loss: 0.1)
    }
}

@Suite struct AggregatorEvaluationTests {
    @Test func slowEvaluationDoesNotStallIntakeAndTargetAccuracyStopsTheRun() async throws {
        let evaluator = GatedEvaluator()
        try await withBrokerAndAggregator(
            configure: { $0.bufferSize = 1; $0.evalEvery = 1; $0.targetAccuracy = 0.85 }, evaluator: evaluator, expectStop: true
        ) { _, aggregator, trainer in
            let r = try await trainer.register(identity: nil)
            for i in 0..<4 {  // the first evaluation is blocked; intake goes on
                try await trainer.push(trainer.codec.update(
                    delta: [Float](repeating: 0.5, count: 8), baseVersion: UInt64(i), trainerID: r.trainerID,
                    sequence: UInt64(i + 2), sampleCount: 1, trainingLoss: 0))
                _ = try await trainer.awaitModel { $0 == UInt64(i + 1) }
            }
            #expect(evaluator.calls.load(ordering: .relaxed) == 1 && aggregator.status.stopReason == nil)
            evaluator.open()
            let reason = try await trainer.awaitStop()
            #expect(reason.contains("target accuracy"))
            try await eventually { aggregator.status.lastEvaluation?.result.accuracy == 0.9 }
        }
    }
}
