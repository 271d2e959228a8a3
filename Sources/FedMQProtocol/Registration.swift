/// JSON payload of `registered`, e.g.
/// `{"trainerID":3,"shardIndex":2,"shardCount":8,"partition":"dirichlet:0.5","seed":42,"modelVersion":17,"heartbeatTimeout":30}`.
public struct Registration: Sendable, Codable, Equatable {
    /// Id to put in every later header (≥ 1).
    public var trainerID: UInt32
    /// The data shard this trainer trains on, in `0..<shardCount`.
    public var shardIndex: Int
    /// Total number of shards.
    public var shardCount: Int
    /// Partition scheme string (see `PartitionScheme`), so every trainer cuts the same shards.
    public var partition: String
    /// Partition seed.
    public var seed: UInt64
    /// Current global version at registration time.
    public var modelVersion: UInt64
    /// Seconds without a heartbeat after which the aggregator counts the trainer gone, so a
    /// trainer can refuse a heartbeat interval that could never keep it counted. Optional on
    /// the wire (absent from older aggregators).
    public var heartbeatTimeout: Double?

    public init(trainerID: UInt32, shardIndex: Int, shardCount: Int, partition: String, seed: UInt64, modelVersion: UInt64,
                heartbeatTimeout: Double? = nil) {
        self.trainerID = trainerID
        self.shardIndex = shardIndex
        self.shardCount = shardCount
        self.partition = partition
        self.seed = seed
        self.modelVersion = modelVersion
        self.heartbeatTimeout = heartbeatTimeout
    }
}
