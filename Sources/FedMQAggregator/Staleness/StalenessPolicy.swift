import FedMQProtocol

/// How updates are discounted and when they are dropped for being too old.
public struct StalenessPolicy: Sendable, Hashable {
    /// The discount s(t − τ).
    public var function: StalenessFunction
    /// Updates with t − τ above this are dropped (`RejectionReason.tooStale`); nil = never.
    public var maxStaleness: UInt64?

    public init(function: StalenessFunction = .constant, maxStaleness: UInt64? = nil) {
        self.function = function
        self.maxStaleness = maxStaleness
    }

    /// The weight for an update based on `base` applied at `current`, or a `tooStale` /
    /// `futureVersion` error.
    public func weight(current: UInt64, base: UInt64) throws(ProtocolError) -> Double {
        guard base <= current else {
            throw ProtocolError(.futureVersion, "base version \(base) is newer than current \(current)")
        }
        let staleness = current - base
        if let limit = maxStaleness, staleness > limit {
            throw ProtocolError(.tooStale, "staleness \(staleness) exceeds maximum \(limit)")
        }
        return function.weight(staleness: staleness)
    }
}
