/// A fatal trainer failure: a stable `code` and a human-readable `message`.
public struct TrainerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable for programs, e.g. "fingerprint_mismatch", "data_shape", "socket".
    public let code: String
    public let message: String
    /// The error this one wraps (a file system, JSON, ZeroMQ or parser error), if any.
    public let underlying: (any Error)?

    public init(_ message: String, code: String = "trainer_failed", underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String { "\(code): \(message)" }

    /// Equal when code and message are; the underlying error is not compared.
    public static func == (lhs: TrainerError, rhs: TrainerError) -> Bool { lhs.code == rhs.code && lhs.message == rhs.message }
}
