import FedMQProtocol
import FedMQTools
import SafeTensorsFormat
import Testing

// The model broadcast decode through the fused pass that updates use (CRC-32C, copy and
// finite check in one pass, into reused storage) against the old three-pass path
// (`UnfusedBroadcastDecoder`): the same broadcasts accepted with the same values, the same
// ones rejected for the same reason, and the caller's storage reused.

/// Models whose weights the fused finite check must judge: NaN, ±∞ (rejected) and a finite
/// value whose square overflows the sum of squares (accepted).
private func edgeModels(_ codec: MessageCodec) -> [[[UInt8]]] {
    [Float.nan, .infinity, -.infinity, 3e38, -3e38].enumerated().map { index, value in
        var weights = randomVector(codec.layout.count, seed: UInt64(index))
        weights[index % weights.count] = value
        return codec.model(weights, version: UInt64(index), publishedAt: 1.7e9)
    }
}

/// The fused decode of `frames`, through the frames API or, when `misalignment` is given and
/// there are three frames, with the payload borrowed `misalignment` bytes past an allocation's start.
private func fused(_ frames: [[UInt8]], codec: MessageCodec, misalignment: Int?, spare: inout [Float],
                   plans: inout SafeTensorsPlanCache) -> Result<ModelBroadcast, ProtocolError> {
    guard let misalignment, frames.count == 3 else {
        return Result { () throws(ProtocolError) in try codec.decodeBroadcast(frames, reusing: &spare, plans: &plans) }
    }
    let shifted = [UInt8](repeating: 0x5A, count: misalignment) + frames[2]
    return shifted.withUnsafeBytes { raw in
        Result { () throws(ProtocolError) in
            try codec.decodeBroadcast(topic: frames[0], header: frames[1], payload: UnsafeRawBufferPointer(rebasing: raw[misalignment...]),
                                      reusing: &spare, plans: &plans)
        }
    }
}

@Test func fusedBroadcastDecodeAgreesWithTheOldPath() {
    let codec = MessageCodec(layout: smallLayout, runID: 7, payloadCodec: SafeTensorsPayloadCodec(), maxPayloadBytes: 512)
    var mutator = MessageMutator(codec: codec, seed: 0xB0AD)
    let pool = (0..<256).map { _ in mutator.validMessage() } + edgeModels(codec)
    var spare: [Float] = []
    var plans = SafeTensorsPlanCache()
    var outcomes: [String: Int] = [:]
    for i in 0..<40_000 {
        let original = pool[i % pool.count]
        let frames = i < 2 * pool.count ? original : mutator.mutate(original, donor: pool[(i * 7 + 3) % pool.count])
        let old = Result { () throws(ProtocolError) in try UnfusedBroadcastDecoder.decode(frames, codec: codec) }
        let new = fused(frames, codec: codec, misalignment: i % 3 == 0 ? nil : i % 4, spare: &spare, plans: &plans)
        switch (old, new) {
        case (.success(.model(let v0, let w0)), .success(.model(let v1, let w1))):
            #expect(v0 == v1 && w0.map(\.bitPattern) == w1.map(\.bitPattern), "message \(i)")
            outcomes["model", default: 0] += 1
            spare = w1  // handed back, as a trainer would
        case (.success(.stop(let v0, let r0)), .success(.stop(let v1, let r1))):
            #expect(v0 == v1 && r0 == r1, "message \(i)")
            outcomes["stop", default: 0] += 1
        case (.failure(let e0), .failure(let e1)):
            #expect(e0.reason == e1.reason, "message \(i): old \(e0), fused \(e1)")
            outcomes[e0.reason.rawValue, default: 0] += 1
        default:
            Issue.record("message \(i): old \(old), fused \(new)")
        }
    }
    // The comparison must cover each outcome, or it proves little.
    let reasons: [RejectionReason] = [.wrongFrameCount, .shortHeader, .badMagic, .unsupportedVersion, .unknownKind, .wrongTopic,
                                      .wrongRunID, .fingerprintMismatch, .payloadLengthMismatch, .oversizePayload, .badChecksum,
                                      .payloadDecode, .nonFinite]
    for outcome in ["model", "stop"] + reasons.map(\.rawValue) { #expect(outcomes[outcome, default: 0] > 0, "never \(outcome): \(outcomes)") }
}

@Test func fusedBroadcastDecodeReusesTheCallersStorage() throws {
    let layout = ParameterLayout([ParameterSpec(name: "w", shape: [4, 1000]), ParameterSpec(name: "b", shape: [4])])
    let codec = MessageCodec(layout: layout, runID: 3, payloadCodec: SafeTensorsPayloadCodec())
    let a = randomVector(layout.count, seed: 1), b = randomVector(layout.count, seed: 2)
    var spare: [Float] = []
    var plans = SafeTensorsPlanCache()
    let address: UnsafeRawPointer?
    do {  // `first` ends with this scope: handed back, the storage must be the caller's alone
        guard case .model(1, let first) = try codec.decodeBroadcast(codec.model(a, version: 1, publishedAt: 1), reusing: &spare, plans: &plans)
        else { Issue.record("not model 1"); return }
        #expect(first == a && spare.isEmpty)
        address = first.withUnsafeBytes { $0.baseAddress }
        spare = first
    }
    // A stop and a rejected model leave the storage with the caller.
    _ = try codec.decodeBroadcast(codec.stop(version: 1, reason: "done"), reusing: &spare, plans: &plans)
    var corrupt = codec.model(b, version: 2)
    corrupt[2][corrupt[2].count - 5] ^= 0x10
    #expect(expectRejection(.badChecksum) { _ = try codec.decodeBroadcast(corrupt, reusing: &spare, plans: &plans) })
    #expect(spare.withUnsafeBytes { $0.baseAddress } == address && spare.count == layout.count)
    // The next model of the same size is decoded into that storage: no reallocation.
    guard case .model(2, let second) = try codec.decodeBroadcast(codec.model(b, version: 2, publishedAt: 2), reusing: &spare, plans: &plans)
    else { Issue.record("not model 2"); return }
    #expect(second == b && second.withUnsafeBytes { $0.baseAddress } == address && spare.isEmpty)
}
