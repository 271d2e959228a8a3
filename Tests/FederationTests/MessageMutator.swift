import FedMQProtocol
import TensorCore

/// Seeded generator of valid federation messages and of mutations of them, for the decoder
/// property tests: bit flips, byte overwrites, truncations, extensions, splices between
/// messages, dropped or repeated frames, random frames, header fields set to other values,
/// and payload edits with the CRC-32C and payload length repaired so the damage reaches the
/// payload decoder.
struct MessageMutator {
    /// The codec whose messages are generated (its layout, run id and fingerprint).
    let codec: MessageCodec
    private var random: SeededGenerator
    /// Longest payload extension, bytes (a little above the codec's payload bound).
    private let maxExtension: Int

    init(codec: MessageCodec, seed: UInt64) {
        self.codec = codec
        random = SeededGenerator(seed: seed)
        maxExtension = codec.maxPayloadBytes + 64
    }

    // MARK: Valid messages

    /// A valid message of a random kind with random field values.
    mutating func validMessage() -> [[UInt8]] {
        let scale: Float = below(8) == 0 ? 100 : 1
        let delta = (0..<codec.layout.count).map { _ in (random.nextUnitFloat() * 2 - 1) * scale }
        switch below(7) {
        case 0, 1:
            return codec.update(delta: delta, baseVersion: number(), trainerID: UInt32(truncatingIfNeeded: number()),
                                sequence: number(), sampleCount: UInt32(below(1000)), trainingLoss: random.nextUnitFloat())
        case 2: return codec.model(delta, version: number())
        case 3: return codec.stop(version: number(), reason: "stop \(below(100))")
        case 4: return codec.control(.register(RegisterRequest(identity: below(2) == 0 ? nil : "t-\(below(9))"), sequence: number()))
        case 5:
            return codec.control(.registered(Registration(
                trainerID: UInt32(below(50)), shardIndex: below(4), shardCount: 4, partition: "iid", seed: number(),
                modelVersion: number())))
        default:
            let id = UInt32(truncatingIfNeeded: number())
            switch below(6) {
            case 0: return codec.control(.heartbeat(trainerID: id, sequence: number()))
            case 1: return codec.control(.goodbye(trainerID: id, sequence: number()))
            case 2: return codec.control(.unregistered(trainerID: id, sequence: number()))
            case 3:
                return codec.control(.updateResult(UpdateResult(
                    trainerID: id, sequence: number(), baseVersion: number(), modelVersion: number(),
                    rejection: below(2) == 0 ? nil : RejectionReason.allCases[below(RejectionReason.allCases.count)])))
            case 4: return codec.control(.evaluate(version: number()))
            default:
                return codec.control(.evaluation(EvaluationReport(
                    trainerID: id, sequence: number(), version: number(), samples: UInt32(1 + below(5000)),
                    loss: Double(random.nextUnitFloat()) * 3, accuracy: Double(random.nextUnitFloat()))))
            }
        }
    }

    // MARK: Mutations

    /// `frames` with one to three random mutations; `donor` supplies bytes for splices.
    mutating func mutate(_ frames: [[UInt8]], donor: [[UInt8]]) -> [[UInt8]] {
        var out = frames
        for _ in 0...below(3) { mutateOnce(&out, donor: donor) }
        if below(2) == 0 { repairPayloadFields(&out) }
        return out
    }

    private mutating func mutateOnce(_ frames: inout [[UInt8]], donor: [[UInt8]]) {
        switch below(10) {
        case 0: flipBit(&frames)
        case 1: overwriteByte(&frames)
        case 2: truncate(&frames)
        case 3: extend(&frames)
        case 4: splice(&frames, donor: donor)
        case 5: changeFrameCount(&frames, donor: donor)
        case 6: frames = randomFrames()
        case 7, 8: setHeaderField(&frames)
        default: editPayloadJSON(&frames)
        }
    }

    private mutating func flipBit(_ frames: inout [[UInt8]]) {
        guard let (f, i) = position(in: frames) else { return }
        frames[f][i] ^= UInt8(1) << UInt8(below(8))
    }

