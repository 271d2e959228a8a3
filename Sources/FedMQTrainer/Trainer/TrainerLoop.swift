import FedMQProtocol
import FedMQTransport
import Foundation
import Logging
import SafeTensorsFormat
import TensorCore
import ZeroMQ

/// The trainer thread's work: learn the run id, register, cut the shard, then repeatedly
/// train from the newest model held and push the delta, heartbeating throughout, until the
/// aggregator broadcasts stop or shutdown is requested. The protocol itself is
/// `TrainerSession`'s; this type owns the sockets, the data and the local training.
final class TrainerLoop {
    /// Why the loop returned.
    enum Exit: Equatable {
        case stopBroadcast(String)
        case shutdown
    }

    private let configuration: TrainerConfiguration
    private let architecture: ModelArchitecture
    private let sockets: TrainerSockets
    private let shared: TrainerShared
    private let logger: Logger
    private let metrics: TrainerMetrics?
    private let clock = ContinuousClock()
    private var session: TrainerSession
    /// The weights of `session.heldVersion`.
    private var heldWeights: [Float]?
    private var lastPump: ContinuousClock.Instant
    /// Since when the last update has been waiting to leave (nil: the channel is free).
    private var blockedSince: ContinuousClock.Instant?
    /// When to say that registration is still waiting (and on what).
    private var waitReporter = WaitReporter()
    /// What the reported wait is for, so a new stage starts a new wait.
    private var waitStage: WaitStage?
    private let started: ContinuousClock.Instant
    /// A version the aggregator asked this trainer to evaluate (federated evaluation), not held yet.
    private var evaluationRequest: UInt64?
    /// The requested version's weights, kept from when it was held until the round loop evaluates them.
    private var pendingEvaluation: (version: UInt64, weights: [Float])?
    /// The samples federated evaluation runs on: the first `evaluationSamples` of the shard.
    private var evaluationSet: Dataset?
    /// Shard samples a federated evaluation uses at most.
    private let evaluationSamples = 2000

    /// The stages of joining a run that can wait on the broker or the aggregator.
    private enum WaitStage {
        /// No model broadcast yet (the run id comes from the first one).
        case firstBroadcast
        /// `register` sent, no `registered` back yet.
        case registration
    }

    init(configuration: TrainerConfiguration, architecture: ModelArchitecture, sockets: TrainerSockets,
         shared: TrainerShared, metrics: TrainerMetrics? = nil, logger: Logger) {
        self.configuration = configuration
        self.metrics = metrics
        self.architecture = architecture
        self.sockets = sockets
        self.shared = shared
        self.logger = logger
        session = TrainerSession(layout: architecture.layout, identity: configuration.effectiveIdentity,
                                 runID: configuration.runID, registerRetry: configuration.registerRetry,
                                 heartbeatInterval: configuration.heartbeatInterval)
        lastPump = clock.now
        started = clock.now
    }

    /// Runs to the end. `dataset` replaces loading `configuration.data` (it is still partitioned
    /// when the source is the default dataset).
    func run(dataset provided: Dataset?) throws -> Exit {
        let data = try provided ?? loadData()
        if let scheme = configuration.partition { try check(scheme, data, source: "--partition") }
        guard var registration = try awaitRegistration() else { return exit() }
        var trainer = try makeTrainer(data, registration)
        var lastBase: UInt64?
        var lastPush = clock.now
        var sameBaseRounds = 0  // rounds trained in a row on `lastBase`
        while !shouldExit {
            if session.isForgotten {
                guard let again = try awaitRegistration() else { break }
                if !Self.sameAssignment(again, registration) { trainer = try makeTrainer(data, again) }
                registration = again
                lastBase = nil  // the abandoned round's update never counted: train from the held model again
                continue
            }
            try heartbeatIfDue()
            try pump(timeout: .zero)  // so the round starts from the newest model already queued
            answerEvaluationRequest()
            guard let base = session.heldVersion, let weights = heldWeights,
                  base != lastBase || seconds(since: lastPush) >= configuration.sameBaseWait(after: sameBaseRounds)
            else {
                try pump(timeout: .milliseconds(100))
                continue
            }
            guard try updateChannelFree() else {
                try pump(timeout: .milliseconds(100))
                continue
            }
            guard let result = try trainer.train(from: weights, shouldContinue: betweenBatches) else { continue }
            try push(result, base: base)
            sameBaseRounds = base == lastBase ? sameBaseRounds + 1 : 1
            lastBase = base
            lastPush = clock.now
        }
        return exit()
    }

