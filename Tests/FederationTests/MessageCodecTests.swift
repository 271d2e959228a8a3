import FedMQProtocol
import SafeTensorsFormat
import TensorCore
import Testing

@Test func headerRoundTripsEveryField() throws {
    var h = MessageHeader(kind: .update, runID: 0x0102_0304_0506_0708, fingerprint: 0xDEAD_BEEF_CAFE_F00D)
    h.modelVersion = 12; h.baseVersion = 9; h.sequence = 44; h.payloadLength = 1234
    h.trainerID = 3; h.sampleCount = 600; h.trainingLoss = 0.75; h.payloadChecksum = 0xAABB_CCDD; h.flags = .delta
    let bytes = h.encoded()
    #expect(bytes.count == MessageHeader.byteCount)
    #expect(Array(bytes[0..<4]) == Array("FMQ1".utf8))
    #expect(bytes[6] == 2 && bytes[7] == 0)  // kind little-endian
    #expect(bytes[8] == 0x08 && bytes[15] == 0x01)  // run id little-endian
    #expect(try MessageHeader.decode(bytes) == h)
}

@Test func updateRoundTripsThroughFrames() throws {
    let codec = smallCodec()
    let delta = randomVector(smallLayout.count, seed: 1)
    let frames = codec.update(delta: delta, baseVersion: 5, trainerID: 2, sequence: 9, sampleCount: 32, trainingLoss: 1.5)
    #expect(frames.count == 3)
    #expect(frames[0] == Array("update".utf8))
    let u = try codec.decodeUpdate(frames)
    #expect(u.delta == delta)
    #expect(u.baseVersion == 5 && u.trainerID == 2 && u.sequence == 9 && u.sampleCount == 32 && u.trainingLoss == 1.5)
    #expect(!u.clipped)
}

@Test func modelAndStopBroadcastsRoundTrip() throws {
    let codec = smallCodec()
    let weights = randomVector(smallLayout.count, seed: 2)
    guard case .model(let v, let w) = try codec.decodeBroadcast(codec.model(weights, version: 17)) else {
        Issue.record("expected a model"); return
    }
    #expect(v == 17 && w == weights)
    guard case .stop(let sv, let reason) = try codec.decodeBroadcast(codec.stop(version: 18, reason: "done")) else {
        Issue.record("expected stop"); return
    }
    #expect(sv == 18 && reason == "done")
}

@Test func controlMessagesRoundTrip() throws {
    let codec = smallCodec()
    let registration = Registration(trainerID: 4, shardIndex: 1, shardCount: 3, partition: "iid", seed: 9, modelVersion: 2)
    for message: ControlMessage in [
        .register(RegisterRequest(identity: "t-1"), sequence: 1), .register(RegisterRequest(), sequence: 1),
        .registered(registration), .heartbeat(trainerID: 4, sequence: 2), .goodbye(trainerID: 4, sequence: 3),
        .unregistered(trainerID: 4, sequence: 2),
    ] {
        #expect(try codec.decodeControl(codec.control(message)) == message)
    }
}

@Test func unregisteredIsAControlReplyWithTheTrainerIDAndTheRequestsSequence() throws {
    let codec = smallCodec()
    let frames = codec.control(.unregistered(trainerID: 0x0102_0304, sequence: 0x0A0B))
    #expect(frames[0] == Array("control".utf8) && frames[2].isEmpty)
    let header = try MessageHeader.decode(frames[1])
    #expect(frames[1][6] == 8 && frames[1][7] == 0)  // kind 8, little-endian
    #expect(header.kind == .unregistered && header.trainerID == 0x0102_0304 && header.sequence == 0x0A0B)
    #expect(expectRejection(.unknownKind) { _ = try codec.decodeUpdate(frames) })
    #expect(expectRejection(.unknownKind) { _ = try codec.decodeBroadcast(frames) })
    var renamed = frames
    renamed[0] = Array("model".utf8)
    #expect(expectRejection(.wrongTopic) { _ = try codec.decodeControl(renamed) })
    #expect(expectRejection(.wrongRunID) { _ = try smallCodec(runID: 8).decodeControl(frames) })
}

