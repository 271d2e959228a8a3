/// What a receiver requires of every incoming message before looking at its payload.
public struct FrameExpectations: Sendable, Hashable {
    /// This run's id.
    public var runID: UInt64
    /// `ParameterLayout.fingerprint` of the model.
    public var fingerprint: UInt64
    /// Largest payload accepted, in bytes.
    public var maxPayloadBytes: Int
    /// Kinds accepted on this channel.
    public var allowedKinds: Set<MessageKind>
    /// Whether fingerprint 0 ("not known yet") is accepted besides the exact one (control
    /// channel: a client may register before it has seen the model).
    public var acceptsUnknownFingerprint: Bool

    public init(runID: UInt64, fingerprint: UInt64, maxPayloadBytes: Int, allowedKinds: Set<MessageKind>,
                acceptsUnknownFingerprint: Bool = false) {
        self.runID = runID
        self.fingerprint = fingerprint
        self.maxPayloadBytes = maxPayloadBytes
        self.allowedKinds = allowedKinds
        self.acceptsUnknownFingerprint = acceptsUnknownFingerprint
    }
}
