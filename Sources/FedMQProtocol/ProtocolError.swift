/// A refused message: a machine-readable `reason` and a human-readable `message`.
public struct ProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The rejection category (stable metrics name in `reason.rawValue`).
    public let reason: RejectionReason
    /// What exactly was wrong, e.g. "run id 7 != expected 9".
    public let message: String

    public init(_ reason: RejectionReason, _ message: String) {
        self.reason = reason
        self.message = message
    }

    public var description: String { "\(reason.rawValue): \(message)" }
}