    /// The local trainer for `registration`'s shard (its seed depends on the trainer id).
    private func makeTrainer(_ data: Dataset, _ registration: Registration) throws -> LocalTrainer {
        let shard = try makeShard(data, registration)
        evaluationSet = shard.subset(Array(0..<min(evaluationSamples, shard.count)))
        shared.update { $0.shardSize = shard.count }
        let seed = configuration.seed ^ (UInt64(registration.trainerID) << 32)
        let trainer = try LocalTrainer(architecture: architecture, dataset: shard, configuration: configuration, seed: seed)
        logger.info("trainer ready", metadata: [
            "id": "\(registration.trainerID)", "shard": "\(registration.shardIndex)/\(registration.shardCount)",
            "samples": "\(shard.count)", "work": "\(configuration.localWork)",
        ])
        return trainer
    }

    /// Whether two registrations assign the same trainer id and shard (the model version aside).
    private static func sameAssignment(_ a: Registration, _ b: Registration) -> Bool {
        var a = a
        a.modelVersion = b.modelVersion
        return a == b
    }

    /// Sends goodbye if registered (the aggregator stops counting this trainer at once).
    func sayGoodbye() {
        guard let frames = session.goodbye() else { return }
        _ = try? sockets.control.send(frames, options: .dontWait)
    }

    // MARK: Steps

    private var shouldExit: Bool { shared.shouldStop || session.stopReason != nil }

    private func exit() -> Exit {
        session.stopReason.map(Exit.stopBroadcast) ?? .shutdown
    }

    private func loadData() throws -> Dataset {
        let start = clock.now
        let data = try configuration.data.load()
        logger.info("training data loaded", metadata: ["samples": "\(data.count)", "seconds": "\(format(seconds(since: start)))"])
        return data
    }

    /// Learns the run id (unless configured), then sends `register` every `registerRetry`
    /// seconds until `registered` arrives. Nil if the run stopped or shutdown came first.
    private func awaitRegistration() throws -> Registration? {
        while !shouldExit {
            if let frames = session.registerIfDue(now: clock.now) {
                if session.registerAttempts > 1 { logger.debug("no answer from the aggregator yet; registering again") }
                _ = try sockets.control.send(frames, options: .dontWait)
            }
            try pump(timeout: .milliseconds(100))
            if session.isRegistered, let registration = session.registration {
                waitReporter.reset()
                waitStage = nil
                return registration
            }
            reportWait()
        }
        return nil
    }

    /// Says, at a slowing pace (`WaitReporter`), what registration is waiting for, on which
    /// endpoint, and the likely causes: without it a trainer facing no broker, a broker that
    /// does not resolve or a CURVE mismatch waits in silence forever.
    private func reportWait() {
        let stage: WaitStage = session.codec == nil ? .firstBroadcast : .registration
        if stage != waitStage {
            waitReporter.reset()
            waitStage = stage
        }
        guard let waited = waitReporter.check(now: seconds(since: started)) else { return }
        try? sockets.readEvents()
        let (message, endpoint, progress, others): (Logger.Message, String, ConnectionProgress, [String]) = switch stage {
        case .firstBroadcast:
            ("waiting for the first model broadcast (it carries the run id)", configuration.modelEndpoint, sockets.modelProgress,
             ["the aggregator is not running or not connected to the broker, so the broker has no model to send"])
        case .registration:
            ("waiting for the aggregator to answer register", configuration.controlEndpoint, sockets.controlProgress,
             ["the aggregator is not running or not connected to the broker's control-out port"]
                + (configuration.runID.map { ["--run-id \($0) is not the aggregator's run id"] } ?? [])
                + ["the aggregator refuses this trainer (see its log)"])
        }
        let causes = WaitCauses.of(waitOn: endpoint, curve: configuration.curve != nil, progress: progress, others: others)
        logger.warning(message, metadata: [
            "endpoint": "\(endpoint)", "connection": "\(progress.summary)", "waited_seconds": "\(Int(waited))",
            "next_report_seconds": "\(Int(waitReporter.secondsToNextReport(now: seconds(since: started)).rounded()))",
            "likely_causes": "\(WaitCauses.text(causes))",
        ])
    }

    /// A broker that refuses this trainer's CURVE key closes the connection for good: the
    /// sockets are opened again after a wait (`ReconnectBackoff`), so a key added to the
    /// broker's list later (SIGHUP) is picked up.
    private func watchForRefusal() throws {
        if !session.backoff.isWaiting, try sockets.refusedByBroker(), let wait = session.brokerRefused(now: clock.now) {
            logger.error("the broker refused this trainer's CURVE key (is its public key in the broker's allowed keys?)",
                         metadata: ["retry_in_seconds": "\(format(wait))", "refusals": "\(session.backoff.refusals)"])
        }
        guard session.reconnectDue(now: clock.now) else { return }
        try sockets.reopen()
        logger.notice("connecting to the broker again")
    }

