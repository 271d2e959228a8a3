/// Which server algorithm the aggregator runs.
public enum AggregationMode: String, Sendable, Hashable, CaseIterable, Codable {
    /// Synchronous FedAvg rounds (`SyncFedAvg`).
    case sync
    /// FedAsync: every update makes a new version (`FedAsync`).
    case async
    /// FedBuff: a new version every K updates (`FedBuff`).
    case buffered
}
