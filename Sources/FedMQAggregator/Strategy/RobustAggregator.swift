import FedMQProtocol

/// How buffered deltas are combined into one.
///
/// `mean` is the (weighted) mean and needs O(model) memory. `median` and `trimmedMean` are
/// coordinate-wise, unweighted, and keep all K buffered deltas: O(K·model).
public enum RobustAggregator: Sendable, Hashable, CustomStringConvertible {
    case mean
    /// Coordinate-wise median (mean of the two middle values for even K).
    case median
    /// Coordinate-wise mean after dropping the ⌊fraction·K⌋ smallest and largest values, 0 ≤ fraction < 0.5.
    case trimmedMean(fraction: Double)

    /// Parses `mean`, `median` or `trimmed:<fraction>`.
    public init(parsing text: String) throws(ConfigurationError) {
        let (name, a) = try ConfigurationError.split(text, what: "aggregator")
        switch (name, a.count) {
        case ("mean", 0): self = .mean
        case ("median", 0): self = .median
        case ("trimmed", 1) where a[0] >= 0 && a[0] < 0.5: self = .trimmedMean(fraction: a[0])
        default: throw ConfigurationError("aggregator \"\(text)\": expected mean, median or trimmed:<0≤f<0.5>")
        }
    }

    /// The forms `init(parsing:)` accepts, for help texts.
    public static let forms = ["mean", "median", "trimmed:<0≤f<0.5>"]

    /// The text `init(parsing:)` reads back, e.g. `trimmed:0.1`.
    public var description: String {
        switch self {
        case .mean: "mean"
        case .median: "median"
        case .trimmedMean(let fraction): "trimmed:\(fraction)"
        }
    }
}
