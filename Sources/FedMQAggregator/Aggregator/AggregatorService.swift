import CoreMetrics
import FedMQProtocol
import Foundation
import Logging
import SafeTensorsFormat
import ServiceLifecycle
import Synchronization
import TensorCore
import ZeroMQ

/// The aggregator as a swift-service-lifecycle `Service`.
///
/// One dedicated intake thread owns the sockets (PUB to the model channel, PULL from the
/// update channel, DEALER on the control channel) and the `AggregatorEngine`. It first claims
/// the broker's aggregator lease (one broker serves one aggregator: a second one is refused
/// and fails with the holder's name before it takes, publishes or writes anything), then it
/// renews the lease about every second and takes updates and publishes only while it holds
/// it. It validates
/// each update, feeds the strategy, publishes every new version on topic "model",
/// checkpoints every `checkpointEvery` versions and hands a snapshot to the evaluation
/// thread every `evalEvery` versions (intake never waits for evaluation). When a stop
/// condition holds (target accuracy, max versions, time limit) it broadcasts `stop` and
/// returns. On SIGTERM/SIGINT (graceful shutdown) it checkpoints and returns without
/// broadcasting stop, so a restarted aggregator resumes the run from the latest checkpoint.
public final class AggregatorService: Service, Sendable {
    public let configuration: AggregatorConfiguration
    private let layout: ParameterLayout
    private let initialWeights: [Float]
    private let evaluator: (any ModelEvaluator)?
    private let metricsFactory: (any MetricsFactory)?
    private let context: Context
    private let logger: Logger
    private let stopRequested = Atomic<Bool>(false)
    private let state = Mutex(AggregatorStatus())
    private let failure = Mutex<(any Error)?>(nil)
    /// A trainer key list handed over by `reloadTrainerKeys`, not yet in force.
    private let pendingTrainerKeys = Mutex<(keys: Set<CurveKey>?, pending: Bool)>((nil, false))

    /// - Parameters:
    ///   - layout: the model's parameter layout.
    ///   - initialWeights: version-0 weights (flat, `layout.count`), used when no checkpoint exists.
    ///   - evaluator: test-set evaluation, or nil to skip evaluation.
    ///   - context: a ZeroMQ context to share (e.g. for inproc endpoints); a private one by default.
    ///   - metricsFactory: where to export Prometheus-style metrics (`fedmq_aggregator_*`); nil: none.
    public init(configuration: AggregatorConfiguration, layout: ParameterLayout, initialWeights: [Float],
                evaluator: (any ModelEvaluator)?, context: Context? = nil, metricsFactory: (any MetricsFactory)? = nil,
                logger: Logger) throws {
        try configuration.validate(layout: layout, outputClasses: nil)
        guard initialWeights.count == layout.count else {
            throw ConfigurationError("initial weights have \(initialWeights.count) values, layout \(layout.count)")
        }
        self.configuration = configuration
        self.layout = layout
        self.initialWeights = initialWeights
        self.evaluator = evaluator
        self.metricsFactory = metricsFactory
        self.context = try context ?? Context()
        self.logger = logger
    }

    /// The latest status snapshot.
    public var status: AggregatorStatus { state.withLock { $0 } }

    /// Runs until a stop condition holds, or until cancellation / graceful shutdown.
    public func run() async throws {
        let thread = SocketThread(name: "aggregator-intake") { [self] in
            do {
                try intake()
            } catch {
                failure.withLock { $0 = error }
                logger.error("aggregator failed", metadata: ["error": "\(error)"])
            }
        }
        await withTaskCancellationOrGracefulShutdownHandler {
            await thread.finished()
        } onCancelOrGracefulShutdown: { [self] in
            stopRequested.store(true, ordering: .releasing)
        }
        if let error = failure.withLock({ $0 }) { throw AggregatorError("\(error)", underlying: error) }
    }

    // MARK: Intake thread