    /// The samples this trainer trains on: the first `sampleLimit`, then (default dataset
    /// only) the registration's shard.
    private func makeShard(_ data: Dataset, _ registration: Registration) throws -> Dataset {
        let data = limited(data)
        guard configuration.data.isPartitioned, registration.shardCount > 1 else { return data }
        let scheme = try configuration.partition ?? PartitionScheme(parsing: registration.partition)
        if configuration.partition == nil { try check(scheme, data, source: "the aggregator's --partition") }
        let indices = try Partitioner.shard(registration.shardIndex, of: registration.shardCount, labels: data.labels,
                                            scheme: scheme, seed: registration.seed)
        return data.subset(indices)
    }

    /// The first `sampleLimit` samples of `data` (all without a limit).
    private func limited(_ data: Dataset) -> Dataset {
        guard let limit = configuration.sampleLimit, limit < data.count else { return data }
        return data.subset(Array(0..<limit))
    }

    /// Fails with a `TrainerError` naming `source` when `scheme` needs more classes than the
    /// (limited) training data holds: with `--partition` before registering, so the aggregator
    /// never counts a trainer that cannot train. Data that is not partitioned passes.
    private func check(_ scheme: PartitionScheme, _ data: Dataset, source: String) throws {
        guard configuration.data.isPartitioned else { return }
        do {
            try scheme.check(classCount: Set(limited(data).labels).count, source: "the training data")
        } catch {
            throw TrainerError("\(source) \(scheme) cannot cut this trainer's data: \(error.message)",
                               code: "partition_classes", underlying: error)
        }
    }

    /// Called after every mini-batch: heartbeat, look for new models or stop a few times a
    /// second. False abandons the round.
    private func betweenBatches() -> Bool {
        do {
            try heartbeatIfDue()
            if seconds(since: lastPump) >= 0.2 { try pump(timeout: .zero) }
        } catch {
            logger.warning("receiving broadcasts failed", metadata: ["error": "\(error)"])
        }
        return !shouldExit && !session.isForgotten
    }

    private func push(_ result: LocalResult, base: UInt64) throws {
        guard result.meanLoss.isFinite, result.delta.allSatisfy(\.isFinite) else {
            logger.error("local training diverged (non-finite loss or weights); update not sent; lower the learning rate",
                         metadata: ["base": "\(base)"])
            return
        }
        guard let frames = session.update(delta: result.delta, base: base, sampleCount: result.sampleCount,
                                          trainingLoss: result.meanLoss) else { return }
        guard try sockets.updates.send(frames) else {
            logger.warning("update not sent: the broker did not take it in time", metadata: ["base": "\(base)"])
            return
        }
        shared.update {
            $0.updatesSent += 1
            $0.lastLoss = result.meanLoss
        }
        metrics?.sent(result)
        logger.info("update pushed", metadata: [
            "base": "\(base)", "loss": "\(format(Double(result.meanLoss)))", "samples": "\(result.sampleCount)",
            "seconds": "\(format(result.seconds))",
        ])
        if result.secondsBehindPace > 0.1 * (result.seconds - result.secondsBehindPace) {
            logger.warning("the machine could not keep the emulated device's pace (--step-time)", metadata: [
                "seconds": "\(format(result.seconds))", "behind": "\(format(result.secondsBehindPace))",
            ])
        }
    }

    private func heartbeatIfDue() throws {
        guard let frames = session.heartbeatIfDue(now: clock.now) else { return }
        do {
            _ = try sockets.control.send(frames, options: .dontWait)
            shared.update { $0.heartbeatsSent += 1 }
        } catch {
            logger.warning("heartbeat failed", metadata: ["error": "\(error)"])
        }
    }

    // MARK: Sockets

    /// Whether the last update has left: a broker or aggregator that stalls makes the trainer
    /// wait (saying so once per stall) rather than train updates that would queue up stale.
    private func updateChannelFree() throws -> Bool {
        if try sockets.canSendUpdate() {
            if let since = blockedSince {
                logger.notice("the broker took the last update again; training", metadata: ["waited_seconds": "\(format(seconds(since: since)))"])
                blockedSince = nil
            }
            return true
        }
        if blockedSince == nil {
            blockedSince = clock.now
            logger.warning("the last update has not left yet (broker or aggregator stalled?); waiting before training again",
                           metadata: ["endpoint": "\(configuration.updateEndpoint)"])
        }
        return false
    }

    /// Waits up to `timeout` for input, then hands every control reply and broadcast to the
    /// session and acts on what changed.
    private func pump(timeout: Duration) throws {
        lastPump = clock.now
        try watchForRefusal()
        let readable = try sockets.poll(timeout: timeout)
        if readable.control {
            for frames in try sockets.drain(sockets.control) {
                if let event = session.receiveControl(frames) { try handle(event) }
            }
        }
        if readable.models {
            for event in session.receiveBroadcasts(try sockets.drainModels()) { try handle(event) }
        }
    }

