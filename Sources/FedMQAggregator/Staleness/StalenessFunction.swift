/// A weight s(t − τ) ∈ (0, 1] for an update trained from version τ applied at version t.
public enum StalenessFunction: Sendable, Hashable, CustomStringConvertible {
    /// s = 1.
    case constant
    /// s = (t − τ + 1)^(−a), a ≥ 0.
    case polynomial(a: Double)
    /// s = 1 if t − τ ≤ b, else 1 / (a·(t − τ − b) + 1); a ≥ 0, b ≥ 0.
    case hinge(a: Double, b: Double)
    /// s = 1 / √(1 + t − τ).
    case inverseSqrt

    /// Parses `const`, `poly:<a>`, `hinge:<a>,<b>` or `sqrt`.
    public init(parsing text: String) throws(ConfigurationError) {
        let (name, args) = try ConfigurationError.split(text, what: "staleness function")
        switch (name, args.count) {
        case ("const", 0), ("constant", 0): self = .constant
        case ("poly", 1) where args[0] >= 0: self = .polynomial(a: args[0])
        case ("hinge", 2) where args[0] >= 0 && args[1] >= 0: self = .hinge(a: args[0], b: args[1])
        case ("sqrt", 0): self = .inverseSqrt
        default:
            throw ConfigurationError(
                "staleness function \"\(text)\": expected const, poly:<a≥0>, hinge:<a≥0>,<b≥0> or sqrt")
        }
    }

    /// The weight for staleness `t − τ` (versions, ≥ 0).
    public func weight(staleness: UInt64) -> Double {
        let d = Double(staleness)
        switch self {
        case .constant: return 1
        case .polynomial(let a): return pow(d + 1, -a)
        case .hinge(let a, let b): return d <= b ? 1 : 1 / (a * (d - b) + 1)
        case .inverseSqrt: return 1 / (1 + d).squareRoot()
        }
    }

    /// The forms `init(parsing:)` accepts, for help texts.
    public static let forms = ["const", "poly:<a≥0>", "hinge:<a≥0>,<b≥0>", "sqrt"]

    /// The text `init(parsing:)` reads back, e.g. `poly:0.5`.
    public var description: String {
        switch self {
        case .constant: "const"
        case .polynomial(let a): "poly:\(a)"
        case .hinge(let a, let b): "hinge:\(a),\(b)"
        case .inverseSqrt: "sqrt"
        }
    }
}

import FedMQProtocol
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