/// A good update's frames, with `mutate` applied to them (header re-encoded when touched).
private func mutatedUpdate(_ mutate: (inout [[UInt8]]) -> Void) -> [[UInt8]] {
    var frames = smallCodec().update(
        delta: randomVector(smallLayout.count, seed: 3), baseVersion: 1, trainerID: 1, sequence: 1,
        sampleCount: 10, trainingLoss: 0.5)
    mutate(&frames)
    return frames
}

private func patchHeader(_ frames: inout [[UInt8]], _ change: (inout MessageHeader) -> Void) {
    var h = try! MessageHeader.decode(frames[1])
    change(&h)
    frames[1] = h.encoded()
}

/// Makes the header's length and checksum match a modified payload frame.
private func resealPayload(_ frames: inout [[UInt8]]) {
    let payload = frames[2]
    patchHeader(&frames) { $0.payloadLength = UInt64(payload.count); $0.payloadChecksum = CRC32C.checksum(payload) }
}

@Test(arguments: [
    RejectionReason.wrongFrameCount, .shortHeader, .badMagic, .unsupportedVersion, .unknownKind, .wrongTopic,
    .wrongRunID, .fingerprintMismatch, .payloadLengthMismatch, .badChecksum, .oversizePayload, .payloadDecode,
    .invalidField,
])
func eachMalformedUpdateIsRejectedWithItsReason(_ reason: RejectionReason) {
    let frames = mutatedUpdate { f in
        switch reason {
        case .wrongFrameCount: f.removeFirst()
        case .shortHeader: f[1].removeLast()
        case .badMagic: f[1][3] = UInt8(ascii: "2")
        case .unsupportedVersion: f[1][4] = 9
        case .unknownKind: f[1][6] = 99
        case .wrongTopic: f[0] = Array("model".utf8)
        case .wrongRunID: patchHeader(&f) { $0.runID = 8 }
        case .fingerprintMismatch: patchHeader(&f) { $0.fingerprint ^= 1 }
        case .payloadLengthMismatch: f[2].append(0)
        case .badChecksum: f[2][f[2].count - 1] ^= 0x40
        case .oversizePayload:
            f[2] += [UInt8](repeating: 0, count: 1 << 20)
            resealPayload(&f)
        case .payloadDecode:
            f[2] = Array(f[2].dropLast(4))
            resealPayload(&f)
        case .invalidField: patchHeader(&f) { $0.sampleCount = 0 }
        default: break
        }
    }
    #expect(expectRejection(reason) { _ = try smallCodec().decodeUpdate(frames) })
}

@Test func controlMessagesMayCarryAnUnknownFingerprintButNotAWrongOne() throws {
    let codec = smallCodec()
    var frames = codec.control(.register(RegisterRequest(identity: "py"), sequence: 1))
    patchHeader(&frames) { $0.fingerprint = 0 }
    #expect(try codec.decodeControl(frames) == .register(RegisterRequest(identity: "py"), sequence: 1))
    patchHeader(&frames) { $0.fingerprint = 5 }
    #expect(expectRejection(.fingerprintMismatch) { _ = try codec.decodeControl(frames) })
    var update = codec.update(delta: randomVector(8, seed: 1), baseVersion: 0, trainerID: 1, sequence: 1, sampleCount: 1, trainingLoss: 0)
    patchHeader(&update) { $0.fingerprint = 0 }
    #expect(expectRejection(.fingerprintMismatch) { _ = try codec.decodeUpdate(update) })
}

@Test func modelKindIsNotAcceptedOnTheUpdateChannel() {
    let frames = smallCodec().model(randomVector(smallLayout.count, seed: 4), version: 1)
    #expect(expectRejection(.unknownKind) { _ = try smallCodec().decodeUpdate(frames) })
}

