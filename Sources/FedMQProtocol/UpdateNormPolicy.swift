/// What to do with an update whose L2 norm exceeds a bound.
public enum UpdateNormPolicy: Sendable, Hashable, CustomStringConvertible {
    /// No bound.
    case unbounded
    /// Reject updates with norm above the bound (`RejectionReason.normExceeded`).
    case reject(above: Float)
    /// Scale updates with norm above the bound down to exactly the bound.
    case clip(to: Float)

    /// Parses `none`, `reject:<bound>` or `clip:<bound>` (bound > 0).
    public init(parsing text: String) throws(ConfigurationError) {
        let (name, args) = try ConfigurationError.split(text, what: "norm policy")
        switch (name, args.count) {
        case ("none", 0): self = .unbounded
        case ("reject", 1) where args[0] > 0: self = .reject(above: Float(args[0]))
        case ("clip", 1) where args[0] > 0: self = .clip(to: Float(args[0]))
        default: throw ConfigurationError("norm policy \"\(text)\": expected none, reject:<bound> or clip:<bound> with bound > 0")
        }
    }

    /// The forms `init(parsing:)` accepts, for help texts.
    public static let forms = ["none", "reject:<bound>", "clip:<bound>"]

    /// The text `init(parsing:)` reads back, e.g. `clip:2.5`.
    public var description: String {
        switch self {
        case .unbounded: "none"
        case .reject(let bound): "reject:\(bound)"
        case .clip(let bound): "clip:\(bound)"
        }
    }
}
