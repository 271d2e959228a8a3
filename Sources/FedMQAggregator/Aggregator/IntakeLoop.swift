import FedMQProtocol
import FedMQTransport
import Foundation
import Logging
import ZeroMQ

/// The steps of the aggregator's intake thread, around an `AggregatorEngine`.
struct IntakeLoop {
    let engine: AggregatorEngine
    let sockets: AggregatorSockets
    let store: CheckpointStore?
    let metrics: MetricsWriter?
    /// Prometheus-style metrics (nil: not exported).
    let monitor: AggregatorMetrics?
    let worker: EvaluationWorker?
    /// The live page's state, fed with every metrics line and a sample each `liveInterval`.
    let live: LiveFeed?
    let configuration: AggregatorConfiguration
    let logger: Logger
    /// Run seconds before this process started (restored from the checkpoint): metrics times
    /// and the time limit continue from there.
    let runTimeOffset: Double
    /// Latest evaluation result and its version.
    private(set) var lastEvaluation: (version: UInt64, result: EvaluationResult)?
    /// Latest federated evaluation closed.
    private(set) var lastFederated: FederatedEvaluation.Result?
    /// Latest version handed to the evaluation thread.
    private var lastSubmitted: UInt64?
    /// Largest number of messages handled per socket per poll, so neither starves the other.
    private let batch = 64
    /// The engine's current version is not published because its checkpoint failed: intake of
    /// updates pauses (they wait in the sockets' bounded queues), the last published model is
    /// republished, and the checkpoint is retried until the disk takes it.
    private(set) var publicationHeld = false
    /// When to try the held checkpoint again: 1 s after the failure, then doubling to 30 s.
    private var checkpointRetry = WaitReporter(firstReport: 1, maximumInterval: 30)
    private var metricsFailureLog = LogThrottle(interval: 10)
    /// The broker's aggregator lease: updates, new versions and republications only while held.
    private(set) var lease: AggregatorLease
    /// Seconds between two samples of the counters and trainer table for the live page.
    private let liveInterval = 1.0
    private var lastLiveSample: Double?
    /// Trainers' control routes, for telling each update's sender its verdict.
    private(set) var feedback = UpdateFeedback()
    /// When `exportMetrics` last exported (seconds since start).
    private var lastExport = -Double.infinity

    init(engine: AggregatorEngine, sockets: AggregatorSockets, lease: AggregatorLease, store: CheckpointStore?, metrics: MetricsWriter?,
         worker: EvaluationWorker?, live: LiveFeed? = nil, configuration: AggregatorConfiguration, runTimeOffset: Double,
         logger: Logger, monitor: AggregatorMetrics? = nil) {
        self.live = live
        self.runTimeOffset = runTimeOffset
        self.monitor = monitor
        self.engine = engine
        self.sockets = sockets
        self.store = store
        self.metrics = metrics
        self.worker = worker
        self.configuration = configuration
        self.logger = logger
        self.lease = lease
    }

    // MARK: Inbound

    /// Takes in up to `batch` pending updates, each decoded straight from libzmq's buffer;
    /// none while publication is held.
    mutating func drainUpdates(now: Double) {
        guard !publicationHeld else { return }
        for _ in 0..<batch where !atVersionLimit {
            let message: HeldMessage?
            do { message = try sockets.updates.receiveHeld(options: .dontWait) } catch {
                logger.error("update receive failed", metadata: ["error": "\(error)"])
                return
            }
            guard let message else { return }
            let (count, sender) = splitSender(frameCount: message.frameCount) { message.bytes(ofFrame: message.frameCount - 1) }
            if let version = engine.handleUpdate(message, frameCount: count, sender: sender, now: now) { newVersion(version, now: now) }
            if count >= 2 { tellSender(updateHeader: message.bytes(ofFrame: 1), sender: sender) }
        }
    }

    /// Sends the verdict on the update just handled to its sender's control route, if known
    /// (never blocks: a full control socket drops it, as any reply).
    private mutating func tellSender(updateHeader: [UInt8], sender: MessageSender) {
        guard let frames = feedback.message(forUpdateHeader: updateHeader, sender: sender, engine: engine) else { return }
        do { _ = try sockets.control.send(frames, options: .dontWait) } catch {
            logger.debug("update_result not sent", metadata: ["error": "\(error)"])
        }
    }

