/// Turns messages into ZeroMQ multipart frames `[topic, header, payload]` and back,
/// validating everything that can be checked without decoding the payload.
public enum FrameCodec {
    /// The three frames of `message`: UTF-8 topic, 80-byte header, payload.
    public static func encode(_ message: Message) -> [[UInt8]] {
        [Array(message.header.kind.topic.utf8), message.header.encoded(), message.payload]
    }

    /// Parses and validates frames, in this order: frame count, header size, magic, version,
    /// kind (defined and allowed), topic, run id, fingerprint, payload length, payload size
    /// bound, CRC-32C. The first failure is thrown as a `ProtocolError`.
    public static func decode(_ frames: [[UInt8]], expecting e: FrameExpectations) throws(ProtocolError) -> Message {
        guard frames.count == 3 else {
            throw ProtocolError(.wrongFrameCount, "\(frames.count) frames, expected 3 [topic, header, payload]")
        }
        let header = try MessageHeader.decode(frames[1])
        guard e.allowedKinds.contains(header.kind) else {
            throw ProtocolError(.unknownKind, "kind \(header.kind) not accepted on this channel")
        }
        guard frames[0].elementsEqual(header.kind.topic.utf8) else {
            throw ProtocolError(.wrongTopic, "topic \"\(String(decoding: frames[0], as: UTF8.self))\" for kind \(header.kind)")
        }
        guard header.runID == e.runID else {
            throw ProtocolError(.wrongRunID, "run id \(header.runID) != expected \(e.runID)")
        }
        guard header.fingerprint == e.fingerprint || (e.acceptsUnknownFingerprint && header.fingerprint == 0) else {
            throw ProtocolError(.fingerprintMismatch, "architecture fingerprint \(hex(header.fingerprint)) != \(hex(e.fingerprint))")
        }
        let payload = frames[2]
        guard header.payloadLength == UInt64(payload.count) else {
            throw ProtocolError(.payloadLengthMismatch, "header says \(header.payloadLength) payload bytes, frame has \(payload.count)")
        }
        guard payload.count <= e.maxPayloadBytes else {
            throw ProtocolError(.oversizePayload, "payload of \(payload.count) bytes exceeds \(e.maxPayloadBytes)")
        }
        let crc = CRC32C.checksum(payload)
        guard crc == header.payloadChecksum else {
            throw ProtocolError(.badChecksum, "payload CRC-32C \(hex(crc)) != header \(hex(header.payloadChecksum))")
        }
        return Message(validated: header, payload: payload)
    }

    static func hex<T: BinaryInteger>(_ v: T) -> String { "0x" + String(v, radix: 16) }
}
