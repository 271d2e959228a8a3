// The registry knows who is registered and alive; an operator also wants to know who
// contributes: how many updates each trainer got accepted, how stale they were, how often they
// come. The aggregator counts that here, per trainer, as updates are accepted (a few additions
// per update; not checkpointed: the counts start with the aggregator process).

/// What one trainer's accepted updates looked like, since this aggregator process started.
public struct TrainerActivity: Sendable, Equatable {
    /// Updates of this trainer the aggregator accepted.
    public private(set) var updatesAccepted: UInt64 = 0
    /// Sum of the staleness (versions) of those updates.
    public private(set) var stalenessSum: UInt64 = 0
    /// Monotonic seconds of the first and the latest accepted update.
    public private(set) var firstUpdate: Double?
    public private(set) var lastUpdate: Double?
    /// Training samples behind the latest accepted update (as the trainer reported).
    public private(set) var lastSampleCount: UInt32 = 0

    public init() {}

    /// Counts an accepted update of staleness `staleness` (versions) over `samples` samples at `now`.
    public mutating func record(staleness: UInt64, samples: UInt32, now: Double) {
        updatesAccepted += 1
        stalenessSum += staleness
        firstUpdate = firstUpdate ?? now
        lastUpdate = now
        lastSampleCount = samples
    }

    /// Mean staleness of the accepted updates (versions); nil before the first.
    public var meanStaleness: Double? {
        updatesAccepted == 0 ? nil : Double(stalenessSum) / Double(updatesAccepted)
    }

    /// Mean seconds between two accepted updates (a trainer's local round time plus its wait for
    /// a model and the transit); nil before the second.
    public var meanInterval: Double? {
        guard updatesAccepted > 1, let firstUpdate, let lastUpdate else { return nil }
        return (lastUpdate - firstUpdate) / Double(updatesAccepted - 1)
    }
}
