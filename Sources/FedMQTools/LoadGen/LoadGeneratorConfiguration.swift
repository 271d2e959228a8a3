import FedMQProtocol
import FedMQTransport

/// Settings of `LoadGenerator`: how many simulated trainers, where the broker is, how often
/// each sends an update and for how long.
public struct LoadGeneratorConfiguration: Sendable {
    /// Simulated trainers, each with its own SUB, PUSH and DEALER sockets and identity.
    public var trainers = 10
    /// Model architecture name (the update size follows): "cnn" (87 KB) or "mlp" (797 KB).
    public var modelName = "cnn"
    /// Broker model-out (XPUB) endpoint.
    public var modelEndpoint = BrokerPorts.defaults.endpoint(host: "localhost", \.modelOut)
    /// Broker updates-in (PULL) endpoint.
    public var updateEndpoint = BrokerPorts.defaults.endpoint(host: "localhost", \.updatesIn)
    /// Broker control-in (ROUTER) endpoint.
    public var controlEndpoint = BrokerPorts.defaults.endpoint(host: "localhost", \.controlIn)
    /// Run id; nil learns it from the first model broadcast, as trainers do.
    public var runID: UInt64?
    /// Seconds between two updates of one trainer (its simulated training time); the first
    /// comes after a seeded random fraction of it, so the trainers do not send in lockstep.
    public var updateInterval = 1.0
    /// Seconds of measurement once every trainer has registered and holds a model.
    public var duration = 10.0
    /// Seconds allowed for every trainer to register and receive a model.
    public var setupTimeout = 60.0
    /// Seconds between heartbeats of one trainer.
    public var heartbeatInterval = 5.0
    /// Threads that drive the trainers (each polls its share of the sockets).
    public var threads = 2
    /// Seed of the update values and send times.
    public var seed: UInt64 = 0
    /// Prefix of the trainers' identities (`<prefix>-<index>`); make it unique per run
    /// against the same aggregator, whose registry remembers identities and sequences.
    public var identityPrefix = "loadgen"
    /// CURVE client keys shared by every simulated trainer (nil: plaintext), to measure an
    /// encrypting broker; the broker and aggregator must admit the key pair's public key.
    public var curve: CurveClientKeys? = nil
    /// Processes whose resident memory is sampled during the run (name, pid).
    public var watchedProcesses: [(name: String, pid: Int32)] = []

    public init() {}

    /// Rejects out-of-range values.
    public func validate() throws(ConfigurationError) {
        func require(_ ok: Bool, _ message: String) throws(ConfigurationError) {
            if !ok { throw ConfigurationError(message) }
        }
        try require((1...100_000).contains(trainers), "trainers must be in 1…100000, got \(trainers)")
        try require(updateInterval > 0, "update interval must be > 0 seconds")
        try require(duration > 0, "duration must be > 0 seconds")
        try require(setupTimeout > 0, "setup timeout must be > 0 seconds")
        try require(heartbeatInterval > 0, "heartbeat interval must be > 0 seconds")
        try require((1...64).contains(threads), "threads must be in 1…64, got \(threads)")
        try require(!identityPrefix.isEmpty, "identity prefix is empty")
        for (name, endpoint) in [("model", modelEndpoint), ("update", updateEndpoint), ("control", controlEndpoint)] {
            try require(endpoint.contains("://"), "\(name) endpoint \"\(endpoint)\" is not a ZeroMQ endpoint like \(BrokerPorts.defaults.endpoint(host: "broker", \.modelOut))")
        }
    }
}