    /// Control messages arrive as `[routing ids…, topic, header, payload]` (plus the sender
    /// frame with CURVE); replies go back with the same routing ids. Lease replies from the
    /// broker go to `lease`. Returns true when the lease was granted for the first time.
    /// - Throws: `AggregatorError` when another aggregator holds or took the lease.
    @discardableResult
    mutating func drainControl(now: Double) throws -> Bool {
        var granted = false
        for _ in 0..<batch {
            guard let received = try sockets.control.receiveMultipart(options: .dontWait) else { break }
            if LeaseMessage.matches(received) {
                if try lease.receive(received, now: now) { granted = true }
                continue
            }
            let (frames, sender) = splitSender(received)
            let envelope = Array(frames.dropLast(min(3, max(0, frames.count - 1))))
            let body = Array(frames.dropFirst(envelope.count))
            let known = engine.registry.records.count
            let reply = engine.handleControl(body, sender: sender, now: now)
            feedback.learn(request: body, reply: reply, envelope: envelope, sender: sender, registry: engine.registry)
            if let reply {
                if engine.registry.records.count != known { saveRegistry() }
                _ = try sockets.control.send(envelope + reply, options: .dontWait)
            }
        }
        return granted
    }

    /// Sends a lease claim or renewal when one is due; reports the wait while the lease is not
    /// held. Returns whether it is held at `now`.
    mutating func keepLease(now: Double) -> Bool {
        lease.keep(on: sockets.control, now: now)
    }

    /// With CURVE, the broker appends the sender's Z85 public key as the last frame: splits it
    /// off (`.unknown` when it is absent or not a key). Without CURVE, `.plaintext`.
    private func splitSender(_ frames: [[UInt8]]) -> ([[UInt8]], MessageSender) {
        let (count, sender) = splitSender(frameCount: frames.count) { frames[frames.count - 1] }
        return (Array(frames.prefix(count)), sender)
    }

    /// `splitSender` by frame count: how many frames are the message, and who sent it
    /// (`lastFrame` is read only with CURVE and more than one frame).
    private func splitSender(frameCount: Int, lastFrame: () -> [UInt8]) -> (Int, MessageSender) {
        guard configuration.curve != nil else { return (frameCount, .plaintext) }
        guard frameCount > 1 else { return (frameCount, .unknown) }
        let key = try? CurveKey(z85: String(decoding: lastFrame(), as: UTF8.self))
        return (frameCount - 1, key.map(MessageSender.key) ?? .unknown)
    }

    // MARK: New versions

    /// Checkpoints when due, publishes the new model and evaluates when due (`now`: seconds
    /// since start). The checkpoint comes first: with `checkpointEvery` 1 no trainer or metrics
    /// line ever sees a version that a crash (kill -9) right after could lose. A version whose
    /// checkpoint fails is held back (see `publicationHeld`) until `retryHeldCheckpoint` writes it.
    mutating func newVersion(_ version: UInt64, now: Double) {
        monitor?.versionMade(now: now)
        if publicationHeld || version % configuration.checkpointEvery == 0 {
            guard saveCheckpoint(now: now) else {
                hold(version, now: now)
                return
            }
        }
        announce(version, now: now)
    }

    /// Publishes `version` and hands it to evaluation when due.
    private mutating func announce(_ version: UInt64, now: Double) {
        publish()
        guard configuration.evalEvery > 0 && version % configuration.evalEvery == 0 else { return }
        if configuration.federatedEvaluation { askTrainersToEvaluate(version, now: now) }
        if let worker {
            worker.submit(version: version, weights: engine.model)
            lastSubmitted = version
        } else {
            writeMetrics(wallTime: now, evaluation: nil, version: version)
        }
    }

    /// Publishes the engine's current version.
    func publish() {
        send(engine.modelFrames(publishedAt: Date().timeIntervalSince1970), what: "model")
    }

    /// Sends the last published version again (the republish timer, a broker that restarted
    /// with an empty cache); never a version whose checkpoint is not written.
    func republish() {
        guard let frames = engine.lastModelFrames() else { return publish() }
        send(frames, what: "model")
    }

