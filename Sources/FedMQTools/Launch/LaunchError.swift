/// A failure of `fedmq run`: a stable `code` and a human-readable `message`.
public struct LaunchError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable for programs, e.g. "missing_executable", "spawn", "child_failed".
    public let code: String
    public let message: String
    /// The error this one wraps (a file system, JSON, ZeroMQ or parser error), if any.
    public let underlying: (any Error)?

    public init(_ message: String, code: String = "launch_failed", underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String { message }

    /// Equal when code and message are; the underlying error is not compared.
    public static func == (lhs: LaunchError, rhs: LaunchError) -> Bool { lhs.code == rhs.code && lhs.message == rhs.message }
}
