import AggregatorCommandSupport
import ArgumentParser
import CommandSupport
import FedMQAggregator
import FedMQMonitoring
import FedMQProtocol
import FedMQTransport
import Foundation
import Logging
import ServiceLifecycle
import TensorCore
import ZeroMQ

@main
struct AggregatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aggregator",
        abstract: "FedMQ aggregator: validates trainer updates, aggregates them (FedAvg, FedAsync or FedBuff) and publishes global models.",
        discussion: """
            Connects to the broker's aggregator-side ports: publishes models to model-in (\(BrokerPorts.defaults.modelIn)), pulls updates from updates-out (\(BrokerPorts.defaults.updatesOut)), answers control requests on control-out (\(BrokerPorts.defaults.controlOut)).

            Every option falls back to its FEDMQ_* environment variable, then to the default.

            Strategy values: staleness \(StalenessFunction.forms.joined(separator: " | ")); server optimizer \(ServerOptimizer.Rule.forms.joined(separator: " | ")); aggregator \(RobustAggregator.forms.joined(separator: " | ")); norm policy \(UpdateNormPolicy.forms.joined(separator: " | ")); partition \(PartitionScheme.forms.joined(separator: " | ")).

            Encryption: --curve-server-key(-file) (the broker's public key) and --curve-secret-key(-file) (the aggregator's own) make all three connections CURVE clients; the broker then attests each sender's public key, and --trainer-keys(-file) limits accepted updates and requests to listed trainers (others are rejected as unauthorized_key). See docs/SECURITY.md.

            \(ModelHelp.grammar)

            With --metrics-port the same HTTP server serves the live page at / (plots of accuracy, loss, throughput, staleness and rejections, and the trainer table, refreshed every 2 s; nothing fetched from elsewhere) and its state as JSON at /api/live.json.

            Resumes from the newest valid checkpoint in --checkpoint-dir. SIGTERM/SIGINT checkpoint and exit without ending the run; a stop condition (target accuracy, max versions, time limit) broadcasts stop to all trainers. SIGHUP re-reads --trainer-keys(-file) when one is given; otherwise it is logged and ignored.
            """,
        version: FedMQVersion.current
    )

    // Model and run
    @Option(help: "\(ModelHelp.option) [env: FEDMQ_MODEL, default: cnn, or none with --initial-model]") var model: String?
    @Option(help: "Safetensors file with the model's version-0 tensors, e.g. a PyTorch state_dict (safetensors.torch.save_file): the aggregator federates its tensor names and shapes, in the file's data order, without a Swift description; F16/BF16/F64 tensors become F32, integer tensors are refused. Without --model the server does not evaluate; with --model the file must hold exactly that model's tensors. [env: FEDMQ_INITIAL_MODEL]") var initialModel: String?
    @Option(help: "Run id carried in every message. [env: FEDMQ_RUN_ID, default: 1]") var runId: UInt64?
    @Option(help: "Seed for the initial model and the partition. [env: FEDMQ_SEED, default: 0]") var seed: UInt64?
    @Option(help: "Directory with the Fashion-MNIST IDX files (test split used for evaluation). [env: FEDMQ_DATA_DIR, default: /usr/share/datasets/fashion-mnist]") var dataDir: String?

    // Strategy
    @Option(help: "Aggregation mode. [env: FEDMQ_MODE, default: buffered]") var mode: AggregationMode?
    @Option(help: "sync: updates per round (capped by live trainers). [env: FEDMQ_ROUND_SIZE, default: \(AggregatorConfiguration.defaultJob.roundSize)]") var roundSize: Int?
    @Option(help: "sync: rounds wait until this many trainers have registered; after that they follow the live trainers. [env: FEDMQ_MIN_TRAINERS, default: 1]") var minTrainers: Int?
    @Option(help: "sync: seconds after which a round closes with what arrived; 0 waits forever. [env: FEDMQ_ROUND_DEADLINE, default: 60]") var roundDeadline: Double?
    @Option(help: "async: base mixing rate alpha in (0, 1]. [env: FEDMQ_ALPHA, default: 0.6]") var alpha: Double?
    @Option(help: "async: recent global versions kept to rebuild client models. [env: FEDMQ_HISTORY, default: 16]") var history: Int?
    @Option(help: "buffered: updates per new version (K). [env: FEDMQ_BUFFER_SIZE, default: 4]") var bufferSize: Int?
    @Option(help: "buffered: also weight deltas by sample count (true/false). [env: FEDMQ_WEIGHT_BY_SAMPLES, default: false]") var weightBySamples: Bool?
    @Option(help: "Server optimizer for sync/buffered. [env: FEDMQ_SERVER_OPTIMIZER, default: sgd:1]") var serverOptimizer: ServerOptimizer.Rule?
    @Option(help: "Combination of buffered deltas. [env: FEDMQ_AGGREGATOR, default: mean]") var aggregator: RobustAggregator?
    @Option(help: "Staleness function. [env: FEDMQ_STALENESS, default: poly:0.5]") var staleness: StalenessFunction?
    @Option(help: "Drop updates staler than this many versions. [env: FEDMQ_MAX_STALENESS, default: automatic: 10 + 4 × live trainers / updates per version]") var maxStaleness: UInt64?
    @Option(help: "Update norm bound policy. [env: FEDMQ_NORM_POLICY, default: none]") var normPolicy: UpdateNormPolicy?
    @OptionGroup(title: "Central differential privacy") var privacy: CentralPrivacyOptions
    @Option(help: "Largest update frame in bytes (ZMQ_MAXMSGSIZE of the update socket; bigger ones drop the connection). [env: FEDMQ_MAX_MESSAGE_BYTES, default: from the model: 8 × parameters + 128 KiB]") var maxMessageBytes: Int?

    // Trainers
    @Option(help: "Data shards handed to trainers. [env: FEDMQ_SHARDS, default: \(AggregatorConfiguration.defaultJob.shardCount)]") var shards: Int?
    @Option(help: "Partition scheme sent to trainers. [env: FEDMQ_PARTITION, default: \(AggregatorConfiguration.defaultJob.partition)]") var partition: PartitionScheme?
    @Option(help: "Samples in each shard, comma-separated, shard 0 first: shown in the live page's and the report's trainer table only (fedmq run computes them). [env: FEDMQ_SHARD_SIZES, default: unknown]") var shardSizes: String?
    @Option(help: "Seconds without heartbeat before a trainer counts as gone. [env: FEDMQ_HEARTBEAT_TIMEOUT, default: 30]") var heartbeatTimeout: Double?

    // Endpoints
    @OptionGroup(title: "Broker") var broker: BrokerEndpointOptions<AggregatorSide>
    @Option(help: "Seconds between re-publications of the current model (refills a restarted broker's cache). [env: FEDMQ_REPUBLISH_INTERVAL, default: 5]") var republishInterval: Double?

    // Evaluation, checkpoints, metrics
    @Option(help: "Evaluate on the test set every N versions; 0 never. [env: FEDMQ_EVAL_EVERY, default: \(AggregatorConfiguration.defaultJob.evalEvery)]") var evalEvery: UInt64?
    @Flag(help: "Federated evaluation: every --eval-every versions, ask the live trainers to evaluate the version on their own data and record the sample-weighted mean (metrics federatedAccuracy/federatedLoss); with no server evaluation it is what --target-accuracy reads. Trainers that do not answer are left out. [env: FEDMQ_FEDERATED_EVAL=true]") var federatedEval = false
    @Option(help: "Seconds a federated evaluation waits for the trainers' answers. [env: FEDMQ_FEDERATED_EVAL_TIMEOUT, default: 30]") var federatedEvalTimeout: Double?
    @Option(help: "Seconds to wait for the final model's evaluation when the run ends. [env: FEDMQ_FINAL_EVAL_TIMEOUT, default: 300]") var finalEvalTimeout: Double?
    @Option(help: "Checkpoint directory; none disables checkpoints. [env: FEDMQ_CHECKPOINT_DIR]") var checkpointDir: String?
    @Option(help: "Checkpoint every N versions; 1 keeps versions from going back after a crash (kill -9). [env: FEDMQ_CHECKPOINT_EVERY, default: 10]") var checkpointEvery: UInt64?
    @Option(help: "Checkpoints retained. [env: FEDMQ_KEEP_CHECKPOINTS, default: 3]") var keepCheckpoints: Int?
    @Flag(help: "If the checkpoint directory holds another run's or model's checkpoints (or ones written under another mode or server optimizer), move them into its archive/ folder and start a new run at version 0, instead of refusing to start. Nothing is deleted; checkpoints this configuration can resume are resumed. [env: FEDMQ_NEW_RUN=true]") var newRun = false
    @Flag(help: "Resume this run's checkpoints under another mode or server optimizer: keep the model and version, start the server optimizer's state afresh (the log says what is dropped). [env: FEDMQ_CHANGE_STRATEGY=true]") var changeStrategy = false
    @Option(help: "JSON-lines metrics file. [env: FEDMQ_METRICS]") var metrics: String?
    @Option(help: "HTML report written when the run ends (needs --metrics). [env: FEDMQ_REPORT]") var report: String?

    // Stop conditions
    @Option(help: "Stop when test accuracy reaches this fraction. [env: FEDMQ_TARGET_ACCURACY]") var targetAccuracy: Double?
    @Option(help: "Stop at this global version. [env: FEDMQ_MAX_VERSIONS]") var maxVersions: UInt64?
    @Option(help: "Stop after this many seconds. [env: FEDMQ_TIME_LIMIT]") var timeLimit: Double?

    // Security
    @OptionGroup var curve: CurveClientOptions
    @Option(help: "Comma-separated public keys of the trainers whose updates are accepted (needs CURVE). [env: FEDMQ_TRAINER_KEYS, default: any key the broker admits]") var trainerKeys: String?
    @Option(help: "File listing the allowed trainer keys, one per line, '#' comments (keygen's trainer_keys); SIGHUP re-reads the list (a removed key's messages are refused from then on). [env: FEDMQ_TRAINER_KEYS_FILE]") var trainerKeysFile: String?

    @Option(help: "Log level. [env: FEDMQ_LOG_LEVEL, default: info]") var logLevel: Logger.Level?

    @OptionGroup(title: "Prometheus metrics") var prometheus: MetricsOptions

    mutating func validate() throws {
        let configuration = try makeConfiguration()
        try validating {
            let model = try resolvedModel(configuration)
            try configuration.validate(layout: model.layout, outputClasses: model.outputClasses)
            if model.architecture == nil, configuration.targetAccuracy != nil, !configuration.federatedEvaluation {
                throw ConfigurationError("--target-accuracy needs an evaluation, and a model from --initial-model alone has none at the server; add --federated-eval (the trainers evaluate), or give --model too when the Swift tensor core can run it")
            }
        }
        _ = try resolvedLogLevel()
    }

    /// The model to federate: `--model`, `--initial-model`, or both (they must agree).
    private func resolvedModel(_ configuration: AggregatorConfiguration) throws(ConfigurationError) -> AggregatorModel {
        let env = EnvironmentValues()
        return try AggregatorModel.resolve(
            architectureName: model ?? env.string("FEDMQ_MODEL"),
            initialModel: initialModel ?? env.string("FEDMQ_INITIAL_MODEL"), seed: configuration.seed)
    }

    func run() async throws {
        let logger = ServiceCommand.logger(label: "fedmq.aggregator", level: try resolvedLogLevel())
        let files = FileDescriptorLimit.raiseToHardLimit()
        logger.info("open-file limit", metadata: ["soft": "\(files.soft)", "hard": "\(files.hard)"])
        var configuration = try makeConfiguration()
        let initial = try resolvedModel(configuration)
        if !initial.converted.isEmpty {
            logger.notice("initial model: tensors converted to F32", metadata: [
                "tensors": "\(initial.converted.sorted { $0.key < $1.key }.map { "\($0.key) (\($0.value))" }.joined(separator: ", "))"])
        }
        var evaluator: (any ModelEvaluator)?
        if let path = initialModel ?? EnvironmentValues().string("FEDMQ_INITIAL_MODEL"), initial.architecture == nil {
            configuration.modelName = "\(path.split(separator: "/").last.map(String.init) ?? path) (initial model, \(initial.layout.parameters.count) tensors)"
            logger.notice("no Swift architecture for the initial model: the server does not evaluate", metadata: [
                "file": "\(path)", "tensors": "\(initial.layout.parameters.count)", "parameters": "\(initial.layout.count)"])
        }
        if let architecture = initial.architecture, configuration.evalEvery > 0 {
            let directory = dataDir ?? EnvironmentValues().string("FEDMQ_DATA_DIR") ?? "/usr/share/datasets/fashion-mnist"
            let testSet = try Dataset.loadIDX(directory: directory, split: .test)
            logger.info("test set loaded", metadata: ["samples": "\(testSet.count)", "directory": "\(directory)"])
            evaluator = TestSetEvaluator(architecture: architecture, testSet: testSet)
        }
        // The metrics server also serves the live page (/, /api/live.html, /api/live.json).
        let live = LiveFeed(title: AggregatorService.title(configuration))
        let pages = LivePage.endpoints(live).map { page in HTTPRoute(path: page.path, contentType: page.contentType) { page.body() } }
        let export = try prometheus.export(routes: pages, logger: logger)
        let service = try AggregatorService(
            configuration: configuration, layout: initial.layout, initialWeights: initial.weights,
            evaluator: evaluator, live: live, metricsFactory: export?.factory, logger: logger)
        // The service returns on its own when a stop condition ends the run: that is success.
        let (inline, file) = (trainerKeys, trainerKeysFile)
        let reload: (@Sendable () async -> Void)? = configuration.allowedTrainerKeys == nil ? nil : { @Sendable in
            Self.reloadTrainerKeys(inline: inline, file: file, of: service, logger: logger)
        }
        try await ServiceCommand.run(service, endsRunWhenDone: true, logger: logger, onHangup: reload,
                                     alongside: export.map { [$0.server] } ?? [])
    }

    /// SIGHUP: reads the trainer key list again (flag, file or `FEDMQ_TRAINER_KEYS(_FILE)`); a list
    /// that does not read or parse leaves the one in force unchanged.
    private static func reloadTrainerKeys(inline: String?, file: String?, of service: AggregatorService, logger: Logger) {
        do {
            service.reloadTrainerKeys(try readTrainerKeys(inline: inline, file: file, EnvironmentValues()))
        } catch {
            logger.error("SIGHUP: trainer keys not reloaded, the previous ones stay in force", metadata: ["error": "\(error)"])
        }
    }

    /// The allowed trainer keys from `--trainer-keys`, `--trainer-keys-file` or
    /// `FEDMQ_TRAINER_KEYS(_FILE)`; nil when none is given. Read at start and on SIGHUP.
    private static func readTrainerKeys(inline: String?, file: String?, _ env: EnvironmentValues) throws -> Set<CurveKey>? {
        let list = try env.valueOrFile(inline, file: file, variable: "FEDMQ_TRAINER_KEYS")
        return try list.map { try CurveKeyList.keys($0, what: "--trainer-keys") }
    }

    /// Options, else FEDMQ_* variables, else the default job (`AggregatorConfiguration.defaultJob`); validated.
    private func makeConfiguration() throws -> AggregatorConfiguration {
        let env = EnvironmentValues()
        var c = AggregatorConfiguration.defaultJob
        c.modelName = model ?? env.string("FEDMQ_MODEL") ?? c.modelName
        c.runID = try runId ?? env.value("FEDMQ_RUN_ID") ?? c.runID
        c.seed = try seed ?? env.value("FEDMQ_SEED") ?? c.seed
        c.mode = try mode ?? env.value("FEDMQ_MODE") ?? c.mode
        c.roundSize = try roundSize ?? env.value("FEDMQ_ROUND_SIZE") ?? c.roundSize
        c.minTrainers = try minTrainers ?? env.value("FEDMQ_MIN_TRAINERS") ?? c.minTrainers
        if let deadline = try roundDeadline ?? env.value("FEDMQ_ROUND_DEADLINE", as: Double.self) {
            c.roundDeadline = deadline == 0 ? nil : deadline
        }
        c.alpha = try alpha ?? env.value("FEDMQ_ALPHA") ?? c.alpha
        c.history = try history ?? env.value("FEDMQ_HISTORY") ?? c.history
        c.bufferSize = try bufferSize ?? env.value("FEDMQ_BUFFER_SIZE") ?? c.bufferSize
        c.weightBySamples = try weightBySamples ?? env.value("FEDMQ_WEIGHT_BY_SAMPLES") ?? c.weightBySamples
        c.optimizer = try serverOptimizer ?? env.value("FEDMQ_SERVER_OPTIMIZER") ?? c.optimizer
        c.aggregator = try aggregator ?? env.value("FEDMQ_AGGREGATOR") ?? c.aggregator
        c.staleness = try staleness ?? env.value("FEDMQ_STALENESS") ?? c.staleness
        c.maxStaleness = try maxStaleness ?? env.value("FEDMQ_MAX_STALENESS") ?? c.maxStaleness
        c.normPolicy = try normPolicy ?? env.value("FEDMQ_NORM_POLICY") ?? c.normPolicy
        c.maxMessageBytes = try maxMessageBytes ?? env.value("FEDMQ_MAX_MESSAGE_BYTES") ?? c.maxMessageBytes
        c.shardCount = try shards ?? env.value("FEDMQ_SHARDS") ?? c.shardCount
        c.partition = try partition ?? env.value("FEDMQ_PARTITION") ?? c.partition
        if let sizes = shardSizes ?? env.string("FEDMQ_SHARD_SIZES") {
            c.shardSizes = try sizes.split(separator: ",").map { (word: Substring) throws -> Int in
                guard let n = Int(word.trimmingCharacters(in: .whitespaces)) else {
                    throw ValidationError("--shard-sizes must be numbers like 7000,6500, got '\(sizes)'")
                }
                return n
            }
        }
        c.heartbeatTimeout = try heartbeatTimeout ?? env.value("FEDMQ_HEARTBEAT_TIMEOUT") ?? c.heartbeatTimeout
        (c.modelEndpoint, c.updateEndpoint, c.controlEndpoint) = try broker.endpoints(env)
        c.republishInterval = try republishInterval ?? env.value("FEDMQ_REPUBLISH_INTERVAL") ?? c.republishInterval
        c.evalEvery = try evalEvery ?? env.value("FEDMQ_EVAL_EVERY") ?? c.evalEvery
        c.federatedEvaluation = try federatedEval || (env.value("FEDMQ_FEDERATED_EVAL", as: Bool.self) ?? false)
        c.federatedEvaluationTimeout = try federatedEvalTimeout ?? env.value("FEDMQ_FEDERATED_EVAL_TIMEOUT") ?? c.federatedEvaluationTimeout
        c.finalEvaluationTimeout = try finalEvalTimeout ?? env.value("FEDMQ_FINAL_EVAL_TIMEOUT") ?? c.finalEvaluationTimeout
        c.checkpointDirectory = checkpointDir ?? env.string("FEDMQ_CHECKPOINT_DIR")
        c.checkpointEvery = try checkpointEvery ?? env.value("FEDMQ_CHECKPOINT_EVERY") ?? c.checkpointEvery
        c.keepCheckpoints = try keepCheckpoints ?? env.value("FEDMQ_KEEP_CHECKPOINTS") ?? c.keepCheckpoints
        c.startNewRun = try newRun || (env.value("FEDMQ_NEW_RUN", as: Bool.self) ?? false)
        c.allowStrategyChange = try changeStrategy || (env.value("FEDMQ_CHANGE_STRATEGY", as: Bool.self) ?? false)
        c.metricsPath = metrics ?? env.string("FEDMQ_METRICS")
        c.reportPath = report ?? env.string("FEDMQ_REPORT")
        c.targetAccuracy = try targetAccuracy ?? env.value("FEDMQ_TARGET_ACCURACY")
        c.maxVersions = try maxVersions ?? env.value("FEDMQ_MAX_VERSIONS")
        c.timeLimit = try timeLimit ?? env.value("FEDMQ_TIME_LIMIT")
        c.centralPrivacy = try privacy.configuration(env, maxVersions: c.maxVersions, seed: c.seed)
        try validating {
            c.curve = try curve.clientKeys(env)
            c.allowedTrainerKeys = try Self.readTrainerKeys(inline: trainerKeys, file: trainerKeysFile, env)
            try c.validate()
        }
        if c.reportPath != nil && c.metricsPath == nil {
            throw ValidationError("--report needs --metrics (the report is drawn from the metrics file)")
        }
        return c
    }

    private func resolvedLogLevel() throws -> Logger.Level {
        try ServiceCommand.logLevel(flag: logLevel)
    }
}
