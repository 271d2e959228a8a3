import FedMQProtocol
import FedMQTransport
import Logging
import SafeTensorsFormat
import TensorCore
import VectorKernels
import ZeroMQ

/// The aggregator's decision logic, free of sockets and threads: validates updates and
/// control requests, drives the strategy and the trainer registry, and produces the frames
/// to send. Owned by one thread (the service's intake thread), hence not `Sendable`.
public final class AggregatorEngine {
    public let configuration: AggregatorConfiguration
    public let codec: MessageCodec
    public private(set) var strategy: any AggregationStrategy
    public private(set) var registry: TrainerRegistry
    public private(set) var counters = RunCounters()
    /// Per-trainer counts of accepted updates (since this process started; not checkpointed).
    public private(set) var activity: [UInt32: TrainerActivity] = [:]
    /// Broker-attested keys allowed to send anything (nil: any key the broker admits): the
    /// configuration's `allowedTrainerKeys` until `replaceTrainerKeys`.
    public private(set) var allowedTrainerKeys: Set<CurveKey>?
    /// Why the update handled last was rejected; nil when it was accepted (read right after
    /// `handleUpdate` to tell its sender, see `UpdateFeedback`).
    public private(set) var lastUpdateRejection: RejectionReason?
    /// Answers to federated evaluation requests, per version.
    public private(set) var federatedEvaluation: FederatedEvaluation
    /// How many times `modelFrames` encoded the model (once per version published).
    public private(set) var modelEncodes = 0
    /// The frames `modelFrames` made for `version`, reused until the version changes.
    private var encodedModel: (version: UInt64, frames: [[UInt8]])?
    private var intakeBuffer = IntakeBuffer()
    private let logger: Logger
    /// `unknown_trainer` rejections repeat (every heartbeat and update of a trainer the
    /// aggregator forgot, until it registers again): logged at most every 10 s.
    private var unknownTrainerLog = LogThrottle(interval: 10)
    /// Per trainer: the base version of its last accepted update and how many it sent from it.
    private var lastBases: [UInt32: (base: UInt64, count: Int)] = [:]
    /// Central DP's accountant (nil when it is off).
    private let privacyLedger: PrivacyLedger?

    /// A fresh engine at version 0 with `initialWeights` (flat, `layout.count`).
    public init(configuration: AggregatorConfiguration, layout: ParameterLayout, initialWeights: [Float], logger: Logger) throws(ConfigurationError) {
        guard initialWeights.count == layout.count else {
            throw ConfigurationError("initial weights have \(initialWeights.count) values, layout \(layout.count)")
        }
        self.configuration = configuration
        self.logger = logger
        codec = MessageCodec(
            layout: layout, runID: configuration.runID, payloadCodec: SafeTensorsPayloadCodec(),
            normPolicy: configuration.effectiveNormPolicy)
        strategy = try configuration.makeStrategy(model: initialWeights)
        registry = TrainerRegistry(shardCount: configuration.shardCount, timeout: configuration.heartbeatTimeout)
        allowedTrainerKeys = configuration.allowedTrainerKeys
        federatedEvaluation = FederatedEvaluation(timeout: configuration.federatedEvaluationTimeout)
        privacyLedger = try configuration.centralPrivacy.map { c throws(ConfigurationError) in try PrivacyLedger(c) }
    }

    /// With central DP: ε spent by the versions made so far, at the configured δ.
    public var privacySpent: Double? { privacyLedger?.epsilon(steps: counters.privacySteps) }

    /// With central DP and an ε budget: the next version would spend more than the budget, so
    /// no further update is taken and the run stops.
    public var privacyBudgetExhausted: Bool { privacyLedger?.nextStepExceedsBudget(after: counters.privacySteps) ?? false }

    /// Counts a new version as one step of central DP's mechanism.
    private func made(_ version: UInt64?) -> UInt64? {
        if version != nil, privacyLedger != nil { counters.privacySteps += 1 }
        return version
    }

    /// Starts a federated evaluation of `version`, asked of `asked` trainers at `now`; returns
    /// the request's frames (to send along each trainer's route).
    public func requestFederatedEvaluation(of version: UInt64, asked: Int, now: Double) -> [[UInt8]] {
        federatedEvaluation.open(version: version, asked: asked, now: now)
        return codec.control(.evaluate(version: version))
    }