    private mutating func overwriteByte(_ frames: inout [[UInt8]]) {
        guard let (f, i) = position(in: frames) else { return }
        let interesting: [UInt8] = [0, 1, 0x7F, 0x80, 0xFF, UInt8(ascii: "\""), UInt8(ascii: "9"), UInt8(ascii: "-")]
        frames[f][i] = below(2) == 0 ? interesting[below(interesting.count)] : UInt8(truncatingIfNeeded: random.next())
    }

    private mutating func truncate(_ frames: inout [[UInt8]]) {
        guard !frames.isEmpty else { return }
        let f = below(frames.count)
        frames[f] = Array(frames[f].prefix(below(frames[f].count + 1)))
    }

    private mutating func extend(_ frames: inout [[UInt8]]) {
        guard !frames.isEmpty else { return }
        let count = below(16) == 0 ? below(maxExtension + 1) : below(16)
        frames[below(frames.count)] += bytes(count)
    }

    /// Replaces a range of one frame with a range of the donor's frame of the same index.
    private mutating func splice(_ frames: inout [[UInt8]], donor: [[UInt8]]) {
        guard !frames.isEmpty else { return }
        let f = below(frames.count)
        let other = f < donor.count ? donor[f] : bytes(below(100))
        let cut = below(frames[f].count + 1)
        let from = below(other.count + 1)
        frames[f] = Array(frames[f].prefix(cut)) + other[from...]
    }

    private mutating func changeFrameCount(_ frames: inout [[UInt8]], donor: [[UInt8]]) {
        switch below(3) {
        case 0 where !frames.isEmpty: frames.remove(at: below(frames.count))
        case 1 where !frames.isEmpty: frames.insert(frames[below(frames.count)], at: below(frames.count + 1))
        default: frames.append(donor.last ?? [])
        }
    }

    private mutating func randomFrames() -> [[UInt8]] {
        (0..<below(6)).map { _ in bytes(below(4) == 0 ? MessageHeader.byteCount : below(200)) }
    }

    /// Sets one header field (offsets 4…79) to a boundary or random value of its width.
    private mutating func setHeaderField(_ frames: inout [[UInt8]]) {
        guard frames.count > 1, frames[1].count == MessageHeader.byteCount else { return }
        let fields: [(offset: Int, width: Int)] = [
            (4, 2), (6, 2), (8, 8), (16, 8), (24, 8), (32, 8), (40, 8), (48, 8),
            (56, 4), (60, 4), (64, 4), (68, 4), (72, 4), (76, 4),
        ]
        let field = fields[below(fields.count)]
        let choices: [UInt64] = [0, 1, 2, 7, UInt64.max, UInt64(Float.nan.bitPattern), UInt64(Float.infinity.bitPattern), random.next()]
        var value = choices[below(choices.count)]
        for i in 0..<field.width {
            frames[1][field.offset + i] = UInt8(truncatingIfNeeded: value)
            value >>= 8
        }
    }

    /// Overwrites a digit, quote, bracket or comma of the payload's JSON text with another
    /// such character (keeps the damage inside the safetensors header).
    private mutating func editPayloadJSON(_ frames: inout [[UInt8]]) {
        guard frames.count == 3, frames[2].count > 8 else { return }
        let end = min(frames[2].count, 8 + Int(frames[2][0]) + Int(frames[2][1]) << 8)
        guard end > 8 else { return }
        let tokens = Array("0123456789-\"[]{},:.eE ".utf8)
        frames[2][8 + below(end - 8)] = tokens[below(tokens.count)]
    }

    /// Makes the header's payload length and CRC-32C agree with the (mutated) payload frame.
    private func repairPayloadFields(_ frames: inout [[UInt8]]) {
        guard frames.count == 3, let header = try? MessageHeader.decode(frames[1]) else { return }
        frames[1] = FrameCodec.encode(Message(header: header, payload: frames[2]))[1]
    }

    // MARK: Randomness

    private mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(random.next() % UInt64(n)) }

    private mutating func number() -> UInt64 { below(4) == 0 ? random.next() : UInt64(below(20)) }

    private mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) } }

    private mutating func position(in frames: [[UInt8]]) -> (Int, Int)? {
        let nonEmpty = frames.indices.filter { !frames[$0].isEmpty }
        guard !nonEmpty.isEmpty else { return nil }
        let f = nonEmpty[below(nonEmpty.count)]
        return (f, below(frames[f].count))
    }
}