    private func intake() throws {
        let clock = ContinuousClock()
        let start = clock.now
        let now = { (start.duration(to: clock.now)) / .seconds(1) }
        let store = configuration.checkpointDirectory.map {
            CheckpointStore(directory: $0, layout: layout, keep: configuration.keepCheckpoints, logger: logger)
        }
        // Checkpoints of another model or run are refused at once, broker or not (reading only).
        if let store { _ = try CheckpointAdmission.decide(states: store.states(), configuration: configuration, fingerprint: layout.fingerprint) }
        let sockets = try AggregatorSockets(
            context: context, configuration: configuration,
            maxMessageBytes: configuration.maxMessageBytes ?? MessageSizeLimit.messageBytes(for: layout),
            parameterCount: layout.count)
        defer { sockets.close() }
        // The lease comes before anything is written or moved (metrics, archive, checkpoints): a
        // second aggregator on this broker is refused having changed nothing.
        var lease = AggregatorLease(claim: AggregatorLease.claim(runID: configuration.runID),
                                    endpoint: configuration.controlEndpoint, logger: logger)
        guard try lease.awaitGrant(on: sockets, curve: configuration.curve != nil, now: now, until: { stopRequested.load(ordering: .acquiring) }) else {
            logger.notice("aggregator stopped (shutdown requested) before the broker granted the lease")
            return
        }
        try sockets.connectUpdates()
        let engine = try AggregatorEngine(configuration: configuration, layout: layout, initialWeights: initialWeights, logger: logger)
        var runTimeOffset = 0.0
        var finishedReason: String?
        let keepOptimizerState = try store.map(admitCheckpoints) ?? true
        if let store, let checkpoint = store.latest() {
            try engine.restore(checkpoint, now: now(), keepingOptimizerState: keepOptimizerState)
            runTimeOffset = checkpoint.state.runSeconds ?? 0
            finishedReason = checkpoint.state.stopReason
            state.withLock { $0.resumedFrom = engine.version }
            logger.notice("resumed from checkpoint", metadata: ["version": "\(engine.version)"])
        }
        if let saved = store?.latestRegistry() { engine.mergeRegistry(saved, now: now()) }
        let metrics = try configuration.metricsPath.map { path throws(ConfigurationError) in try MetricsWriter(path: path) }
        let worker = evaluator.map { EvaluationWorker(evaluator: $0) }
        defer { worker?.stop() }
        logger.notice("aggregator running", metadata: [
            "strategy": "\(configuration.strategyDescription)", "version": "\(engine.version)", "run": "\(configuration.runID)",
            "model_parameters": "\(layout.count)",  // the broker's --model-parameters
        ])

        var loop = IntakeLoop(engine: engine, sockets: sockets, lease: lease, store: store, metrics: metrics, worker: worker,
                              configuration: configuration, runTimeOffset: runTimeOffset, logger: logger,
                              monitor: metricsFactory.map(AggregatorMetrics.init(factory:)))
        if let finishedReason {
            publishStatus(engine, loop)
            repeatStop(loop: loop, reason: finishedReason)
            return
        }
        loop.publish()
        var lastPublish = now()
        var modelConnections = 0
        // PUB drops messages until its connection is up: republish often for 2 s after each
        // connection to the broker (the first one, and after a broker restart emptied its
        // last-value cache) so the cache holds this run's model (not a previous run's stop).
        var fastRepublishUntil = now() + 2
        var waits = AggregatorWaits(configuration: configuration, logger: logger)
        while !stopRequested.load(ordering: .acquiring) {
            let readable = try sockets.poll(timeout: .milliseconds(50))
            let t = now()
            let held = loop.keepLease(now: t)
            if held, readable.updates { loop.drainUpdates(now: t) }
            if readable.control { try loop.drainControl(now: t) }
            if held, !loop.atVersionLimit, let v = engine.tick(now: t) { loop.newVersion(v, now: t) }
            applyTrainerKeys(to: engine)
            loop.collectEvaluations(wallTime: t)
            let connections = sockets.newModelConnections()
            if connections > 0 {
                if modelConnections > 0 { logger.notice("model channel reconnected (broker restarted?); republishing the model") }
                modelConnections += connections
                fastRepublishUntil = t + 2
            }
            waits.observe(sockets.progress, liveTrainers: engine.registry.liveCount, now: t)
            let interval = configuration.republishInterval
            loop.retryHeldCheckpoint(now: t)
            if held, t - lastPublish >= (t < fastRepublishUntil ? min(0.25, interval) : interval) {
                loop.republish()
                lastPublish = t
            }
            publishStatus(engine, loop)
            loop.exportMetrics(now: t)
            if let reason = loop.stopReason(wallTime: t) {
                finish(loop: &loop, reason: reason, wallTime: t)
                publishStatus(engine, loop)
                loop.exportMetrics(now: t, force: true)
                return
            }
        }
        let end = now()
        loop.saveCheckpoint(now: end)
        loop.writeMetrics(wallTime: end, evaluation: nil, version: nil)
        loop.exportMetrics(now: end, force: true)
        logger.notice("aggregator stopped (shutdown requested)", metadata: ["version": "\(engine.version)"])
    }

