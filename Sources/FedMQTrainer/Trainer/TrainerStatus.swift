import FedMQProtocol

/// A snapshot of a trainer's progress, for logs and tests.
public struct TrainerStatus: Sendable, Equatable {
    /// What the aggregator assigned at registration (nil before).
    public var registration: Registration? = nil
    /// The run id learnt at registration.
    public var runID: UInt64? = nil
    /// Samples in this trainer's shard (0 before the data is ready).
    public var shardSize = 0
    /// Version of the newest global model held (nil before the first one arrives).
    public var modelVersion: UInt64? = nil
    /// Every version adopted, in arrival order (the last 1024).
    public var versionsReceived: [UInt64] = []
    /// Updates pushed.
    public var updatesSent = 0
    /// Mean training loss of the last update.
    public var lastLoss: Float? = nil
    /// Heartbeats sent.
    public var heartbeatsSent = 0
    /// Times the aggregator answered that it did not know this trainer's id and it registered again.
    public var reregistrations = 0
    /// Broadcasts that failed validation (wrong run, fingerprint, checksum…).
    public var broadcastsRejected = 0
    /// Updates the aggregator reported accepted (`update_result`).
    public var updatesAccepted = 0
    /// Updates the aggregator reported rejected, by reason (`RejectionReason` raw value).
    public var updatesRejected: [String: Int] = [:]
    /// Federated evaluation requests answered.
    public var evaluationsAnswered = 0
    /// The aggregator's stop reason, once it broadcast stop.
    public var stopReason: String? = nil

    public init() {}

    mutating func adopt(version: UInt64) {
        modelVersion = version
        versionsReceived.append(version)
        if versionsReceived.count > 1024 { versionsReceived.removeFirst(versionsReceived.count - 1024) }
    }
}
