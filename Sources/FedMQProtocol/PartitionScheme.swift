/// How a labelled data set is split across trainers.
public enum PartitionScheme: Sendable, Hashable, CustomStringConvertible {
    /// Uniformly shuffled, near-equal shards.
    case iid
    /// Per class, shard proportions drawn from Dir(α): small α → strong label skew.
    case dirichlet(alpha: Double)
    /// Each shard holds exactly `classesPerShard` classes (pathological non-IID).
    case labels(classesPerShard: Int)
    /// IID labels, shard sizes drawn from Dir(β): small β → very unequal sizes.
    case quantity(beta: Double)

    /// Parses `iid`, `dirichlet:<α>0>`, `labels:<k≥1>` or `quantity:<β>0>`.
    public init(parsing text: String) throws(ConfigurationError) {
        let (name, a) = try ConfigurationError.split(text, what: "partition")
        switch (name, a.count) {
        case ("iid", 0): self = .iid
        case ("dirichlet", 1) where a[0] > 0: self = .dirichlet(alpha: a[0])
        case ("labels", 1) where a[0] >= 1 && a[0] == a[0].rounded() && a[0] < 1e6: self = .labels(classesPerShard: Int(a[0]))
        case ("quantity", 1) where a[0] > 0: self = .quantity(beta: a[0])
        default:
            throw ConfigurationError("partition \"\(text)\": expected iid, dirichlet:<α>0>, labels:<k≥1> or quantity:<β>0>")
        }
    }

    /// Checks the arguments of a value built in code, as `init(parsing:)` checks text.
    public func validate() throws(ConfigurationError) {
        _ = try Self(parsing: description)
    }

    /// The fewest distinct classes the data must hold: k for `labels:k`, 1 for the others.
    public var requiredClassCount: Int {
        if case .labels(let k) = self { k } else { 1 }
    }

    /// Throws unless data of `classCount` distinct classes can be cut this way (`labels:k`
    /// needs k ≤ `classCount`). `source` names where the count comes from, e.g. "the data" or
    /// "the model's output layer".
    public func check(classCount: Int, source: String) throws(ConfigurationError) {
        guard requiredClassCount > classCount else { return }
        throw ConfigurationError(
            "partition \(self) needs at least \(requiredClassCount) classes, \(source) has \(classCount): "
                + "use labels:k with k ≤ \(classCount), or iid, dirichlet:<α> or quantity:<β>",
            code: "partition_classes")
    }

    /// The forms `init(parsing:)` accepts, for help texts.
    public static let forms = ["iid", "dirichlet:<α>0>", "labels:<k≥1>", "quantity:<β>0>"]

    /// The text `init(parsing:)` reads back (the wire form in `Registration`), e.g. `dirichlet:0.5`.
    public var description: String {
        switch self {
        case .iid: "iid"
        case .dirichlet(let a): "dirichlet:\(a)"
        case .labels(let k): "labels:\(k)"
        case .quantity(let b): "quantity:\(b)"
        }
    }
}
