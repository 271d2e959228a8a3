import FedMQProtocol
import SafeTensorsFormat
import TensorCore

/// Crafted hostile update messages from one registered trainer, each paired with the reason
/// the aggregator must reject it for. Every message except the replay uses a fresh sequence
/// number, so each is refused for its own defect only.
struct HostileMessages {
    let codec: MessageCodec
    let trainerID: UInt32
    /// The current global version (a valid base).
    let base: UInt64
    /// A sequence number the aggregator has already accepted from `trainerID`.
    let acceptedSequence: UInt64
    private var random: SeededGenerator
    private var sequence: UInt64

    init(codec: MessageCodec, trainerID: UInt32, base: UInt64, acceptedSequence: UInt64, seed: UInt64) {
        self.codec = codec
        self.trainerID = trainerID
        self.base = base
        self.acceptedSequence = acceptedSequence
        random = SeededGenerator(seed: seed)
        sequence = acceptedSequence
    }

    /// A valid update with the next sequence number.
    mutating func good(delta: [Float]? = nil, base: UInt64? = nil, trainer: UInt32? = nil, sequence fixed: UInt64? = nil,
                       samples: UInt32 = 10, loss: Float = 0.5) -> [[UInt8]] {
        sequence += 1
        return codec.update(delta: delta ?? smallDelta, baseVersion: base ?? self.base, trainerID: trainer ?? trainerID,
                            sequence: fixed ?? sequence, sampleCount: samples, trainingLoss: loss)
    }

    /// Every hostile update with its expected rejection.
    mutating func all() -> [(RejectionReason, [[UInt8]])] {
        let count = codec.layout.count
        var nan = smallDelta, inf = smallDelta
        nan[1] = .nan
        inf[count - 1] = -.infinity
        let renamed = ParameterLayout(codec.layout.parameters.map { ParameterSpec(name: $0.name + "_x", shape: $0.shape) })
        let reshaped = ParameterLayout(codec.layout.parameters.map { ParameterSpec(name: $0.name, shape: [$0.shape.reduce(1, *)]) })
        return [
            (.wrongFrameCount, [bytes(200)]),
            (.badMagic, [Array("update".utf8), bytes(MessageHeader.byteCount), bytes(64)]),
            (.wrongFrameCount, Array(good().prefix(2))),
            (.wrongFrameCount, good() + [bytes(8)]),
            (.shortHeader, edit(good()) { $0[1].removeLast(20) }),
            (.payloadLengthMismatch, edit(good()) { $0[2].removeLast(10) }),
            (.unsupportedVersion, header(good()) { $0.protocolVersion = 2 }),
            (.unknownKind, codec.model(smallDelta, version: base)),
            (.wrongTopic, edit(good()) { $0[0] = Array("control".utf8) }),
            (.wrongRunID, header(good()) { $0.runID += 1 }),
            (.fingerprintMismatch, header(good()) { $0.fingerprint ^= 1 }),
            (.badChecksum, header(good()) { $0.payloadChecksum ^= 1 }),
            (.payloadDecode, payload(good(), SafeTensors.encode(flat: smallDelta, layout: renamed))),
            (.payloadDecode, payload(good(), SafeTensors.encode(flat: smallDelta, layout: reshaped))),
            (.oversizePayload, payload(good(), bytes(codec.maxPayloadBytes + 1000))),
            (.invalidField, good(samples: 0)),
            (.nonFinite, good(loss: .nan)),
            (.nonFinite, good(delta: nan)),
            (.nonFinite, good(delta: inf)),
            (.normExceeded, good(delta: smallDelta.map { $0 * 1e6 })),
            (.duplicateSequence, good(sequence: acceptedSequence)),
            (.futureVersion, good(base: base + 1)),
            (.unknownTrainer, good(trainer: trainerID + 1000)),
        ]
    }

    /// An update whose valid header announces a payload of `count` random bytes (CRC-32C and
    /// length correct).
    mutating func withPayload(bytes count: Int) -> [[UInt8]] {
        payload(good(), bytes(count))
    }

    mutating func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) }
    }

    var smallDelta: [Float] { (0..<codec.layout.count).map { Float($0 % 3) * 0.25 - 0.25 } }

    private func edit(_ frames: [[UInt8]], _ change: (inout [[UInt8]]) -> Void) -> [[UInt8]] {
        var out = frames
        change(&out)
        return out
    }

    /// `frames` with header fields changed (the header re-encoded as is, CRC untouched).
    private func header(_ frames: [[UInt8]], _ change: (inout MessageHeader) -> Void) -> [[UInt8]] {
        guard var h = try? MessageHeader.decode(frames[1]) else { return frames }
        change(&h)
        return [frames[0], h.encoded(), frames[2]]
    }

    /// `frames` carrying `payload` instead, with a consistent length and CRC-32C.
    private func payload(_ frames: [[UInt8]], _ payload: [UInt8]) -> [[UInt8]] {
        guard let h = try? MessageHeader.decode(frames[1]) else { return frames }
        return FrameCodec.encode(Message(header: h, payload: payload))
    }
}
