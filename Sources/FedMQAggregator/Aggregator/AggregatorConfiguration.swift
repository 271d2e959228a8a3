import FedMQProtocol
import FedMQTransport
import SafeTensorsFormat
import ZeroMQ

/// Everything the aggregator needs to run, with defaults for a local run.
public struct AggregatorConfiguration: Sendable {
    /// Model architecture name, e.g. "cnn" or "mlp".
    public var modelName = "cnn"
    /// Run id carried by every message; messages of other runs are rejected.
    public var runID: UInt64 = 1
    /// Seed for model initialisation and partitions.
    public var seed: UInt64 = 0

    // MARK: Strategy
    public var mode: AggregationMode = .buffered
    /// Sync: updates per round (M), capped by the number of live trainers.
    public var roundSize = 4
    /// Sync: rounds wait until this many trainers have registered (a start gate, like
    /// Flower's `min_available_clients`; trainers learn the run id from the published model,
    /// so the model itself is published at once). Once reached (a restored registry counts),
    /// rounds follow the live trainers, so a trainer that dies later does not stall them.
    public var minTrainers = 1
    /// Sync: seconds after which a round closes with what arrived (nil = wait for M).
    public var roundDeadline: Double? = 60
    /// Async: base mixing rate α ∈ (0, 1].
    public var alpha = 0.6
    /// Async: how many recent global versions are kept to rebuild x_client.
    public var history = 16
    /// Buffered: updates per new version (K).
    public var bufferSize = 4
    /// Buffered: weight deltas by sample count as well as staleness.
    public var weightBySamples = false
    /// Server optimizer (sync and buffered): `sgd:<lr>`, `momentum:<lr>,<β>`, `adam:<lr>[,β1,β2,ε]`.
    public var optimizer: ServerOptimizer.Rule = .sgd(lr: 1)
    /// Combination of buffered deltas: `mean`, `median`, `trimmed:<f>`.
    public var aggregator: RobustAggregator = .mean
    /// Staleness function: `const`, `poly:<a>`, `hinge:<a>,<b>`, `sqrt`.
    public var staleness: StalenessFunction = .polynomial(a: 0.5)
    /// Updates staler than this are dropped (nil = `AggregatorEngine.automaticStalenessLimit`).
    public var maxStaleness: UInt64? = nil
    /// Update norm policy: `none`, `reject:<bound>`, `clip:<bound>`.
    public var normPolicy: UpdateNormPolicy = .unbounded
    /// `ZMQ_MAXMSGSIZE` of the update socket in bytes: a bigger frame makes libzmq drop the
    /// connection (to the broker, which reconnects). nil = `MessageSizeLimit.messageBytes(for:)`
    /// of the model. The control socket always takes `MessageSizeLimit.controlMessageBytes`.
    public var maxMessageBytes: Int? = nil
    /// Bytes of updates the update socket queues while the intake is busy or paused (the
    /// high-water mark in messages follows from the model's size).
    public var updateQueueBytes = MessageSizeLimit.defaultUpdateQueueBytes

    // MARK: Trainers
    /// Data shards handed out at registration.
    public var shardCount = 4
    /// Partition scheme sent to trainers (as its `description` in `Registration`).
    public var partition: PartitionScheme = .iid
    /// Samples in each shard, for the trainer table of the live page and the report only
    /// (nil = unknown; trainers cut their shards themselves).
    public var shardSizes: [Int]? = nil
    /// Seconds without heartbeat before a trainer is considered gone.
    public var heartbeatTimeout = 30.0
    /// Reject updates from trainer ids that never registered.
    public var requireRegistration = true

    // MARK: Endpoints (the broker's aggregator-side ports)
    /// Where models are published (broker XSUB, model-in).
    public var modelEndpoint = BrokerPorts.defaults.endpoint(host: "localhost", \.modelIn)
    /// Where updates are pulled (broker PUSH, updates-out).
    public var updateEndpoint = BrokerPorts.defaults.endpoint(host: "localhost", \.updatesOut)
    /// Where control requests arrive (broker DEALER, control-out).
    public var controlEndpoint = BrokerPorts.defaults.endpoint(host: "localhost", \.controlOut)
    /// Seconds between re-publications of the current model (late joiners, lost messages).
    public var republishInterval = 5.0

    // MARK: Security
    /// CURVE: the broker's public key and the aggregator's key pair (nil = plaintext). With
    /// CURVE the broker appends each sender's public key to every update and control request;
    /// the aggregator reads it (see docs/SECURITY.md).
    public var curve: CurveClientKeys? = nil
    /// Public keys of the trainers whose updates and requests are accepted (needs `curve`);
    /// others are rejected as `unauthorized_key`. Nil: any key the broker admitted.
    public var allowedTrainerKeys: Set<CurveKey>? = nil