    /// Federated evaluations complete (every trainer asked answered) or past their deadline at `now`.
    public func closeFederatedEvaluations(now: Double) -> [FederatedEvaluation.Result] {
        federatedEvaluation.close(now: now)
    }

    /// Puts a new allowed-trainer key list in force for every later message (a reload of the
    /// key file): a removed key's updates and requests are `unauthorized_key` from now on.
    public func replaceTrainerKeys(_ keys: Set<CurveKey>?) {
        allowedTrainerKeys = keys
    }

    /// Current global version.
    public var version: UInt64 { strategy.version }
    /// Current global weights.
    public var model: [Float] { strategy.model }

    // MARK: Checkpoints

    /// Resumes from `checkpoint` (model, version, optimizer state, counters, registry).
    /// Saved trainers get a fresh heartbeat deadline from `now`. With `keepingOptimizerState`
    /// false (the strategy changed since the checkpoint: see `CheckpointAdmission`) the server
    /// optimizer starts afresh instead of taking the checkpoint's state.
    public func restore(_ checkpoint: Checkpoint, now: Double, keepingOptimizerState: Bool = true) throws(ConfigurationError) {
        guard checkpoint.state.runID == configuration.runID else {
            throw ConfigurationError("checkpoint belongs to run \(checkpoint.state.runID), not \(configuration.runID)", code: "checkpoint_state")
        }
        encodedModel = nil  // the restored weights may differ at an equal version number
        try strategy.restore(model: checkpoint.model, version: checkpoint.state.version,
                             stateVectors: keepingOptimizerState ? checkpoint.stateVectors : strategy.stateVectors,
                             optimizerSteps: keepingOptimizerState ? checkpoint.state.optimizerSteps : 0)
        counters = RunCounters(dictionary: checkpoint.state.counters)
        if let saved = checkpoint.state.registry, saved.shardCount == configuration.shardCount {
            registry = saved
            registry.touchAll(now: now)
        }
    }

    /// Takes in trainers of `saved` (a membership file newer than the checkpoint) unknown to
    /// this engine, so trainers registered after the last checkpoint keep their ids across a
    /// crash; they get a fresh heartbeat deadline from `now`. Ignored if the shard count differs.
    public func mergeRegistry(_ saved: TrainerRegistry, now: Double) {
        guard saved.shardCount == configuration.shardCount else { return }
        registry.merge(saved)
        registry.touchAll(now: now)
    }

    /// The current state as a checkpoint (wall time `savedAt`, seconds since 1970; run time
    /// `runSeconds` across restarts; `stopReason` once the run has ended).
    public func checkpoint(savedAt: Double, runSeconds: Double = 0, stopReason: String? = nil) -> Checkpoint {
        Checkpoint(
            state: CheckpointState(
                version: version, runID: configuration.runID, fingerprint: codec.layout.fingerprint,
                strategy: configuration.strategyDescription, mode: configuration.mode.rawValue,
                optimizer: configuration.checkpointedOptimizer, optimizerSteps: strategy.optimizerSteps,
                counters: counters.dictionary, registry: registry, savedAt: savedAt, runSeconds: runSeconds,
                stopReason: stopReason),
            model: model, stateVectors: strategy.stateVectors)
    }

    // MARK: Inbound

    /// Handles one update message; returns the new version if the model changed.
    /// A rejected update is counted under its reason and logged; the model is untouched.
    /// - Parameter sender: who sent it (with CURVE, the key the broker attested).
    public func handleUpdate(_ frames: [[UInt8]], sender: MessageSender = .plaintext, now: Double) -> UInt64? {
        counters.bytesIn += UInt64(frames.reduce(0) { $0 + $1.count })
        return intake(sender: sender, now: now) { (buffer: inout IntakeBuffer) throws(ProtocolError) in
            try buffer.decode(frames, codec: codec)
        }
    }

