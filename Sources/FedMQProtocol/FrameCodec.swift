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
        try checkFrameCount(frames.count)
        let header = try checkEnvelope(topic: frames[0], header: frames[1], payloadCount: frames[2].count, expecting: e)
        let payload = frames[2]
        try verifyChecksum(CRC32C.checksum(payload), header: header)
        return Message(validated: header, payload: payload)
    }

    /// The first check of `decode`: a message has exactly three frames.
    static package func checkFrameCount(_ count: Int) throws(ProtocolError) {
        guard count == 3 else {
            throw ProtocolError(.wrongFrameCount, "\(count) frames, expected 3 [topic, header, payload]")
        }
    }

    /// Every check of `decode` after the frame count and before the CRC-32C (which needs the
    /// payload itself); returns the validated header.
    static func checkEnvelope(topic: [UInt8], header bytes: [UInt8], payloadCount: Int,
                              expecting e: FrameExpectations) throws(ProtocolError) -> MessageHeader {
        let header = try MessageHeader.decode(bytes)
        guard e.allowedKinds.contains(header.kind) else {
            throw ProtocolError(.unknownKind, "kind \(header.kind) not accepted on this channel")
        }
        guard topic.elementsEqual(header.kind.topic.utf8) else {
            throw ProtocolError(.wrongTopic, "topic \"\(String(decoding: topic, as: UTF8.self))\" for kind \(header.kind)")
        }
        guard header.runID == e.runID else {
            throw ProtocolError(.wrongRunID, "run id \(header.runID) != expected \(e.runID)")
        }
        guard header.fingerprint == e.fingerprint || (e.acceptsUnknownFingerprint && header.fingerprint == 0) else {
            throw ProtocolError(.fingerprintMismatch, "architecture fingerprint \(hex(header.fingerprint)) != \(hex(e.fingerprint))")
        }
        guard header.payloadLength == UInt64(payloadCount) else {
            throw ProtocolError(.payloadLengthMismatch, "header says \(header.payloadLength) payload bytes, frame has \(payloadCount)")
        }
        guard payloadCount <= e.maxPayloadBytes else {
            throw ProtocolError(.oversizePayload, "payload of \(payloadCount) bytes exceeds \(e.maxPayloadBytes)")
        }
        return header
    }

    /// The last check of `decode`: the payload's CRC-32C `crc` is the header's.
    static func verifyChecksum(_ crc: UInt32, header: MessageHeader) throws(ProtocolError) {
        guard crc == header.payloadChecksum else {
            throw ProtocolError(.badChecksum, "payload CRC-32C \(hex(crc)) != header \(hex(header.payloadChecksum))")
        }
    }

    static func hex<T: BinaryInteger>(_ v: T) -> String { "0x" + String(v, radix: 16) }
}