    // MARK: Evaluation, checkpoints, metrics
    /// Evaluate on the test set every N new versions (0 = never).
    public var evalEvery: UInt64 = 5
    /// Ask the trainers to evaluate every `evalEvery`-th version on their local data (the
    /// `evaluate` request) and record the sample-weighted mean as federated evaluation.
    public var federatedEvaluation = false
    /// Seconds a federated evaluation waits for the trainers' answers.
    public var federatedEvaluationTimeout = 30.0
    /// Seconds to wait for the evaluation of the final model when the run ends.
    public var finalEvaluationTimeout = 300.0
    /// Checkpoint directory (nil = no checkpoints).
    public var checkpointDirectory: String? = nil
    /// Checkpoint every N new versions.
    public var checkpointEvery: UInt64 = 10
    /// Checkpoints retained.
    public var keepCheckpoints = 3
    /// Start a new run even though `checkpointDirectory` holds checkpoints of another run or
    /// model: they are moved aside into `archive/` there, never deleted (see `CheckpointAdmission`).
    public var startNewRun = false
    /// Resume this run's checkpoints under another mode or server optimizer: the model and
    /// version are kept, the server optimizer's state starts afresh (and the log says so).
    public var allowStrategyChange = false
    /// JSON-lines metrics file (nil = none).
    public var metricsPath: String? = nil
    /// HTML report written at the end (nil = none).
    public var reportPath: String? = nil

    /// Central differential privacy (nil: off): clipping, one update per trainer per version,
    /// Gaussian noise on each version's sum, an accountant (see `CentralPrivacy`).
    public var centralPrivacy: CentralPrivacy? = nil

    /// The norm policy in force: central DP clips every update to its norm (a tighter
    /// `reject:`/`clip:` bound given as well is kept).
    public var effectiveNormPolicy: UpdateNormPolicy {
        guard let bound = centralPrivacy?.clipNorm else { return normPolicy }
        switch normPolicy {
        case .clip(let b) where b <= bound: return normPolicy
        case .reject(let b) where b <= bound: return normPolicy
        default: return .clip(to: bound)
        }
    }

    // MARK: Stop conditions
    /// Stop when test accuracy reaches this fraction.
    public var targetAccuracy: Double? = nil
    /// Stop at this global version.
    public var maxVersions: UInt64? = nil
    /// Stop after this many seconds.
    public var timeLimit: Double? = nil

    public init() {}

    /// Checks every value. The strategy values go through their parsers once more (their
    /// `description` reads back), so values built in code get the same range checks as text.
    public func validate() throws(ConfigurationError) {
        _ = try StalenessFunction(parsing: staleness.description)
        _ = try ServerOptimizer.Rule(parsing: optimizer.description)
        _ = try RobustAggregator(parsing: aggregator.description)
        _ = try UpdateNormPolicy(parsing: normPolicy.description)
        try partition.validate()
        func require(_ ok: Bool, _ message: String) throws(ConfigurationError) {
            if !ok { throw ConfigurationError(message) }
        }
        try require(!modelName.isEmpty, "model name is empty")
        try require(roundSize >= 1, "round size must be ≥ 1, got \(roundSize) (--round-size)")
        try require(roundDeadline.map { $0 > 0 && $0.isFinite } ?? true,
                    "round deadline must be a finite number of seconds > 0, got \(roundDeadline ?? 0) (--round-deadline; 0 on the command line waits for the whole round)")
        try require(alpha > 0 && alpha <= 1, "alpha must be in (0, 1], got \(alpha) (--alpha)")
        try require(maxMessageBytes.map { $0 > 0 } ?? true, "max message bytes must be > 0 (--max-message-bytes; leave it unset for the model's default)")
        try require(updateQueueBytes > 0, "update queue bytes must be > 0, got \(updateQueueBytes) (--update-queue-bytes)")
        try require(history >= 1 && history <= 4096, "history must be in 1…4096, got \(history) (--history)")
        try require(bufferSize >= 1, "buffer size must be ≥ 1, got \(bufferSize) (--buffer-size)")
        try require(shardCount >= 1, "shard count must be ≥ 1, got \(shardCount) (--shards)")
        try require(shardSizes.map { $0.count == shardCount && $0.allSatisfy { $0 >= 0 } } ?? true,
                    "shard sizes must be \(shardCount) numbers ≥ 0, one per shard, got \(shardSizes ?? []) (--shard-sizes)")
        try require(minTrainers >= 1, "min trainers must be ≥ 1, got \(minTrainers) (--min-trainers)")
        try require(heartbeatTimeout > 0 && heartbeatTimeout.isFinite,
                    "heartbeat timeout must be a finite number of seconds > 0, got \(heartbeatTimeout) (--heartbeat-timeout; keep it several times the trainers' --heartbeat-interval, default 5)")
        try require(republishInterval > 0 && republishInterval.isFinite,
                    "republish interval must be a finite number of seconds > 0, got \(republishInterval) (--republish-interval; a restarted broker's cache is refilled only by a republication)")
        try require(finalEvaluationTimeout >= 0 && finalEvaluationTimeout.isFinite,
                    "final evaluation timeout must be a finite number of seconds ≥ 0, got \(finalEvaluationTimeout) (--final-eval-timeout)")
        try require(federatedEvaluationTimeout > 0 && federatedEvaluationTimeout.isFinite,
                    "federated evaluation timeout must be a finite number of seconds > 0, got \(federatedEvaluationTimeout) (--federated-eval-timeout)")
        try require(!federatedEvaluation || evalEvery > 0, "federated evaluation needs --eval-every > 0 (which versions to evaluate)")
        try require(checkpointEvery >= 1, "checkpoint interval must be ≥ 1 version (--checkpoint-every)")
        try require(keepCheckpoints >= 1, "keep at least one checkpoint (--keep-checkpoints)")
        try require(targetAccuracy.map { $0 > 0 && $0 <= 1 } ?? true, "target accuracy must be in (0, 1], got \(targetAccuracy ?? 0) (--target-accuracy)")
        try require(timeLimit.map { $0 > 0 && $0.isFinite } ?? true, "time limit must be a finite number of seconds > 0, got \(timeLimit ?? 0) (--time-limit; leave it unset for none)")
        try require(allowedTrainerKeys == nil || curve != nil, "an allowed-trainer key list needs CURVE (the broker's key and the aggregator's secret key)")
        try centralPrivacy?.validate(mode: mode, aggregator: aggregator, weightBySamples: weightBySamples)
        for (name, endpoint) in [("model", modelEndpoint), ("update", updateEndpoint), ("control", controlEndpoint)] {
            try require(endpoint.contains("://"), "\(name) endpoint \"\(endpoint)\" is not a ZeroMQ endpoint like \(BrokerPorts.defaults.endpoint(host: "broker", \.modelIn))")
        }
    }