    /// `handleUpdate` for the first `frameCount` frames of a message still held by libzmq (the
    /// payload is decoded in place, into the reused intake buffer).
    public func handleUpdate(_ message: HeldMessage, frameCount: Int, sender: MessageSender = .plaintext,
                             now: Double) -> UInt64? {
        counters.bytesIn += UInt64((0..<frameCount).reduce(0) { total, index in total + message.withBytes(ofFrame: index) { $0.count } })
        return intake(sender: sender, now: now) { (buffer: inout IntakeBuffer) throws(ProtocolError) in
            try buffer.decode(message, frameCount: frameCount, codec: codec)
        }
    }

    /// Without `--max-staleness`, updates staler than `automaticStalenessLimit` are dropped as
    /// `too_stale`: a backlog released after a stall (every update trained on one old version)
    /// must not drag the model back.
    private func checkStaleness(of update: ClientUpdate) throws(ProtocolError) {
        guard configuration.maxStaleness == nil, update.baseVersion < version else { return }
        let limit = automaticStalenessLimit
        let staleness = version - update.baseVersion
        guard staleness <= limit else {
            throw ProtocolError(.tooStale, "staleness \(staleness) exceeds the automatic limit \(limit) "
                                + "(10 + 4 × live trainers / updates per version; set --max-staleness to choose)")
        }
    }

    /// The staleness limit when none is configured: ten versions plus four times what a
    /// trainer's update is normally behind (live trainers / updates per version). Sync rounds
    /// take only current updates anyway.
    public var automaticStalenessLimit: UInt64 {
        let perVersion: Int
        switch configuration.mode {
        case .sync: perVersion = configuration.roundSize
        case .async: perVersion = 1
        case .buffered: perVersion = configuration.bufferSize
        }
        let live = max(1, registry.liveCount)
        return 10 + 4 * UInt64((live + perVersion - 1) / perVersion)
    }

    /// Floats the intake keeps for decoding the next update (at most one model).
    public var intakeBufferFloats: Int { intakeBuffer.retainedFloats }
    /// Where the intake's reused delta storage is (for tests: unchanged while it is reused).
    public var intakeBufferAddress: UnsafeRawPointer? { intakeBuffer.storageAddress }

    /// Authorizes, decodes (through `decode`, into the intake buffer), checks ownership and
    /// registration, and submits; then hands the delta's storage back to the intake buffer.
    private func intake(sender: MessageSender, now: Double,
                        decode: (inout IntakeBuffer) throws(ProtocolError) -> ClientUpdate) -> UInt64? {
        do throws(ProtocolError) {
            try authorize(sender)
            var update = try decode(&intakeBuffer)
            defer { intakeBuffer.recycle(update, after: strategy) }
            try checkOwner(of: update.trainerID, sender)
            if configuration.requireRegistration {
                try registry.accept(sequence: update.sequence, from: update.trainerID, now: now)
            }
            try checkStaleness(of: update)
            let repeats = discountRepeat(&update)
            let outcome = try strategy.submit(update, now: now)
            lastBases[update.trainerID] = (update.baseVersion, repeats + 1)
            counters.updatesAccepted += 1
            if update.clipped {
                counters.updatesClipped += 1
                logger.notice("clipped update", metadata: ["trainer": "\(update.trainerID)", "norm": "\(update.receivedNorm)"])
            }
            counters.staleness.record(outcome.staleness)
            activity[update.trainerID, default: TrainerActivity()].record(
                staleness: outcome.staleness, samples: update.sampleCount, now: now)
            lastUpdateRejection = nil
            return made(outcome.newVersion)
        } catch {
            lastUpdateRejection = error.reason
            reject(error, what: "update", now: now)
            return nil
        }
    }

    /// A trainer that cannot hand over its update (a frozen aggregator or broker) trains again
    /// from the same base, and its updates then arrive in a burst, each a separate step from a
    /// model the global one has already moved past: applied in full they overshoot (accuracy
    /// fell 25–35 points for a version after a 40 s freeze). The r-th repeat of a trainer's step
    /// from one base that arrives stale is scaled by 1/(r + 1). Returns r (0: not a repeat).
    /// Repeats that arrive while the base is still current (more updates per version than
    /// trainers) are not discounted.
    private func discountRepeat(_ update: inout ClientUpdate) -> Int {
        guard let last = lastBases[update.trainerID], last.base == update.baseVersion else { return 0 }
        if update.baseVersion < version {
            VectorMath.scale(&update.delta, by: 1 / Float(last.count + 1))
            counters.updatesDiscounted += 1
        }
        return last.count
    }

