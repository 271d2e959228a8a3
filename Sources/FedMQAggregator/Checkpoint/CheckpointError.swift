/// A checkpoint that cannot be written or read.
public struct CheckpointError: Error, Sendable, CustomStringConvertible {
    /// Stable category: "io", "checksum", "format", "mismatch".
    public let code: String
    public let message: String

    public init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
