/// The broker's answer to a `LeaseClaim`, and its liveness probe of the current holder: the
/// second half of the aggregator lease (see `LeaseClaim`).

/// What the broker says to an aggregator on its control-out port.
public enum LeaseReply: Sendable, Equatable {
    /// The sender holds the lease for `timeoutMilliseconds` after this claim: it must renew
    /// before then, and must not publish a model or take updates once that time has passed
    /// without a newer grant.
    case granted(timeoutMilliseconds: UInt32)
    /// Another aggregator holds the lease: `holder` was last heard `silentMilliseconds` ago, and
    /// loses the lease once it has been silent for `timeoutMilliseconds`.
    case refused(holder: LeaseClaim, silentMilliseconds: UInt32, timeoutMilliseconds: UInt32)
    /// Sent by the broker to the holder to learn whether its connection is still open (a probe
    /// that cannot be delivered means the holder is gone); the aggregator ignores it.
    case probe
}

extension LeaseReply: Codable {
    enum CodingKeys: String, CodingKey {
        case status, timeoutMilliseconds = "timeout_ms", silentMilliseconds = "silent_ms", holder
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(String.self, forKey: .status) {
        case "granted":
            self = .granted(timeoutMilliseconds: try container.decode(UInt32.self, forKey: .timeoutMilliseconds))
        case "refused":
            self = .refused(
                holder: try container.decode(LeaseClaim.self, forKey: .holder),
                silentMilliseconds: try container.decode(UInt32.self, forKey: .silentMilliseconds),
                timeoutMilliseconds: try container.decode(UInt32.self, forKey: .timeoutMilliseconds))
        case "probe":
            self = .probe
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .status, in: container, debugDescription: "unknown lease status '\(other)'")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .granted(let timeout):
            try container.encode("granted", forKey: .status)
            try container.encode(timeout, forKey: .timeoutMilliseconds)
        case .refused(let holder, let silent, let timeout):
            try container.encode("refused", forKey: .status)
            try container.encode(holder, forKey: .holder)
            try container.encode(silent, forKey: .silentMilliseconds)
            try container.encode(timeout, forKey: .timeoutMilliseconds)
        case .probe:
            try container.encode("probe", forKey: .status)
        }
    }
}