    /// Applies `CheckpointAdmission` to the checkpoint directory before anything is resumed or
    /// written: refuses another run's or model's checkpoints (throws), moves them into
    /// `archive/` when told to start a new run, and says what a change of strategy drops.
    /// Returns whether the checkpoint's server-optimizer state is kept.
    private func admitCheckpoints(_ store: CheckpointStore) throws -> Bool {
        for _ in 0..<2 {
            let states = store.states()
            switch try CheckpointAdmission.decide(states: states, configuration: configuration, fingerprint: layout.fingerprint) {
            case .fresh, .resume:
                return true
            case .resumeChangingStrategy(let dropped):
                logger.warning("resuming under another strategy", metadata: ["change": "\(dropped)"])
                return false
            case .archive(let versions, let reason):
                let runs = Set(states.filter { versions.contains($0.version) }.map(\.runID)).sorted()
                let label = "run-\(runs.map(String.init).joined(separator: "-"))-\(Int(Date().timeIntervalSince1970))"
                let folder = try store.archive(versions: versions, label: label)
                logger.notice("starting a new run: earlier checkpoints moved aside, not deleted", metadata: [
                    "reason": "\(reason)", "archive": "\(folder)", "versions": "\(versions.count)",
                ])
            }
        }
        return true
    }

    /// The checkpoint says the run already ended: tell every trainer (and the broker's cache)
    /// to stop, a few times over two seconds since a new PUB connection drops early messages,
    /// and train no further.
    private func repeatStop(loop: IntakeLoop, reason: String) {
        logger.notice("run already finished; broadcasting stop", metadata: ["reason": "\(reason)", "version": "\(loop.engine.version)"])
        state.withLock { $0.stopReason = reason }
        for _ in 0..<8 where !stopRequested.load(ordering: .acquiring) {
            loop.broadcastStop(reason: reason)
            Thread.sleep(forTimeInterval: 0.25)
        }
    }

    /// Broadcasts stop, checkpoints, evaluates the final model (if not yet), writes the
    /// final metrics line and the report.
    private func finish(loop: inout IntakeLoop, reason: String, wallTime: Double) {
        logger.notice("stopping run", metadata: ["reason": "\(reason)", "version": "\(loop.engine.version)"])
        loop.broadcastStop(reason: reason)
        loop.saveCheckpoint(now: wallTime, stopReason: reason)
        loop.finalEvaluation(timeout: .seconds(configuration.finalEvaluationTimeout), wallTime: wallTime)
        loop.writeMetrics(wallTime: wallTime, evaluation: nil, version: nil)
        if let reportPath = configuration.reportPath, let metricsPath = configuration.metricsPath {
            do {
                try RunReport.write(metricsPath: metricsPath, to: reportPath,
                                    title: "FedMQ run \(configuration.runID): \(configuration.modelName), \(configuration.strategyDescription)")
            } catch {
                logger.error("cannot write report", metadata: ["path": "\(reportPath)", "error": "\(error)"])
            }
        }
        state.withLock { $0.stopReason = reason }
    }

    /// Replaces the allowed trainer keys of the running aggregator (the executable does this on
    /// SIGHUP, from `--trainer-keys(-file)`); the intake thread puts them in force within one
    /// poll (≤ 50 ms). Only meaningful with CURVE.
    public func reloadTrainerKeys(_ keys: Set<CurveKey>?) {
        pendingTrainerKeys.withLock { $0 = (keys, true) }
    }

    private func applyTrainerKeys(to engine: AggregatorEngine) {
        let reload = pendingTrainerKeys.withLock { pending in
            defer { pending = (nil, false) }
            return pending
        }
        guard reload.pending else { return }
        let removed = engine.allowedTrainerKeys.map { $0.subtracting(reload.keys ?? []).count } ?? 0
        engine.replaceTrainerKeys(reload.keys)
        logger.notice("trainer keys reloaded", metadata: [
            "keys": "\(reload.keys.map { "\($0.count)" } ?? "any"))", "removed": "\(reload.keys == nil ? 0 : removed)",
        ])
    }

    private func publishStatus(_ engine: AggregatorEngine, _ loop: IntakeLoop) {
        state.withLock {
            $0.version = engine.version
            $0.counters = engine.counters
            $0.liveTrainers = engine.registry.liveCount
            let sync = engine.strategy as? SyncFedAvg
            $0.roundSize = sync?.roundSize
            $0.roundPending = sync?.pendingUpdates
            if let e = loop.lastEvaluation { $0.lastEvaluation = e }
            $0.publicationHeld = loop.publicationHeld
        }
    }
}

/// A fatal aggregator failure (sockets, checkpoint restore).
public struct AggregatorError: Error, Sendable, CustomStringConvertible {
    public let code = "aggregator_failed"
    public let message: String
    /// The error that ended the intake (a socket or checkpoint error), if any.
    public let underlying: (any Error)?
    public init(_ message: String, underlying: (any Error)? = nil) {
        self.message = message
        self.underlying = underlying
    }
    public var description: String { message }
}