@Test func payloadForAnotherLayoutIsRejected() {
    let other = ParameterLayout([ParameterSpec(name: "fc.weight", shape: [3, 2]), ParameterSpec(name: "fc.bias", shape: [2])])
    let foreign = MessageCodec(layout: other, runID: 7, payloadCodec: SafeTensorsPayloadCodec())
    var frames = foreign.update(delta: randomVector(8, seed: 5), baseVersion: 0, trainerID: 1, sequence: 1, sampleCount: 1, trainingLoss: 0)
    // Same fingerprint as ours so only the payload check can catch the shape difference.
    patchHeader(&frames) { $0.fingerprint = smallLayout.fingerprint }
    #expect(expectRejection(.payloadDecode) { _ = try smallCodec().decodeUpdate(frames) })
}

@Test func nonFiniteValuesAreRejected() {
    for bad in [Float.nan, .infinity, -.infinity] {
        var delta = randomVector(smallLayout.count, seed: 6)
        delta[5] = bad
        let frames = smallCodec().update(delta: delta, baseVersion: 0, trainerID: 1, sequence: 1, sampleCount: 1, trainingLoss: 0)
        #expect(expectRejection(.nonFinite) { _ = try smallCodec().decodeUpdate(frames) })
    }
}

@Test func normBoundRejectsOrClips() throws {
    let delta: [Float] = [3, 0, 0, 0, 4, 0, 0, 0]  // norm 5
    let frames = smallCodec().update(delta: delta, baseVersion: 0, trainerID: 1, sequence: 1, sampleCount: 1, trainingLoss: 0)
    #expect(expectRejection(.normExceeded) { _ = try smallCodec(normPolicy: .reject(above: 4.9)).decodeUpdate(frames) })
    #expect(try smallCodec(normPolicy: .reject(above: 5.1)).decodeUpdate(frames).delta == delta)
    let clipped = try smallCodec(normPolicy: .clip(to: 2.5)).decodeUpdate(frames)
    #expect(clipped.clipped && clipped.receivedNorm == 5)
    #expect(clipped.delta == [1.5, 0, 0, 0, 2, 0, 0, 0])
    #expect(try UpdateNormPolicy(parsing: "clip:2.5") == .clip(to: 2.5))
    #expect(throws: ConfigurationError.self) { try UpdateNormPolicy(parsing: "clip:-1") }
}

@Test func safetensorsHeaderIsPyTorchCompatible() throws {
    let bytes = SafeTensorsPayloadCodec().encode(flat: randomVector(8, seed: 7), layout: smallLayout, metadata: ["k": "v"])
    let n = Int(bytes[0]) | Int(bytes[1]) << 8
    #expect(n % 8 == 0 && bytes.count == 8 + n + 32)
    let header = String(decoding: bytes[8..<(8 + n)], as: UTF8.self)
    #expect(header.contains("\"fc.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}"))
    #expect(header.contains("\"fc.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[24,32]}"))
    #expect(try SafeTensorsPayloadCodec().decode(bytes, layout: smallLayout).metadata == ["k": "v"])
}

@Test(arguments: ["cnn", "mlp"])
func realMessagesFitTheDefaultSizeLimitsWithRoomForOversizeRejections(model: String) throws {
    let architecture = try ModelArchitecture.named(model)
    let layout = architecture.layout
    let codec = MessageCodec(layout: layout, runID: 1, payloadCodec: SafeTensorsPayloadCodec())
    let weights = architecture.build(seed: 1).parameters
    let frames = [codec.model(weights, version: UInt64.max),
                  codec.update(delta: weights, baseVersion: UInt64.max, trainerID: .max, sequence: .max, sampleCount: .max, trainingLoss: 1)]
    for message in frames {
        #expect(message[2].count <= codec.maxPayloadBytes && codec.maxPayloadBytes == MessageSizeLimit.payloadBytes(for: layout))
        #expect(message.map(\.count).max()! < MessageSizeLimit.messageBytes(for: layout))
    }
    #expect(MessageSizeLimit.payloadBytes(for: layout) < MessageSizeLimit.messageBytes(for: layout))
    let control = codec.control(.registered(Registration(
        trainerID: .max, shardIndex: .max, shardCount: .max, partition: "dirichlet:0.5", seed: .max, modelVersion: .max)))
    #expect(control.map(\.count).max()! < MessageSizeLimit.controlMessageBytes)
}
