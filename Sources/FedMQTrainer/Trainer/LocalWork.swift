import FedMQProtocol

/// How much local training a trainer does per update.
public enum LocalWork: Sendable, Hashable, CustomStringConvertible {
    /// Full passes over the trainer's shard.
    case epochs(Int)
    /// Mini-batch steps (continuing through reshuffled epochs as needed).
    case steps(Int)

    package func validate() throws(ConfigurationError) {
        switch self {
        case .epochs(let n) where n < 1: throw ConfigurationError("local epochs must be ≥ 1, got \(n)")
        case .steps(let n) where n < 1: throw ConfigurationError("local steps must be ≥ 1, got \(n)")
        default: break
        }
    }

    /// Number of steps for a shard with `batchesPerEpoch` mini-batches per epoch.
    public func steps(batchesPerEpoch: Int) -> Int {
        switch self {
        case .epochs(let n): n * batchesPerEpoch
        case .steps(let n): n
        }
    }

    public var description: String {
        switch self {
        case .epochs(let n): "\(n) epoch\(n == 1 ? "" : "s")"
        case .steps(let n): "\(n) step\(n == 1 ? "" : "s")"
        }
    }
}