    /// Checks the values that depend on the model, as well as `validate()`'s: an explicit
    /// `maxMessageBytes` must let the model's updates through (libzmq drops a bigger frame with
    /// the connection, so updates would vanish without a rejection), and the partition must
    /// not need more classes than the model tells apart.
    /// - Parameters:
    ///   - layout: the model's parameter layout.
    ///   - outputClasses: the size of the model's output (its last layer), nil if unknown.
    public func validate(layout: ParameterLayout, outputClasses: Int?) throws(ConfigurationError) {
        try validate()
        let needed = MessageSizeLimit.messageBytes(for: layout)
        if let maxMessageBytes, maxMessageBytes < needed {
            throw ConfigurationError(
                "--max-message-bytes \(maxMessageBytes) is smaller than the \(needed) bytes an update of model \(modelName) "
                    + "(\(layout.count) parameters) may take: updates would be dropped with their connection, never "
                    + "rejected; raise it to at least \(needed) or leave it unset",
                code: "max_message_bytes")
        }
        if let outputClasses { try partition.check(classCount: outputClasses, source: "model \(modelName)'s output layer") }
    }

    /// A one-line description for logs and checkpoints, e.g. "buffered K=4 poly:0.5 sgd:1 mean".
    /// The server optimizer whose state a checkpoint keeps: `optimizer` in sync and buffered
    /// mode, nil in async mode (no server optimizer).
    public var checkpointedOptimizer: String? {
        mode == .async ? nil : "\(optimizer)"
    }

    public var strategyDescription: String {
        switch mode {
        case .sync: "sync M=\(roundSize) \(optimizer) \(aggregator)"
        case .async: "async α=\(alpha) \(staleness)"
        case .buffered: "buffered K=\(bufferSize) \(staleness) \(optimizer) \(aggregator)"
        }
    }

    /// Builds the configured strategy starting from `model` at `version`.
    public func makeStrategy(model: [Float], version: UInt64 = 0) throws(ConfigurationError) -> any AggregationStrategy {
        try validate()
        let policy = StalenessPolicy(function: staleness, maxStaleness: maxStaleness)
        switch mode {
        case .sync:
            return SyncFedAvg(model: model, version: version, roundSize: roundSize, deadline: roundDeadline,
                              optimizer: optimizer, aggregator: aggregator, privacy: centralPrivacy)
        case .async:
            return FedAsync(model: model, version: version, alpha: alpha, staleness: policy, history: history)
        case .buffered:
            return FedBuff(model: model, version: version, bufferSize: bufferSize, staleness: policy,
                           weightBySamples: weightBySamples, optimizer: optimizer, aggregator: aggregator,
                           privacy: centralPrivacy)
        }
    }
}
