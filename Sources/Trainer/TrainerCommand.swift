import ArgumentParser
import CommandSupport
import FedMQProtocol
import FedMQTrainer
import FedMQTransport
import Foundation
import Logging
import ServiceLifecycle
import TensorCore

@main
struct TrainerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trainer",
        abstract: "FedMQ trainer: trains the global model on local data and pushes deltas to the aggregator.",
        discussion: """
            Each option falls back to its environment variable, then to the default.

            The trainer subscribes to the broker's model channel (the broker replays the current model at once), learns the run id from it, registers on the control channel and gets a trainer id and a data shard (identical replicas need no numbering). It then repeatedly trains from the newest model it holds — local epochs or steps of SGD (+ momentum, + FedProx μ) — and pushes the delta (local − base) tagged with the base version, sample count and mean loss. Heartbeats go out every --heartbeat-interval seconds, also while training. An aggregator that does not know the trainer id (restarted without its checkpoint directory) answers a heartbeat with "unregistered"; the trainer then registers again under the same --identity and carries on.

            Encryption: --curve-server-key(-file) (the broker's public key) and --curve-secret-key(-file) (the trainer's own, from `fedmq keygen`) make all three connections CURVE clients. See docs/SECURITY.md.

            \(ModelHelp.grammar)

            It exits 0 when the aggregator broadcasts stop, and stops cleanly (goodbye) on SIGTERM/SIGINT. SIGHUP has nothing to reload: it is logged and ignored.
            """,
        version: FedMQVersion.current
    )

    @OptionGroup(title: "Broker") var broker: BrokerEndpointOptions<TrainerSide>

    @Option(help: "Stable identity: the same name always gets the same trainer id and shard. [env: FEDMQ_TRAINER_IDENTITY, default: <host>-<pid>]")
    var identity: String?

    @Option(help: "Run id to join. [env: FEDMQ_RUN_ID, default: learnt from the first model broadcast]")
    var runId: UInt64?

    @Option(help: "\(ModelHelp.option) It must match the aggregator's. [env: FEDMQ_MODEL, default: cnn]")
    var model: String?

    @Option(help: "Own training data: an MNIST-layout IDX directory or a CSV file (label,pixels…), used whole. [env: FEDMQ_DATA, default: the Fashion-MNIST training set cut into the shard assigned at registration]")
    var data: String?

    @Option(help: "Directory of the default dataset. [env: FEDMQ_DATA_DIR, default: /usr/share/datasets/fashion-mnist]")
    var dataDir: String?

    @Option(help: "Override the partition scheme handed out at registration. [env: FEDMQ_PARTITION]")
    var partition: PartitionScheme?

    @Option(help: "Use only the first N training samples before partitioning. [env: FEDMQ_SAMPLE_LIMIT, default: all]")
    var sampleLimit: Int?

    @Option(help: "Local epochs per update (exclusive with --local-steps). [env: FEDMQ_LOCAL_EPOCHS]")
    var localEpochs: Int?

    @Option(help: "Local mini-batch steps per update (exclusive with --local-epochs). [env: FEDMQ_LOCAL_STEPS, default: \(TrainerConfiguration.defaultJob.localWork)]")
    var localSteps: Int?

    @Option(help: "Mini-batch size in samples. [env: FEDMQ_BATCH_SIZE, default: 32]")
    var batchSize: Int?

    @Option(help: "SGD learning rate. [env: FEDMQ_LR, default: 0.05]")
    var lr: Float?

    @Option(help: "SGD momentum in [0, 1), reset every update. [env: FEDMQ_MOMENTUM, default: \(TrainerConfiguration.defaultJob.momentum)]")
    var momentum: Float?

    @Option(help: "FedProx μ: adds μ·(w − w_global) to every gradient; 0 is FedAvg. [env: FEDMQ_PROX_MU, default: 0]")
    var proxMu: Float?

    @Option(help: "Emulate a slower device: sleep (X − 1) × each step's compute time, or with --step-time make each step last X × that. [env: FEDMQ_SLOWDOWN, default: 1]")
    var slowdown: Double?

    @Option(help: "Emulate a device of fixed speed: each mini-batch step lasts at least this many seconds (the trainer sleeps the rest), whatever else shares the cores; 0 is the machine's speed. [env: FEDMQ_STEP_TIME, default: 0]")
    var stepTime: Double?

    @Option(help: "Seconds between heartbeats. [env: FEDMQ_HEARTBEAT_INTERVAL, default: 5]")
    var heartbeatInterval: Double?

    @Option(help: "Seconds to wait for a newer model after an update before training again from the same one; 0 trains continuously (async/buffered), inf once per version (sync). [env: FEDMQ_MODEL_WAIT, default: \(TrainerConfiguration.defaultJob.modelWait)]")
    var modelWait: Double?

    @Option(help: "Seed for the mini-batch order (combined with the trainer id). [env: FEDMQ_SEED, default: 0]")
    var seed: UInt64?

    @OptionGroup var curve: CurveClientOptions

    @Option(help: "Log level. [env: FEDMQ_LOG_LEVEL, default: info]")
    var logLevel: Logger.Level?

    @OptionGroup(title: "Metrics")
    var metrics: MetricsOptions

    mutating func validate() throws {
        _ = try makeConfiguration()
        _ = try resolvedLogLevel()
    }

    func run() async throws {
        let logger = ServiceCommand.logger(label: "fedmq.trainer", level: try resolvedLogLevel())
        let export = try metrics.export(logger: logger)
        let service = try TrainerService(configuration: try makeConfiguration(), metricsFactory: export?.factory, logger: logger)
        try await ServiceCommand.run(service, endsRunWhenDone: true, logger: logger, alongside: export.map { [$0.server] } ?? [])
    }

    /// Flags, else environment variables, else the default job (`TrainerConfiguration.defaultJob`); validated.
    private func makeConfiguration() throws -> TrainerConfiguration {
        let env = EnvironmentValues()
        var c = TrainerConfiguration.defaultJob
        (c.modelEndpoint, c.updateEndpoint, c.controlEndpoint) = try broker.endpoints(env)
        c.identity = identity ?? env.string("FEDMQ_TRAINER_IDENTITY")
        c.runID = try runId ?? env.value("FEDMQ_RUN_ID")
        c.modelName = model ?? env.string("FEDMQ_MODEL") ?? c.modelName
        c.data = TrainingDataSource(parsing: data ?? env.string("FEDMQ_DATA"))
        if case .fashionMNIST = c.data, let directory = dataDir ?? env.string("FEDMQ_DATA_DIR") {
            c.data = .fashionMNIST(directory: directory)
        }
        c.partition = try partition ?? env.value("FEDMQ_PARTITION")
        c.sampleLimit = try sampleLimit ?? env.value("FEDMQ_SAMPLE_LIMIT")
        c.localWork = try localWork(env) ?? c.localWork
        c.batchSize = try batchSize ?? env.value("FEDMQ_BATCH_SIZE") ?? c.batchSize
        c.learningRate = try lr ?? env.value("FEDMQ_LR") ?? c.learningRate
        c.momentum = try momentum ?? env.value("FEDMQ_MOMENTUM") ?? c.momentum
        c.proximalMu = try proxMu ?? env.value("FEDMQ_PROX_MU") ?? c.proximalMu
        c.slowdown = try slowdown ?? env.value("FEDMQ_SLOWDOWN") ?? c.slowdown
        c.stepTime = try stepTime ?? env.value("FEDMQ_STEP_TIME") ?? c.stepTime
        c.heartbeatInterval = try heartbeatInterval ?? env.value("FEDMQ_HEARTBEAT_INTERVAL") ?? c.heartbeatInterval
        c.modelWait = try modelWait ?? env.value("FEDMQ_MODEL_WAIT") ?? c.modelWait
        c.seed = try seed ?? env.value("FEDMQ_SEED") ?? c.seed
        try validating {
            c.curve = try curve.clientKeys(env)
            try c.validate()
        }
        return c
    }

    /// The local work from flags or variables; nil when none is given.
    private func localWork(_ env: EnvironmentValues) throws -> LocalWork? {
        let epochs = try localEpochs ?? (localSteps == nil ? env.value("FEDMQ_LOCAL_EPOCHS") : nil)
        let steps = try localSteps ?? (localEpochs == nil ? env.value("FEDMQ_LOCAL_STEPS") : nil)
        switch (epochs, steps) {
        case (let e?, nil): return .epochs(e)
        case (nil, let s?): return .steps(s)
        case (nil, nil): return nil
        case (_?, _?): throw ValidationError("give either --local-epochs or --local-steps, not both")
        }
    }

    private func resolvedLogLevel() throws -> Logger.Level {
        try ServiceCommand.logLevel(flag: logLevel)
    }
}
