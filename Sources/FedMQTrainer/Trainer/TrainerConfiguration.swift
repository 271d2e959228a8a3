import FedMQProtocol
import FedMQTransport
import Foundation
import TensorCore

/// Everything a trainer needs to run, with defaults for a local run against a broker on
/// `localhost` with the default ports.
public struct TrainerConfiguration: Sendable {
    // MARK: Broker endpoints (the broker's trainer-side ports)
    /// Where models and stop broadcasts arrive (broker XPUB, model-out), e.g. `tcp://broker:5556`.
    public var modelEndpoint = BrokerPorts.defaults.endpoint(host: "localhost", \.modelOut)
    /// Where updates are pushed (broker PULL, updates-in).
    public var updateEndpoint = BrokerPorts.defaults.endpoint(host: "localhost", \.updatesIn)
    /// Where control requests go (broker ROUTER, control-in).
    public var controlEndpoint = BrokerPorts.defaults.endpoint(host: "localhost", \.controlIn)
    /// CURVE: the broker's public key and this trainer's key pair, set on all three sockets
    /// (nil = plaintext).
    public var curve: CurveClientKeys? = nil

    // MARK: Identity and model
    /// Stable name sent at registration: the same identity gets back the same trainer id and
    /// shard. Nil: `<host name>-<process id>` (unique per process, stable across retries).
    public var identity: String? = nil
    /// The run to join. Nil: learnt from the first model broadcast (the broker replays the
    /// current model to every new subscriber).
    public var runID: UInt64? = nil
    /// Model architecture name ("cnn", "mlp"); must match the aggregator's.
    public var modelName = "cnn"

    // MARK: Data
    /// Where the training samples come from.
    public var data: TrainingDataSource = .fashionMNIST(directory: nil)
    /// Overrides the partition scheme handed out at registration (e.g. "labels:2"); only
    /// used with the default dataset. Nil: the aggregator's scheme.
    public var partition: PartitionScheme? = nil
    /// Use only the first N samples of the training set before partitioning (nil: all).
    public var sampleLimit: Int? = nil

    // MARK: Local work
    /// How much local training per update.
    public var localWork: LocalWork = .epochs(1)
    /// Mini-batch size, samples.
    public var batchSize = 32
    /// SGD learning rate.
    public var learningRate: Float = 0.05
    /// SGD momentum (0 = plain SGD). The momentum buffer restarts with every update.
    public var momentum: Float = 0
    /// FedProx proximal coefficient μ ≥ 0: adds μ·(w − w_global) to every gradient (0 = FedAvg).
    public var proximalMu: Float = 0
    /// Slowdown factor ≥ 1 emulating a slower device (1 = full speed). Without `stepTime`, each
    /// step is followed by a sleep of (X − 1) × its measured compute time; with `stepTime`, each
    /// step lasts X × `stepTime`.
    public var slowdown = 1.0
    /// Emulated device speed, seconds per mini-batch step (0 = off: run at the machine's speed).
    /// Step k of a round ends no sooner than k × `slowdown × stepTime` after the round's start
    /// (the trainer sleeps the rest), so every trainer keeps a fixed speed however many processes
    /// share the machine's cores.
    public var stepTime = 0.0

    // MARK: Timing
    /// Seconds between heartbeats (also sent while training, checked between batches).
    public var heartbeatInterval = 5.0
    /// Seconds to wait for a newer model after pushing an update before training again from
    /// the one held. 0: train continuously (async/buffered); `.infinity`: only ever train once
    /// per version (sync rounds). The wait grows while no newer model comes (`sameBaseWait`).
    public var modelWait = 10.0

    /// Seconds to wait for a newer model before training again on the base of the last
    /// `rounds` rounds: `modelWait` after the first, then doubling from at least 4 s up to
    /// 60 s (infinite stays infinite). While the aggregator publishes, a new base resets it;
    /// while it is stalled, trainers slow down instead of queueing near-identical updates.
    public func sameBaseWait(after rounds: Int) -> Double {
        guard rounds > 1, modelWait.isFinite else { return modelWait }
        return max(modelWait, min(60, 4 * Double(1 << min(rounds - 2, 4))))
    }
    /// Seconds between registration attempts while the aggregator does not answer.
    public var registerRetry = 2.0

    /// Seed for mini-batch order (combined with the trainer id).
    public var seed: UInt64 = 0

    public init() {}

    /// Checks every value; the first problem is thrown.
    public func validate() throws(ConfigurationError) {
        func require(_ ok: Bool, _ message: String) throws(ConfigurationError) {
            if !ok { throw ConfigurationError(message) }
        }
        for (name, endpoint) in [("model", modelEndpoint), ("update", updateEndpoint), ("control", controlEndpoint)] {
            try require(endpoint.contains("://"), "\(name) endpoint \"\(endpoint)\" is not a ZeroMQ endpoint like \(BrokerPorts.defaults.endpoint(host: "broker", \.modelOut))")
        }
        try require(identity.map { !$0.isEmpty && $0.utf8.count <= 256 } ?? true, "identity must be 1…256 bytes")
        do { _ = try ModelArchitecture.named(modelName) } catch { throw ConfigurationError((error as? ModelError)?.message ?? "\(error)", underlying: error) }
        try partition?.validate()
        try require(sampleLimit.map { $0 >= 1 } ?? true, "sample limit must be ≥ 1")
        try localWork.validate()
        try require(batchSize >= 1, "batch size must be ≥ 1, got \(batchSize)")
        try require(learningRate > 0 && learningRate.isFinite, "learning rate must be > 0, got \(learningRate)")
        try require(momentum >= 0 && momentum < 1, "momentum must be in [0, 1), got \(momentum)")
        try require(proximalMu >= 0 && proximalMu.isFinite, "FedProx μ must be ≥ 0, got \(proximalMu)")
        try require(slowdown >= 1 && slowdown.isFinite, "slowdown must be ≥ 1, got \(slowdown)")
        try require(stepTime >= 0 && stepTime.isFinite, "step time must be ≥ 0 seconds, got \(stepTime)")
        try require(heartbeatInterval > 0 && heartbeatInterval.isFinite,
                    "heartbeat interval must be a finite number of seconds > 0, got \(heartbeatInterval) (--heartbeat-interval; keep it well below the aggregator's --heartbeat-timeout, default 30)")
        try require(modelWait >= 0, "model wait must be ≥ 0 seconds, got \(modelWait) (--model-wait; 0 trains continuously, inf once per version)")
        try require(registerRetry > 0 && registerRetry.isFinite,
                    "register retry must be a finite number of seconds > 0, got \(registerRetry) (the wait between unanswered register requests)")
        try data.validate()
    }

    /// Throws when `heartbeatInterval` is not below the aggregator's heartbeat timeout (sent
    /// in `Registration.heartbeatTimeout`; nil from older aggregators passes): the aggregator
    /// would count this trainer gone between two heartbeats and refuse its updates.
    public func validate(aggregatorHeartbeatTimeout timeout: Double?) throws(ConfigurationError) {
        guard let timeout, heartbeatInterval >= timeout else { return }
        throw ConfigurationError(
            "--heartbeat-interval \(heartbeatInterval) is not below the aggregator's --heartbeat-timeout \(timeout) seconds: "
                + "the aggregator would count this trainer gone between heartbeats; use a --heartbeat-interval of at most "
                + "\(timeout / 3) or raise the aggregator's --heartbeat-timeout",
            code: "heartbeat_interval")
    }

    /// The identity actually sent: `identity`, or `<host name>-<process id>`.
    public var effectiveIdentity: String {
        identity ?? "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"
    }
}
