/// A snapshot of the running aggregator, readable from any thread.
public struct AggregatorStatus: Sendable, Equatable {
    /// Current global version.
    public var version: UInt64 = 0
    /// Version restored from a checkpoint at start (nil if started fresh).
    public var resumedFrom: UInt64? = nil
    /// Counters (accepted, rejected by reason, bytes).
    public var counters = RunCounters()
    /// Live trainers.
    public var liveTrainers = 0
    /// Sync mode: updates that close the current round (the configured size, capped by the
    /// live trainers); nil in the other modes.
    public var roundSize: Int? = nil
    /// Sync mode: updates collected in the open round; nil in the other modes.
    public var roundPending: Int? = nil
    /// Latest evaluation and the version it was made on.
    public var lastEvaluation: (version: UInt64, result: EvaluationResult)? = nil
    /// Why the run stopped, once a stop condition held.
    public var stopReason: String? = nil
    /// A checkpoint failed: the current version is not published and updates wait until one
    /// is written (`IntakeLoop.publicationHeld`).
    public var publicationHeld = false

    public init() {}

    public static func == (a: Self, b: Self) -> Bool {
        a.version == b.version && a.resumedFrom == b.resumedFrom && a.counters == b.counters
            && a.liveTrainers == b.liveTrainers && a.stopReason == b.stopReason && a.publicationHeld == b.publicationHeld
            && a.roundSize == b.roundSize && a.roundPending == b.roundPending
            && a.lastEvaluation?.version == b.lastEvaluation?.version && a.lastEvaluation?.result == b.lastEvaluation?.result
    }
}
