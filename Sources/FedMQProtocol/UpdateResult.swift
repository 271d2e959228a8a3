// The aggregator's verdict on one update, sent back to the update's sender (kind
// `update_result`): updates travel PUSH → PULL with no reply path, so without it a trainer in
// sync or buffered mode cannot tell a rejected update from one still waiting in a buffer.

/// What became of one update: accepted (taken into the strategy: applied, or buffered for the
/// next version) or rejected with its reason.
///
/// On the wire (docs/PROTOCOL.md, "Update feedback"): the header carries `trainerID`, the
/// update's `sequence` and `baseVersion`, and `modelVersion` (the aggregator's version after
/// the decision); the payload is JSON `{"accepted":true}` or
/// `{"accepted":false,"reason":"too_stale"}` (a `RejectionReason` raw value).
public struct UpdateResult: Sendable, Equatable {
    /// The trainer the update came from.
    public var trainerID: UInt32
    /// The update's sequence number.
    public var sequence: UInt64
    /// The version the update was trained from.
    public var baseVersion: UInt64
    /// The aggregator's global version right after it decided.
    public var modelVersion: UInt64
    /// Why it was rejected (a `RejectionReason` raw value, kept as text so a reason added by a
    /// newer aggregator still reads), or nil when it was accepted.
    public var reason: String?

    public init(trainerID: UInt32, sequence: UInt64, baseVersion: UInt64, modelVersion: UInt64, rejection: RejectionReason?) {
        self.trainerID = trainerID
        self.sequence = sequence
        self.baseVersion = baseVersion
        self.modelVersion = modelVersion
        self.reason = rejection?.rawValue
    }

    /// True when the update was accepted.
    public var accepted: Bool { reason == nil }
    /// The reason as a `RejectionReason`, nil when accepted or not one this build knows.
    public var rejection: RejectionReason? { reason.flatMap(RejectionReason.init(rawValue:)) }

    /// The JSON payload: whether it was accepted, and the reason when not.
    struct Payload: Codable {
        var accepted: Bool
        /// The `RejectionReason` raw value, present exactly when not accepted.
        var reason: String?
    }
}
