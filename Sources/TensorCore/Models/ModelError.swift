/// A model, layer or data error: a stable `code` and a human-readable `message`.
public struct ModelError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, stable for programs.
    public enum Code: String, Sendable {
        case shapeMismatch, unknownArchitecture, parameterCountMismatch, missingParameter
        case unexpectedParameter, invalidLabel, invalidArgument
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
