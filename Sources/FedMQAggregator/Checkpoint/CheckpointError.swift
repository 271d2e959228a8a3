/// A checkpoint that cannot be written or read.
public struct CheckpointError: Error, Sendable, CustomStringConvertible {
    /// Stable category: "io", "checksum", "format", "mismatch".
    public let code: String
    public let message: String
    /// The error this one wraps (a file system, JSON, ZeroMQ or parser error), if any.
    public let underlying: (any Error)?

    public init(_ code: String, _ message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String { "\(code): \(message)" }
}
