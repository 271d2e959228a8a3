import FedMQProtocol
import FedMQTransport
import ZeroMQ

/// Everything the broker needs to start; the defaults suit a single-host deployment.
///
/// High-water marks (messages queued per peer before libzmq drops (PUB/XPUB) or blocks
/// (PUSH/DEALER)):
/// - model channel: small (default 4) — models are large and each one supersedes the
///   previous, so queueing many stale models only wastes memory; late subscribers are served
///   from the last-value cache anyway;
/// - update channel: larger (default 256) — every update carries training work that
///   should not be lost while the aggregator is briefly busy;
/// - control channel: libzmq's default 1000 — requests are tiny.
public struct BrokerConfiguration: Sendable {
    /// Interface to bind: `"*"` for all, or an address/host such as `"127.0.0.1"`.
    public var bindHost = "*"
    /// The TCP ports of the three channels.
    public var ports = BrokerPorts()
    /// Send/receive high-water mark of the model channel sockets, in messages.
    public var modelHighWaterMark = 4
    /// High-water mark of the update channel toward the aggregator, in messages, when the
    /// model's size is unknown (`modelParameters` nil); with it, `updateQueueBytes` sets it.
    public var updateHighWaterMark = 256
    /// Bytes of updates the update channel holds toward the aggregator when `modelParameters`
    /// is known (see `MessageSizeLimit.queueMessages`).
    public var updateQueueBytes = MessageSizeLimit.defaultUpdateQueueBytes
    /// Updates held per trainer connection on the trainers' side of the update channel: a
    /// trainer has one update in flight, so a stalled aggregator backs up into the trainers
    /// (which then wait) instead of into the broker's memory.
    public var updatesPerTrainer = 2
    /// Float32 parameters of the run's model, when known: sizes the update queue in bytes.
    public var modelParameters: Int? = nil

    /// The update channel's high-water mark toward the aggregator, in messages.
    public var effectiveUpdateHighWaterMark: Int {
        modelParameters.map { MessageSizeLimit.queueMessages(bytes: updateQueueBytes, parameterCount: $0) }
            ?? updateHighWaterMark
    }
    /// Send/receive high-water mark of the control channel sockets, in messages.
    public var controlHighWaterMark = 1000
    /// Largest inbound frame in bytes on the sockets that carry models and updates
    /// (`ZMQ_MAXMSGSIZE`); a peer that sends a bigger one is disconnected by libzmq (it
    /// reconnects by itself) and the message is never forwarded. `nil` = no limit. Set it from
    /// the model with `MessageSizeLimit.messageBytes(for:)`; the default suits any model.
    public var maxMessageSize: Int? = 1 << 30
    /// Largest inbound frame in bytes on the sockets that carry only control messages or
    /// subscriptions (control in/out, model out).
    public var maxControlMessageSize: Int? = MessageSizeLimit.controlMessageBytes
    /// If set, every broker socket is a CURVE server with this secret key: traffic is
    /// encrypted, and every update and control request is forwarded to the aggregator with
    /// one extra last frame holding the sender's Z85 public key (see docs/SECURITY.md).
    public var curveSecretKey: CurveKey?
    /// If set (with `curveSecretKey`), only clients with these public keys may connect
    /// (checked by a ZAP handler); nil admits any CURVE client. Include the aggregator's key
    /// unless `aggregatorKeys` is set.
    public var allowedClientKeys: Set<CurveKey>?
    /// If set (with `curveSecretKey`), the aggregator-side sockets (model-in, updates-out,
    /// control-out) admit only these keys, whatever `allowedClientKeys` says — so an allowed
    /// trainer cannot publish models or pull other trainers' updates.
    public var aggregatorKeys: Set<CurveKey>?
    /// libzmq I/O threads: they read and write every TCP connection, so the broker — which
    /// receives each message once and sends it again — moves twice the bytes of any peer.
    /// With 2 or more, thread 0 serves only the aggregator's connections (model-in,
    /// updates-out, control-out) and the others the trainers': one I/O thread writes a
    /// connection once per turn over its ready connections, so without this a flood of
    /// updates from a thousand trainers starved the single connection to the aggregator
    /// (3 of 1,500 updates/s forwarded).
    public var ioThreads = 3
    /// How long the aggregator holding the broker's aggregator lease may stay silent (no
    /// renewal; it renews every second) before another aggregator may take the lease: three
    /// missed renewals. A frozen holder keeps its lease as long as nobody else claims it. A
    /// holder whose connection closed (it exited or was killed) is replaced at once.
    public var aggregatorLeaseTimeout: Duration = .seconds(3)
    /// How often a one-line statistics summary is logged.
    public var statisticsInterval: Duration = .seconds(30)

    public init() {}

    /// Rejects out-of-range or inconsistent values with a clear message.
    public func validate() throws(BrokerError) {
        do { try ports.validate() } catch { throw BrokerError(.invalidConfiguration, error.message) }
        guard !bindHost.isEmpty, !bindHost.contains(where: \.isWhitespace) else {
            throw BrokerError(.invalidConfiguration, "bind host '\(bindHost)' is empty or contains spaces")
        }
        for (name, value) in [("model", modelHighWaterMark), ("update", updateHighWaterMark), ("control", controlHighWaterMark),
                              ("per-trainer update", updatesPerTrainer)]
        where value < 0 {
            throw BrokerError(.invalidConfiguration, "\(name) high-water mark must be ≥ 0, got \(value)")
        }
        guard updateQueueBytes > 0 else {
            throw BrokerError(.invalidConfiguration, "update queue bytes must be > 0, got \(updateQueueBytes)")
        }
        guard (1...64).contains(ioThreads) else {
            throw BrokerError(.invalidConfiguration, "I/O threads must be in 1…64, got \(ioThreads)")
        }
        for (name, limit) in [("message", maxMessageSize), ("control message", maxControlMessageSize)] {
            if let limit, limit <= 0 { throw BrokerError(.invalidConfiguration, "max \(name) size must be > 0 bytes, got \(limit)") }
        }
        if allowedClientKeys != nil || aggregatorKeys != nil, curveSecretKey == nil {
            throw BrokerError(.invalidConfiguration, "allowed client keys need a CURVE secret key")
        }
        guard aggregatorLeaseTimeout >= .seconds(2), aggregatorLeaseTimeout <= .seconds(3600) else {
            throw BrokerError(.invalidConfiguration,
                              "aggregator lease timeout must be 2…3600 s (the aggregator renews about every second), got \(aggregatorLeaseTimeout)")
        }
        guard statisticsInterval > .zero else {
            throw BrokerError(.invalidConfiguration, "statistics interval must be > 0")
        }
    }

    /// The bind endpoint for a port: `tcp://host:port`, or `tcp://host:*` for port 0.
    func endpoint(port: Int) -> String {
        "tcp://\(bindHost):\(port == 0 ? "*" : String(port))"
    }
}