    func broadcastStop(reason: String) {
        send(engine.stopFrames(reason: reason), what: "stop")
    }

    private func send(_ frames: [[UInt8]], what: String) {
        do { _ = try sockets.models.send(frames, options: .dontWait) } catch {
            logger.error("cannot publish \(what)", metadata: ["error": "\(error)"])
        }
    }

    /// Writes a checkpoint (`now`: seconds since this process started); false (logged) if it
    /// failed.
    @discardableResult
    func saveCheckpoint(now: Double, stopReason: String? = nil) -> Bool {
        guard let store else { return true }
        do {
            let started = ContinuousClock.now
            let path = try store.save(engine.checkpoint(
                savedAt: Date().timeIntervalSince1970, runSeconds: runTimeOffset + now, stopReason: stopReason))
            monitor?.checkpointWritten(in: started.duration(to: .now))
            logger.debug("checkpoint written", metadata: ["path": "\(path)"])
            return true
        } catch {
            logger.error("checkpoint failed", metadata: ["error": "\(error)", "version": "\(engine.version)"])
            return false
        }
    }

    private mutating func hold(_ version: UInt64, now: Double) {
        guard !publicationHeld else { return }
        logger.critical("""
            checkpoint of version \(version) failed: not publishing it and taking no updates until a checkpoint \
            is written (full or read-only disk?); trainers keep the last published version
            """, metadata: ["directory": "\(store?.directory ?? "")"])
        publicationHeld = true
        checkpointRetry.reset()
        _ = checkpointRetry.check(now: now)  // the retries' clock starts at the failure
    }

    /// While publication is held: retries the checkpoint when due (1 s, doubling to 30 s) and,
    /// once it is written, publishes the version and resumes intake.
    mutating func retryHeldCheckpoint(now: Double) {
        guard publicationHeld, let held = checkpointRetry.check(now: now), saveCheckpoint(now: now) else { return }
        publicationHeld = false
        logger.notice("checkpoint written again; publishing and taking updates",
                      metadata: ["version": "\(engine.version)", "held_seconds": "\(Int(held))"])
        announce(engine.version, now: now)
    }

    /// Persists trainer membership (a trainer joined) before it learns its id.
    private func saveRegistry() {
        do { try store?.saveRegistry(engine.registry) } catch {
            logger.error("cannot save trainer registry", metadata: ["error": "\(error)"])
        }
    }

    // MARK: Evaluation and metrics

