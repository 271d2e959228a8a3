/// A fatal trainer failure: a stable `code` and a human-readable `message`.
public struct TrainerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable for programs, e.g. "fingerprint_mismatch", "data_shape", "socket".
    public let code: String
    public let message: String

    public init(_ message: String, code: String = "trainer_failed") {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
