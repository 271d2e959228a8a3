/// The framing of the aggregator lease on the control-out port, apart from trainers' requests
/// and the aggregator's replies: a lease message starts with an empty frame (a routing id is
/// never empty), then `tag`, then a JSON body (`LeaseClaim` or `LeaseReply`).

/// Encodes and recognises lease messages: `[empty, tag, JSON body]`.
public enum LeaseMessage {
    /// The second frame of every lease message (names the lease protocol and its version).
    public static let tag: [UInt8] = Array("fedmq-lease/1".utf8)

    /// Whether `frames` (routing-id frames already removed) is a lease message.
    public static func matches(_ frames: some Collection<[UInt8]>) -> Bool {
        frames.count == 3 && frames.first?.isEmpty == true && frames.dropFirst().first == tag
    }

    /// The frames of a claim, aggregator → broker.
    public static func frames(_ claim: LeaseClaim) -> [[UInt8]] { [[], tag, MessageCodec.json(claim)] }

    /// The frames of a reply, broker → aggregator.
    public static func frames(_ reply: LeaseReply) -> [[UInt8]] { [[], tag, MessageCodec.json(reply)] }

    /// Decodes a claim from a lease message's frames.
    /// - Throws: `ProtocolError` (`.wrongFrameCount` for another framing, `.payloadDecode` for a bad body).
    public static func claim(_ frames: some Collection<[UInt8]>) throws(ProtocolError) -> LeaseClaim {
        try MessageCodec.unjson(LeaseClaim.self, body(frames))
    }

    /// Decodes a reply from a lease message's frames (see `claim`).
    public static func reply(_ frames: some Collection<[UInt8]>) throws(ProtocolError) -> LeaseReply {
        try MessageCodec.unjson(LeaseReply.self, body(frames))
    }

    private static func body(_ frames: some Collection<[UInt8]>) throws(ProtocolError) -> [UInt8] {
        guard matches(frames), let body = frames.dropFirst(2).first else {
            throw ProtocolError(.wrongFrameCount, "a lease message is [empty, \"fedmq-lease/1\", body]; got \(frames.count) frames")
        }
        return body
    }
}
