// What the live page shows at one moment, and what `/api/live.json` returns: the run's
// metrics records so far (evaluations, and a sample of the counters about once a second) and
// the trainer table. The final report is drawn from the same structure, read from
// metrics.jsonl, so the page and the report cannot disagree.

/// The state of a run as the live page and the report draw it.
public struct LiveSnapshot: Sendable, Codable, Equatable {
    /// Page title, e.g. "FedMQ run 1: cnn, buffered K=4 …".
    public var title: String
    /// Run seconds when the snapshot was taken.
    public var runSeconds: Double
    /// Global model version.
    public var version: UInt64
    /// Why the run stopped, once it has (nil while it goes on).
    public var stopReason: String?
    /// Metrics records in time order: every evaluation, and samples of the counters between.
    public var records: [MetricsRecord]
    /// One row per trainer the aggregator knows (nil: not available, e.g. a report drawn from
    /// metrics.jsonl alone after an interrupted run).
    public var trainers: [TrainerRow]?

    public init(title: String, runSeconds: Double, version: UInt64, stopReason: String? = nil, records: [MetricsRecord],
                trainers: [TrainerRow]?) {
        self.title = title
        self.runSeconds = runSeconds
        self.version = version
        self.stopReason = stopReason
        self.records = records
        self.trainers = trainers
    }

    /// A snapshot of a finished (or interrupted) run from its metrics records.
    public init(title: String, records: [MetricsRecord], trainers: [TrainerRow]?, stopReason: String? = nil) {
        let last = records.max { $0.wallTime < $1.wallTime }
        self.init(title: title, runSeconds: last?.wallTime ?? 0, version: records.map(\.version).max() ?? 0,
                  stopReason: stopReason, records: records, trainers: trainers)
    }
}
