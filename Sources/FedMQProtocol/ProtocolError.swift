/// A refused message: a machine-readable `reason` and a human-readable `message`.
public struct ProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The rejection category (stable metrics name in `reason.rawValue`).
    public let reason: RejectionReason
    /// What exactly was wrong, e.g. "run id 7 != expected 9".
    public let message: String
    /// The error this one wraps (a file system, JSON, ZeroMQ or parser error), if any.
    public let underlying: (any Error)?

    public init(_ reason: RejectionReason, _ message: String, underlying: (any Error)? = nil) {
        self.reason = reason
        self.message = message
        self.underlying = underlying
    }

    public var description: String { "\(reason.rawValue): \(message)" }

    /// Equal when reason and message are; the underlying error is not compared.
    public static func == (lhs: ProtocolError, rhs: ProtocolError) -> Bool { lhs.reason == rhs.reason && lhs.message == rhs.message }
}
