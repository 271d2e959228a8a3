import FedMQProtocol

/// Running totals of what the aggregator did.
public struct RunCounters: Sendable, Equatable {
    public var updatesAccepted: UInt64 = 0
    /// Accepted updates clipped to the norm bound (counted in `updatesAccepted` too).
    public var updatesClipped: UInt64 = 0
    /// Rejections by `RejectionReason.rawValue`.
    public var rejected: [String: UInt64] = [:]
    public var bytesIn: UInt64 = 0
    public var bytesOut: UInt64 = 0
    public var staleness = StalenessHistogram()
    /// Versions made under central DP (each one step of its mechanism; see `PrivacyLedger`).
    public var privacySteps: UInt64 = 0

    public init() {}

    public mutating func reject(_ reason: RejectionReason) { rejected[reason.rawValue, default: 0] += 1 }

    /// Total rejections.
    public var rejectedTotal: UInt64 { rejected.values.reduce(0, +) }

    /// Flat form for checkpoints.
    public var dictionary: [String: UInt64] {
        var out = ["updates_accepted": updatesAccepted, "updates_clipped": updatesClipped, "bytes_in": bytesIn, "bytes_out": bytesOut,
                   "privacy_steps": privacySteps]
        for (k, v) in rejected { out["rejected." + k] = v }
        return out
    }

    /// Restores totals saved by `dictionary` (the staleness histogram starts afresh).
    public init(dictionary d: [String: UInt64]) {
        updatesAccepted = d["updates_accepted"] ?? 0
        updatesClipped = d["updates_clipped"] ?? 0
        bytesIn = d["bytes_in"] ?? 0
        bytesOut = d["bytes_out"] ?? 0
        privacySteps = d["privacy_steps"] ?? 0
        for (k, v) in d where k.hasPrefix("rejected.") { rejected[String(k.dropFirst(9))] = v }
    }
}
