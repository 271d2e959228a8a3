/// A failure of `fedmq run`: a stable `code` and a human-readable `message`.
public struct LaunchError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable for programs, e.g. "missing_executable", "spawn", "child_failed".
    public let code: String
    public let message: String

    public init(_ message: String, code: String = "launch_failed") {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
