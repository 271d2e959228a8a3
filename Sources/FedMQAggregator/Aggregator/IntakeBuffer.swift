import FedMQProtocol
import ZeroMQ

/// The delta storage the aggregator's intake decodes updates into, kept from one update to
/// the next: once warm, an update costs no allocation and no page faults, only the fused
/// decode's one pass over the payload (`MessageCodec.decodeUpdate(_:reusing:plans:)`), and a
/// safetensors header equal to the previous update's is not parsed again.
///
/// After the strategy has taken an update, `recycle` takes its delta's storage back unless the
/// strategy keeps it (`AggregationStrategy.retainsDeltas`); the next update is then decoded
/// into fresh storage. Memory: at most one model's floats.
public struct IntakeBuffer {
    private var spare: [Float] = []
    private var plans = SafeTensorsPlanCache()

    public init() {}

    /// Floats held for the next update (by capacity; 0 after a retaining strategy took one).
    public var retainedFloats: Int { spare.capacity }
    /// Where the held storage is (nil when none): unchanged across updates while it is reused.
    public var storageAddress: UnsafeRawPointer? { spare.withUnsafeBytes { $0.baseAddress } }

    /// Decodes an update's frames into the held storage (see `MessageCodec.decodeUpdate`).
    public mutating func decode(_ frames: [[UInt8]], codec: MessageCodec) throws(ProtocolError) -> ClientUpdate {
        try codec.decodeUpdate(frames, reusing: &spare, plans: &plans)
    }

    /// Decodes the first `frameCount` frames of a received message (the payload read in place,
    /// never copied out of libzmq) into the held storage.
    public mutating func decode(_ message: HeldMessage, frameCount: Int, codec: MessageCodec) throws(ProtocolError) -> ClientUpdate {
        try FrameCodec.checkFrameCount(frameCount)
        let topic = message.bytes(ofFrame: 0), header = message.bytes(ofFrame: 1)
        return try message.withBytes(ofFrame: 2) { payload in
            Result { () throws(ProtocolError) in
                try codec.decodeUpdate(topic: topic, header: header, payload: payload, reusing: &spare, plans: &plans)
            }
        }.get()
    }

    /// Takes `update`'s delta storage back for the next decode once `strategy` is done with it,
    /// unless the strategy keeps deltas. Drop `update` before the next decode.
    public mutating func recycle(_ update: ClientUpdate, after strategy: any AggregationStrategy) {
        if !strategy.retainsDeltas { spare = update.delta }
    }
}
