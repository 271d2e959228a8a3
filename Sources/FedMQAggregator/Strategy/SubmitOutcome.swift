/// What a strategy did with an accepted update.
public struct SubmitOutcome: Sendable, Equatable {
    /// t − τ at submission.
    public var staleness: UInt64
    /// s(t − τ) from the staleness function (1 in sync mode).
    public var stalenessWeight: Double
    /// The weight the update actually received: sync — its sample count; async — the mixing
    /// rate α_t = α·s; buffered — s·c (c = sample count or 1).
    public var appliedWeight: Double
    /// The new global version if this update completed a round / buffer / mixing step.
    public var newVersion: UInt64?
}