    /// Logs and records one session event; a model of another architecture is fatal.
    private func handle(_ event: TrainerSession.Event) throws {
        switch event {
        case .joined(let runID):
            logger.info("joined run", metadata: ["run": "\(runID)"])
        case .registered(let registration, let again):
            do {
                try configuration.validate(aggregatorHeartbeatTimeout: registration.heartbeatTimeout)
            } catch {
                throw TrainerError(error.message, code: error.code, underlying: error)
            }
            shared.update {
                $0.registration = registration
                if again { $0.reregistrations += 1 }
            }
            guard again else { return }
            logger.notice("registered again", metadata: [
                "id": "\(registration.trainerID)", "shard": "\(registration.shardIndex)/\(registration.shardCount)",
                "version": "\(registration.modelVersion)",
            ])
        case .forgotten(let trainerID):
            logger.notice("the aggregator does not know this trainer (restarted without its membership?); registering again",
                          metadata: ["id": "\(trainerID)"])
        case .adopted(let version, let previous, let weights):
            if let previous, version < previous {
                logger.notice("the aggregator went back to an earlier version (restarted from a checkpoint)",
                              metadata: ["from": "\(previous)", "to": "\(version)"])
            }
            if let previous = heldWeights { session.recycle(previous) }
            heldWeights = weights
            keepRequestedWeights()
            shared.update { $0.adopt(version: version) }
            metrics?.adopted(version: version)
            logger.debug("model received", metadata: ["version": "\(version)"])
        case .stopped(let version, let reason):
            shared.update { $0.stopReason = reason }
            logger.notice("aggregator stopped the run", metadata: ["version": "\(version)", "reason": "\(reason)"])
        case .rejected(let error):
            if error.reason == .fingerprintMismatch {
                throw TrainerError("the aggregator's model differs from --model \(configuration.modelName): \(error.message)",
                                   code: "fingerprint_mismatch", underlying: error)
            }
            shared.update { $0.broadcastsRejected += 1 }
            logger.warning("broadcast rejected", metadata: ["reason": "\(error.reason.rawValue)", "detail": "\(error.message)"])
        case .updateResult(let result):
            record(result)
        case .evaluationRequested(let version):
            evaluationRequest = version
            keepRequestedWeights()
        }
    }

    /// Keeps the weights of the requested version as soon as it is held (a newer version may
    /// replace it before the round loop gets to evaluate); a request for a version older than
    /// the one held is dropped.
    private func keepRequestedWeights() {
        guard let version = evaluationRequest, let held = session.heldVersion, version <= held else { return }
        evaluationRequest = nil
        if version == held, let weights = heldWeights { pendingEvaluation = (version, weights) }
    }

    /// Federated evaluation: evaluates the kept version on the first `evaluationSamples`
    /// samples of this trainer's shard (its training data: the Swift trainer keeps no separate
    /// validation split) and answers the aggregator.
    private func answerEvaluationRequest() {
        guard let (version, weights) = pendingEvaluation, let data = evaluationSet, data.count > 0 else { return }
        pendingEvaluation = nil
        do {
            let model = architecture.build(seed: 0)
            try model.load(flat: weights)
            let result = try model.evaluate(data)
            guard let frames = session.evaluation(version: version, samples: data.count, loss: Double(result.loss),
                                                  accuracy: Double(result.accuracy)) else { return }
            _ = try sockets.control.send(frames, options: .dontWait)
            shared.update { $0.evaluationsAnswered += 1 }
            logger.info("federated evaluation answered", metadata: [
                "version": "\(version)", "accuracy": "\(format(Double(result.accuracy)))", "samples": "\(data.count)"])
        } catch {
            logger.warning("federated evaluation failed", metadata: ["version": "\(version)", "error": "\(error)"])
        }
    }

    /// Counts the aggregator's verdict on an update; a rejection is logged with its reason.
    private func record(_ result: UpdateResult) {
        shared.update { status in
            if let reason = result.reason { status.updatesRejected[reason, default: 0] += 1 } else { status.updatesAccepted += 1 }
        }
        let metadata: Logger.Metadata = ["sequence": "\(result.sequence)", "base": "\(result.baseVersion)",
                                         "version": "\(result.modelVersion)"]
        if let reason = result.reason {
            logger.warning("update rejected by the aggregator", metadata: metadata.merging(["reason": "\(reason)"]) { $1 })
        } else {
            logger.debug("update accepted", metadata: metadata)
        }
    }

    // MARK: Helpers

    private func seconds(since instant: ContinuousClock.Instant) -> Double {
        instant.duration(to: clock.now) / .seconds(1)
    }

    private func format(_ value: Double) -> String { String(format: "%.3f", value) }
}
