import FedMQAggregator
import FedMQProtocol
import FedMQTrainer
import Logging

/// One local federated run started by `fedmq run`: a broker, an aggregator and `trainers`
/// trainer processes on loopback, with their options. The defaults are the default job's,
/// taken from `AggregatorConfiguration.defaultJob` and `TrainerConfiguration.defaultJob`, which
/// the `aggregator` and `trainer` executables start from too: processes started by hand run
/// the same job.
public struct LaunchConfiguration: Sendable {
    /// Directory holding the `broker`, `aggregator` and `trainer` executables.
    public var executablesDirectory: String
    /// Where this run's metrics, report, checkpoints and logs go (created).
    public var outputDirectory: String

    // MARK: The job
    /// Number of trainer processes.
    public var trainers = AggregatorConfiguration.defaultJob.shardCount
    /// Aggregation mode.
    public var mode = AggregatorConfiguration.defaultJob.mode
    /// Partition of the training set into one shard per trainer.
    public var partition = AggregatorConfiguration.defaultJob.partition
    /// Model architecture.
    public var modelName = AggregatorConfiguration.defaultJob.modelName
    /// Run id.
    public var runID = AggregatorConfiguration.defaultJob.runID
    /// Seed for the model, partition and mini-batches.
    public var seed = AggregatorConfiguration.defaultJob.seed
    /// Directory of the Fashion-MNIST IDX files, passed to the aggregator and every trainer;
    /// nil leaves their default. (The children get no `FEDMQ_*` variable, not even `FEDMQ_DATA_DIR`.)
    public var dataDirectory: String? = nil

    // MARK: Stop conditions (at least one)
    /// Stop at this test accuracy in (0, 1]. (A hand-started aggregator has no stop condition
    /// by default: it serves until stopped.)
    public var targetAccuracy: Double? = 0.85
    /// Stop at this version.
    public var maxVersions: UInt64? = nil
    /// Stop after this many seconds.
    public var timeLimit: Double? = nil

    // MARK: Aggregator
    /// Buffered: updates per version (K).
    public var bufferSize = AggregatorConfiguration.defaultJob.bufferSize
    /// Sync: updates per round (M); nil = all trainers.
    public var roundSize: Int? = nil
    /// Async: base mixing rate α.
    public var alpha = AggregatorConfiguration.defaultJob.alpha
    /// Evaluate every N versions.
    public var evalEvery = AggregatorConfiguration.defaultJob.evalEvery

    // MARK: Trainers
    /// Local work per update.
    public var localWork = TrainerConfiguration.defaultJob.localWork
    /// Mini-batch size.
    public var batchSize = TrainerConfiguration.defaultJob.batchSize
    /// SGD learning rate.
    public var learningRate = TrainerConfiguration.defaultJob.learningRate
    /// SGD momentum.
    public var momentum = TrainerConfiguration.defaultJob.momentum
    /// FedProx μ.
    public var proximalMu = TrainerConfiguration.defaultJob.proximalMu
    /// Per-trainer slowdown factors, used in turn (trainer i gets `slowdowns[i % count]`); empty = all 1.
    public var slowdowns: [Double] = []
    /// Emulated device speed, seconds per step for every trainer (0 = off; see
    /// `TrainerConfiguration.stepTime`): stragglers then take `slowdown ×` this per step.
    public var stepTime = TrainerConfiguration.defaultJob.stepTime

    // MARK: Security
    /// Encrypt every connection with CURVE: fresh keys for the broker, the aggregator and each
    /// trainer in the run directory's `keys/`; the broker admits only those keys and the
    /// aggregator only the trainers'.
    public var curve = false

    // MARK: Processes
    /// Seconds children get to exit after the run ends or SIGTERM, before SIGKILL.
    public var gracePeriod = 5.0
    /// Log level passed to every child.
    public var logLevel: Logger.Level = .info
    /// Extra arguments appended to the aggregator's command line.
    public var aggregatorArguments: [String] = []
    /// Extra arguments appended to every trainer's command line.
    public var trainerArguments: [String] = []
    /// Every child serves Prometheus metrics on a free loopback port of its own (`--metrics-port`).
    public var exportMetrics = true

    public init(executablesDirectory: String, outputDirectory: String) {
        self.executablesDirectory = executablesDirectory
        self.outputDirectory = outputDirectory
    }

    /// Checks every value; the first problem is thrown.
    public func validate() throws(ConfigurationError) {
        func require(_ ok: Bool, _ message: String) throws(ConfigurationError) {
            if !ok { throw ConfigurationError(message) }
        }
        try require((1...256).contains(trainers), "trainers must be in 1…256, got \(trainers)")
        try partition.validate()
        try require(targetAccuracy != nil || maxVersions != nil || timeLimit != nil,
                    "give a stop condition: target accuracy, max versions or time limit")
        try require(targetAccuracy.map { $0 > 0 && $0 <= 1 } ?? true, "target accuracy must be in (0, 1]")
        try require(maxVersions.map { $0 >= 1 } ?? true, "max versions must be ≥ 1")
        try require(timeLimit.map { $0 > 0 } ?? true, "time limit must be > 0 seconds")
        try require(bufferSize >= 1, "buffer size must be ≥ 1")
        try require(roundSize.map { $0 >= 1 } ?? true, "round size must be ≥ 1")
        try require(alpha > 0 && alpha <= 1, "alpha must be in (0, 1]")
        try require(evalEvery >= 1, "evaluate at least every N ≥ 1 versions")
        try localWork.validate()
        try require(batchSize >= 1, "batch size must be ≥ 1")
        try require(learningRate > 0 && learningRate.isFinite, "learning rate must be > 0")
        try require(momentum >= 0 && momentum < 1, "momentum must be in [0, 1)")
        try require(proximalMu >= 0 && proximalMu.isFinite, "FedProx μ must be ≥ 0")
        try require(slowdowns.allSatisfy { $0 >= 1 && $0.isFinite }, "slowdowns must be ≥ 1")
        try require(stepTime >= 0 && stepTime.isFinite, "step time must be ≥ 0 seconds")
        try require(gracePeriod > 0, "grace period must be > 0 seconds")
    }

    /// Slowdown of trainer `index` (0-based).
    public func slowdown(ofTrainer index: Int) -> Double {
        slowdowns.isEmpty ? 1 : slowdowns[index % slowdowns.count]
    }
}
