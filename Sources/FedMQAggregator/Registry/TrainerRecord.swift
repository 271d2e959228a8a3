/// What the aggregator knows about one trainer.
public struct TrainerRecord: Sendable, Codable, Equatable {
    /// Id assigned at first registration (≥ 1).
    public var id: UInt32
    /// Stable identity, or nil for an anonymous replica.
    public var identity: String?
    /// Data shard in `0..<shardCount`.
    public var shardIndex: Int
    /// Monotonic seconds of the last register / heartbeat / update.
    public var lastSeen: Double
    /// False after a goodbye or a missed heartbeat timeout; true again on the next heartbeat.
    public var live: Bool
    /// Highest sequence number seen from this trainer.
    public var lastSequence: UInt64
    /// With CURVE: the Z85 public key the trainer registered with; only that key may use this
    /// id afterwards. Nil without CURVE.
    public var publicKey: String? = nil
}
