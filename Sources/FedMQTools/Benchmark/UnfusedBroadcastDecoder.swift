import FedMQProtocol
import SafeTensorsFormat
import VectorKernels

/// The model broadcast decode as the trainer ran it before broadcasts went through the fused
/// decoder that updates use: `FrameCodec.decode` (CRC-32C pass), `ParameterPayloadCodec.decode`
/// (parse, then copy into fresh storage), then a separate finite-check pass — three passes over
/// the weights. Kept out of the protocol module as the reference that `fedmq bench federation`
/// measures `MessageCodec.decodeBroadcast(_:reusing:plans:)` against and the tests compare it to.
public enum UnfusedBroadcastDecoder {
    /// Validates and decodes a `model` or `stop` broadcast for `codec`'s run, layout and payload
    /// bound, in the order `FrameCodec.decode`, payload layout, finiteness.
    public static func decode(_ frames: [[UInt8]], codec: MessageCodec) throws(ProtocolError) -> ModelBroadcast {
        let expected = FrameExpectations(runID: codec.runID, fingerprint: codec.layout.fingerprint,
                                         maxPayloadBytes: codec.maxPayloadBytes, allowedKinds: [.model, .stop])
        let message = try FrameCodec.decode(frames, expecting: expected)
        if message.header.kind == .stop {
            return .stop(version: message.header.modelVersion, reason: String(decoding: message.payload, as: UTF8.self))
        }
        return .model(version: message.header.modelVersion, weights: try weights(message.payload, codec: codec))
    }

    /// The payload's weights (flat, `codec.layout.count`), checked finite.
    private static func weights(_ payload: [UInt8], codec: MessageCodec) throws(ProtocolError) -> [Float] {
        let flat: [Float]
        do {
            flat = try codec.payloadCodec.decode(payload, layout: codec.layout).flat
        } catch {
            throw ProtocolError(.payloadDecode, "\(error)")
        }
        guard flat.count == codec.layout.count else {
            throw ProtocolError(.payloadDecode, "payload has \(flat.count) values, layout \(codec.layout.count)")
        }
        guard VectorMathBridge.allFinite(flat) else { throw ProtocolError(.nonFinite, "payload contains NaN or infinity") }
        return flat
    }
}