    /// Handles one control request (frames without routing prefix); returns the reply frames, if any.
    /// - Parameter sender: who sent it (with CURVE, the key the broker attested).
    public func handleControl(_ frames: [[UInt8]], sender: MessageSender = .plaintext, now: Double) -> [[UInt8]]? {
        counters.bytesIn += UInt64(frames.reduce(0) { $0 + $1.count })
        do throws(ProtocolError) {
            try authorize(sender)
            switch try codec.decodeControl(frames) {
            case .register(let request, _):
                if let identity = request.identity, let bound = registry.record(identity: identity) {
                    try checkOwner(of: bound.id, sender)
                }
                let record = registry.register(identity: request.identity, publicKey: sender.key?.z85, now: now)
                logger.info("trainer registered", metadata: ["id": "\(record.id)", "shard": "\(record.shardIndex)",
                                                             "identity": "\(request.identity ?? "-")"])
                return codec.control(.registered(Registration(
                    trainerID: record.id, shardIndex: record.shardIndex, shardCount: configuration.shardCount,
                    partition: configuration.partition.description, seed: configuration.seed, modelVersion: version,
                    heartbeatTimeout: configuration.heartbeatTimeout)))
            case .heartbeat(let id, let sequence):
                try checkOwner(of: id, sender)
                if !registry.heartbeat(id, now: now) { return unregistered(id, sequence: sequence, request: "heartbeat", now: now) }
            case .goodbye(let id, let sequence):
                try checkOwner(of: id, sender)
                guard registry.records[id] != nil else { return unregistered(id, sequence: sequence, request: "goodbye", now: now) }
                registry.goodbye(id)
                logger.info("trainer left", metadata: ["id": "\(id)"])
            case .evaluation(let report):
                try checkOwner(of: report.trainerID, sender)
                guard registry.records[report.trainerID] != nil else {
                    throw ProtocolError(.unknownTrainer, "evaluation from unknown trainer \(report.trainerID)")
                }
                let taken = federatedEvaluation.record(report)
                logger.debug("federated evaluation answer", metadata: [
                    "trainer": "\(report.trainerID)", "version": "\(report.version)", "accuracy": "\(report.accuracy)",
                    "samples": "\(report.samples)", "taken": "\(taken)"])
            case .registered, .unregistered, .updateResult, .evaluate:
                throw ProtocolError(.unknownKind, "registered, unregistered, update_result and evaluate are the aggregator's, not requests")
            }
        } catch {
            reject(error, what: "control message", now: now)
        }
        return nil
    }

    /// A heartbeat or goodbye (`request`, sequence `sequence`) from trainer id `id`, which is not
    /// registered (this aggregator started without its membership, or the id is made up):
    /// counted and logged as `unknown_trainer`; the reply, `unregistered`, tells the sender to
    /// register again. It goes back to the sending DEALER only (the ROUTER's envelope), and
    /// registering again is checked like any registration (CURVE key ↔ identity binding).
    private func unregistered(_ id: UInt32, sequence: UInt64, request: String, now: Double) -> [[UInt8]] {
        reject(ProtocolError(.unknownTrainer, "\(request) from unknown trainer \(id); told to register again"),
               what: "control message", now: now)
        return codec.control(.unregistered(trainerID: id, sequence: sequence))
    }

    /// Counts a rejected `what` (update, control message) under its reason and logs it with
    /// the detail; `unknown_trainer` lines are throttled (`suppressed`: lines held back before).
    private func reject(_ error: ProtocolError, what: String, now: Double) {
        counters.reject(error.reason)
        var metadata: Logger.Metadata = ["reason": "\(error.reason.rawValue)", "detail": "\(error.message)"]
        if error.reason == .unknownTrainer {
            guard let suppressed = unknownTrainerLog.admit(now: now) else { return }
            if suppressed > 0 { metadata["suppressed"] = "\(suppressed)" }
        }
        logger.warning("rejected \(what)", metadata: metadata)
    }

