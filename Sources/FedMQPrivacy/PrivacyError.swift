// Privacy parameters come from users (a budget on the command line) and from peers (a trainer's
// reported ε): a value that makes no sense is refused with what was wrong, never turned into a
// number that looks like a guarantee.

/// A refused privacy parameter or an unreachable budget.
public struct PrivacyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of problem.
    public enum Code: String, Sendable {
        /// A parameter outside its domain (a rate outside (0, 1], δ outside (0, 1), σ ≤ 0 …).
        case invalidParameter = "invalid_parameter"
        /// No noise multiplier in the searched range meets the budget.
        case budgetUnreachable = "budget_unreachable"
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
