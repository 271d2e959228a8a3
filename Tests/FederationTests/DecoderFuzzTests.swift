import FedMQProtocol
import SafeTensorsFormat
import TensorCore
import Testing

/// Deterministic mutation fuzzing of every decoder a receiver runs on network input (see
/// `MessageMutator`). Property: a decoder never crashes; it either throws a `ProtocolError`
/// (`SafeTensorsError` for the bare parser) with a reason and a message, or returns a value
/// whose frames re-encode to exactly the input bytes and whose payload re-encodes to the same
/// values. `scripts/fuzz.sh` runs the same decoders under libFuzzer and AddressSanitizer.
@Suite struct DecoderFuzzTests {
    /// Small payload bound and norm bound so oversize and norm rejections are reachable.
    static let codec = MessageCodec(layout: smallLayout, runID: 7, payloadCodec: SafeTensorsPayloadCodec(),
                                    maxPayloadBytes: 512, normPolicy: .reject(above: 20))
    /// Header expectations that accept every kind: isolates `FrameCodec`'s byte-exact round trip.
    static let anyKind = FrameExpectations(runID: 7, fingerprint: smallLayout.fingerprint, maxPayloadBytes: 512,
                                           allowedKinds: Set(MessageKind.allCases), acceptsUnknownFingerprint: true)
    /// Reasons only the aggregator's registry and strategy give, never a decoder.
    static let aggregatorOnly: Set<RejectionReason> = [.tooStale, .futureVersion, .unknownTrainer, .duplicateSequence, .unauthorizedKey, .contributionLimit]

    /// 200 000 mutations of 512 valid messages (about 6 s in a debug build).
    @Test func mutatedMessagesAreDecodedExactlyOrRejectedWithAReason() {
        var mutator = MessageMutator(codec: Self.codec, seed: 0xF022)
        let pool = (0..<512).map { _ in mutator.validMessage() }
        var tally = Tally()
        for i in 0..<200_000 {
            Self.check(mutator.mutate(pool[i % pool.count], donor: pool[(i * 7 + 3) % pool.count]), &tally)
        }
        let decoderReasons = Set(RejectionReason.allCases).subtracting(Self.aggregatorOnly)
        #expect(Set(tally.reasons.keys) == decoderReasons, "reasons never produced: \(decoderReasons.subtracting(tally.reasons.keys))")
        #expect(tally.updates > 100 && tally.broadcasts > 100 && tally.controls > 100, "\(tally)")
        #expect(tally.controlKinds == Set(MessageKind.allCases.filter { $0.topic == "control" }), "\(tally.controlKinds)")
    }

    @Test func mutatedSafeTensorsPayloadsParseConsistentlyOrFailWithACode() throws {
        var mutator = MessageMutator(codec: Self.codec, seed: 0x5AFE)
        let pool = (0..<512).map { _ in mutator.validMessage() }
        var parsed = 0
        var codes = Set<SafeTensorsError.Code>()
        for i in 0..<100_000 {
            guard let payload = mutator.mutate(pool[i % pool.count], donor: pool[(i * 5 + 1) % pool.count]).last else { continue }
            do {
                let file = try SafeTensors.decode(payload)
                for named in file.tensors { #expect(named.tensor.count == named.tensor.shape.reduce(1, *)) }
                let again = try SafeTensors.decode(SafeTensors.encode(file.tensors, metadata: file.metadata))
                #expect(again.metadata == file.metadata)
                #expect(again.tensors.map(\.name) == file.tensors.map(\.name))
                #expect(again.tensors.map { $0.tensor.storage.map(\.bitPattern) } == file.tensors.map { $0.tensor.storage.map(\.bitPattern) })
                parsed += 1
            } catch {
                #expect(!error.message.isEmpty)
                codes.insert(error.code)
            }
        }
        #expect(parsed > 1000)
        #expect(codes.isSuperset(of: [.truncated, .invalidJSON, .offsetsOutOfRange, .sizeMismatch]), "\(codes)")
    }

    // MARK: Property

    struct Tally: CustomStringConvertible {
        var reasons: [RejectionReason: Int] = [:]
        var updates = 0, broadcasts = 0, controls = 0
        /// Kinds of the control messages the decoder accepted (every control kind is fuzzed).
        var controlKinds: Set<MessageKind> = []
        var description: String { "accepted: \(updates) updates, \(broadcasts) broadcasts, \(controls) control; rejected: \(reasons)" }

        mutating func rejected(_ error: ProtocolError) {
            #expect(!error.message.isEmpty)
            reasons[error.reason, default: 0] += 1
        }
    }

    /// Runs the update, broadcast and control decoders on `frames` and checks the property.
    static func check(_ frames: [[UInt8]], _ tally: inout Tally) {
        do throws(ProtocolError) {
            let u = try codec.decodeUpdate(frames)
            try expectExactFrames(frames)
            let again = try codec.decodeUpdate(codec.update(
                delta: u.delta, baseVersion: u.baseVersion, trainerID: u.trainerID, sequence: u.sequence,
                sampleCount: u.sampleCount, trainingLoss: u.trainingLoss))
            #expect(again.delta.map(\.bitPattern) == u.delta.map(\.bitPattern) && again.sampleCount == u.sampleCount)
            tally.updates += 1
        } catch { tally.rejected(error) }
        do throws(ProtocolError) {
            let broadcast = try codec.decodeBroadcast(frames)
            try expectExactFrames(frames)
            if case .model(let version, let weights) = broadcast,
               case .model(let v, let w) = try codec.decodeBroadcast(codec.model(weights, version: version)) {
                #expect(v == version && w.map(\.bitPattern) == weights.map(\.bitPattern))
            }
            tally.broadcasts += 1
        } catch { tally.rejected(error) }
        do throws(ProtocolError) {
            let control = try codec.decodeControl(frames)
            try expectExactFrames(frames)
            let again = try codec.decodeControl(codec.control(control))
            #expect(again == control)
            tally.controls += 1
            if let kind = try? MessageHeader.decode(frames[1]).kind { tally.controlKinds.insert(kind) }
        } catch { tally.rejected(error) }
    }

    /// Frames that a decoder accepted re-encode, header and all, to exactly the same bytes.
    static func expectExactFrames(_ frames: [[UInt8]]) throws(ProtocolError) {
        let message = try FrameCodec.decode(frames, expecting: anyKind)
        #expect(FrameCodec.encode(message) == frames)
    }
}
