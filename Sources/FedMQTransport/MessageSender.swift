import ZeroMQ

/// Who sent a message to the aggregator, as far as the transport can tell.
public enum MessageSender: Sendable, Equatable {
    /// No CURVE: the sender is not authenticated.
    case plaintext
    /// CURVE: the broker attested this public key (the ZAP User-Id of the connection).
    case key(CurveKey)
    /// CURVE, but no valid attested key came with the message.
    case unknown

    /// The attested key, if any.
    public var key: CurveKey? {
        if case .key(let key) = self { return key }
        return nil
    }
}
