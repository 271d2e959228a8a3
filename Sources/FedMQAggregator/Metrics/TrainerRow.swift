// The per-trainer table of the live page and the report: one row per trainer the aggregator
// knows, joining its registration (id, identity, shard, liveness) with its accepted updates.

/// One trainer as the live page and the report show it.
public struct TrainerRow: Sendable, Codable, Equatable {
    /// Id assigned at registration.
    public var id: UInt32
    /// Stable identity, nil for an anonymous replica.
    public var identity: String?
    /// Data shard index.
    public var shard: Int
    /// Samples in that shard, when the aggregator was told the shard sizes (nil: unknown).
    public var shardSize: Int?
    /// Whether the trainer is live (heartbeat within the timeout, no goodbye).
    public var live: Bool
    /// Updates of this trainer accepted since the aggregator process started.
    public var updatesAccepted: UInt64
    /// Mean staleness of those updates, versions (nil: none yet).
    public var meanStaleness: Double?
    /// Seconds since the trainer was last heard from (register, heartbeat or update).
    public var lastSeenAgo: Double
    /// Mean seconds between its accepted updates: local round time plus model wait and transit
    /// (nil: fewer than two updates).
    public var updateInterval: Double?
    /// Training samples behind its latest update, as reported (0: none yet).
    public var samplesPerUpdate: UInt32

    public init(id: UInt32, identity: String?, shard: Int, shardSize: Int? = nil, live: Bool, updatesAccepted: UInt64 = 0,
                meanStaleness: Double? = nil, lastSeenAgo: Double, updateInterval: Double? = nil, samplesPerUpdate: UInt32 = 0) {
        self.id = id
        self.identity = identity
        self.shard = shard
        self.shardSize = shardSize
        self.live = live
        self.updatesAccepted = updatesAccepted
        self.meanStaleness = meanStaleness
        self.lastSeenAgo = lastSeenAgo
        self.updateInterval = updateInterval
        self.samplesPerUpdate = samplesPerUpdate
    }

    /// The row of `record` with its `activity`, at monotonic time `now`; `shardSizes[i]` is
    /// shard i's size when known.
    public init(record: TrainerRecord, activity: TrainerActivity?, shardSizes: [Int]?, now: Double) {
        let sizes = shardSizes ?? []
        self.init(
            id: record.id, identity: record.identity, shard: record.shardIndex,
            shardSize: sizes.indices.contains(record.shardIndex) ? sizes[record.shardIndex] : nil, live: record.live,
            updatesAccepted: activity?.updatesAccepted ?? 0, meanStaleness: activity?.meanStaleness,
            lastSeenAgo: max(0, now - record.lastSeen), updateInterval: activity?.meanInterval,
            samplesPerUpdate: activity?.lastSampleCount ?? 0)
    }
}