    /// Sends `evaluate` for `version` along every live trainer's control route.
    private func askTrainersToEvaluate(_ version: UInt64, now: Double) {
        let routes = feedback.liveRoutes(in: engine.registry)
        let request = engine.requestFederatedEvaluation(of: version, asked: routes.count, now: now)
        for route in routes {
            do { _ = try sockets.control.send(route + request, options: .dontWait) } catch {
                logger.debug("evaluate request not sent", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Records the federated evaluations that are complete or past their deadline.
    private mutating func collectFederated(wallTime: Double) {
        for result in engine.closeFederatedEvaluations(now: wallTime) {
            lastFederated = result
            logger.info("federated evaluation", metadata: [
                "version": "\(result.version)", "accuracy": "\(String(format: "%.4f", result.accuracy))",
                "loss": "\(String(format: "%.4f", result.loss))", "samples": "\(result.samples)", "trainers": "\(result.trainers)",
            ])
            writeMetrics(wallTime: wallTime, evaluation: nil, version: result.version, federated: result)
        }
    }

    mutating func collectEvaluations(wallTime: Double) {
        collectFederated(wallTime: wallTime)
        for outcome in worker?.drain() ?? [] {
            switch outcome.result {
            case .success(let result):
                lastEvaluation = (outcome.version, result)
                monitor?.evaluated(version: outcome.version, result)
                logger.info("evaluated", metadata: [
                    "version": "\(outcome.version)", "accuracy": "\(String(format: "%.4f", result.accuracy))",
                    "loss": "\(String(format: "%.4f", result.loss))",
                ])
                writeMetrics(wallTime: wallTime, evaluation: result, version: outcome.version)
            case .failure(let error):
                logger.error("evaluation failed", metadata: ["version": "\(outcome.version)", "error": "\(error.message)"])
            }
        }
    }

    /// Evaluates the current model unless it already was, waiting at most `timeout`; records
    /// the result in the metrics. Used once the run is over (intake has stopped).
    mutating func finalEvaluation(timeout: Duration, wallTime: Double) {
        guard let worker, lastEvaluation?.version != engine.version else { return }
        if lastSubmitted != engine.version {  // else it is already queued or running
            worker.submit(version: engine.version, weights: engine.model)
            lastSubmitted = engine.version
        }
        if !worker.waitUntilIdle(timeout: timeout) {
            logger.warning("final evaluation did not finish in time", metadata: ["timeout": "\(timeout)"])
        }
        collectEvaluations(wallTime: wallTime)
    }

    /// Appends a metrics line (`wallTime`: seconds since this process started, shifted by
    /// `runTimeOffset`; `version`: the evaluated one).
    /// A line that cannot be written stays in the writer and goes out with the next one; the
    /// failure is logged at most every 10 s.
    mutating func writeMetrics(wallTime: Double, evaluation: EvaluationResult?, version: UInt64?,
                               federated: FederatedEvaluation.Result? = nil) {
        var record = engine.metricsRecord(wallTime: runTimeOffset + wallTime, evaluation: evaluation, version: version)
        if let federated {
            (record.federatedAccuracy, record.federatedLoss) = (federated.accuracy, federated.loss)
            (record.federatedSamples, record.federatedTrainers) = (federated.samples, federated.trainers)
        }
        live?.add(record)
        guard let metrics else { return }
        do {
            try metrics.write(record)
        } catch {
            guard let held = metricsFailureLog.admit(now: wallTime) else { return }
            logger.error("metrics line not written yet; kept for the next write", metadata: [
                "error": "\(error)", "pending_lines": "\(metrics.pending.count)", "dropped_lines": "\(metrics.droppedLines)",
                "failures_since_last_log": "\(held)",
            ])
        }
    }

    /// Hands the live page the counters and the trainer table, at most every `liveInterval`
    /// (`force`: now, e.g. when the run ends).
    mutating func sampleLive(now: Double, force: Bool = false) {
        guard let live, force || lastLiveSample.map({ now - $0 >= liveInterval }) ?? true else { return }
        lastLiveSample = now
        live.sample(engine.metricsRecord(wallTime: runTimeOffset + now, evaluation: nil), trainers: engine.trainerRows(now: now))
    }

    /// Exports the engine's counters and gauges to the metrics, at most every 0.25 s unless
    /// `force` (the intake calls this on every pass).
    mutating func exportMetrics(now: Double, force: Bool = false) {
        guard let monitor, force || now - lastExport >= 0.25 else { return }
        monitor.observe(engine)
        lastExport = now
    }

    // MARK: Stop conditions

    /// The engine reached `maxVersions`, or the next version would exceed central DP's ε
    /// budget: no further update is taken (a burst of queued updates, as after a restart,
    /// would otherwise make versions past the limit within one drain).
    var atVersionLimit: Bool {
        configuration.maxVersions.map { engine.version >= $0 } ?? false || engine.privacyBudgetExhausted
    }

    /// Why the run should end now, or nil.
    func stopReason(wallTime: Double) -> String? {
        if let target = configuration.targetAccuracy, let e = lastEvaluation, e.result.accuracy >= target {
            return "target accuracy \(target) reached (\(String(format: "%.4f", e.result.accuracy)) at version \(e.version))"
        }
        if let target = configuration.targetAccuracy, worker == nil, let f = lastFederated, f.accuracy >= target {
            return "target accuracy \(target) reached by federated evaluation (\(String(format: "%.4f", f.accuracy)) at version \(f.version), \(f.trainers) trainers)"
        }
        if let max = configuration.maxVersions, engine.version >= max { return "reached version \(max)" }
        if engine.privacyBudgetExhausted, let budget = configuration.centralPrivacy?.epsilonBudget {
            return "privacy budget ε = \(budget) reached (ε = \(String(format: "%.3f", engine.privacySpent ?? 0)) spent at version \(engine.version); one more version would exceed it)"
        }
        if let limit = configuration.timeLimit, runTimeOffset + wallTime >= limit { return "time limit \(limit) s" }
        return nil
    }
}