    /// With an allowed-trainer list, only a listed, broker-attested key may send anything.
    private func authorize(_ sender: MessageSender) throws(ProtocolError) {
        guard let allowed = allowedTrainerKeys else { return }
        guard let key = sender.key else { throw ProtocolError(.unauthorizedKey, "no attested sender key (\(sender))") }
        guard allowed.contains(key) else { throw ProtocolError(.unauthorizedKey, "sender key \(key.z85) is not an allowed trainer") }
    }

    /// A trainer id registered with a key answers to that key only.
    private func checkOwner(of id: UInt32, _ sender: MessageSender) throws(ProtocolError) {
        guard let key = sender.key, let bound = registry.records[id]?.publicKey, bound != key.z85 else { return }
        throw ProtocolError(.unauthorizedKey, "trainer id \(id) belongs to key \(bound), not \(key.z85)")
    }

    /// Whether `minTrainers` trainers have registered (ever, restored ones included).
    public var isStartGateOpen: Bool { registry.records.count >= configuration.minTrainers }

    /// Time-driven work: expires silent trainers, sizes sync rounds to the live trainers,
    /// closes overdue rounds. Returns the new version if one was made.
    public func tick(now: Double) -> UInt64? {
        for id in registry.expire(now: now) { logger.notice("trainer expired", metadata: ["id": "\(id)"]) }
        if let sync = strategy as? SyncFedAvg {
            let expected = isStartGateOpen ? registry.liveCount : configuration.minTrainers
            sync.roundSize = max(1, min(configuration.roundSize, expected))
        }
        return made(strategy.poll(now: now))
    }

    // MARK: Outbound

    /// Frames publishing the current model, stamped with `publishedAt` (seconds since 1970).
    ///
    /// A version is encoded and checksummed once: until the version changes (or a checkpoint
    /// is restored) every call returns the same frames, whose stamp is the `publishedAt` of the
    /// version's first publish — a republish (timer, broker reconnect) does not move it, so
    /// receipt minus stamp stays the latency since the version was available. Holds one
    /// encoded model (4 × `layout.count` bytes plus headers) until the next version.
    public func modelFrames(publishedAt: Double? = nil) -> [[UInt8]] {
        if let encodedModel, encodedModel.version == version { return counted(encodedModel.frames) }
        let frames = codec.model(model, version: version, publishedAt: publishedAt)
        modelEncodes += 1
        encodedModel = (version, frames)
        return counted(frames)
    }

    /// The frames `modelFrames` last made, counted as sent again: what a republish sends. They
    /// stay those of the last version published while newer versions wait for their checkpoint
    /// (`IntakeLoop.publicationHeld`). Nil before the first `modelFrames` and after a restore.
    public func lastModelFrames() -> [[UInt8]]? {
        encodedModel.map { counted($0.frames) }
    }

    /// Frames broadcasting the end of the run.
    public func stopFrames(reason: String) -> [[UInt8]] { counted(codec.stop(version: version, reason: reason)) }

    /// A metrics line for the current state.
    public func metricsRecord(wallTime: Double, evaluation: EvaluationResult?, version evaluatedVersion: UInt64? = nil) -> MetricsRecord {
        MetricsRecord(
            version: evaluatedVersion ?? version, wallTime: wallTime, testAccuracy: evaluation?.accuracy,
            testLoss: evaluation?.loss, updatesAccepted: counters.updatesAccepted, rejected: counters.rejected,
            updatesClipped: counters.updatesClipped,
            stalenessMean: counters.staleness.mean, stalenessHistogram: counters.staleness.buckets,
            bytesIn: counters.bytesIn, bytesOut: counters.bytesOut, liveTrainers: registry.liveCount,
            privacyEpsilon: privacySpent)
    }

    /// The trainer table at monotonic time `now` (ascending ids), for the live page and report.
    public func trainerRows(now: Double) -> [TrainerRow] {
        registry.records.values.sorted { $0.id < $1.id }.map {
            TrainerRow(record: $0, activity: activity[$0.id], shardSizes: configuration.shardSizes, now: now)
        }
    }

    private func counted(_ frames: [[UInt8]]) -> [[UInt8]] {
        counters.bytesOut += UInt64(frames.reduce(0) { $0 + $1.count })
        return frames
    }
}
