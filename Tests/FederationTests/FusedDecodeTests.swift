import FedMQAggregator
import FedMQProtocol
import Logging
import SafeTensorsFormat
import TensorCore
import Testing
import VectorKernels

// The fused update decode (CRC-32C, copy, finite check and norm in one pass, into a reused
// buffer) against the unfused reference: table CRC, `SafeTensors.decodeFlat`, an element-wise
// finite check and `VectorMath.sumOfSquares`.

/// One seeded case: a layout of odd-sized tensors, written in a shuffled order, maybe damaged.
private struct FusedCase {
    enum Damage: CaseIterable { case none, nan, infinity, negativeInfinity, hugeFinite, flippedByte }

    let layout: ParameterLayout
    let delta: [Float]
    let frames: [[UInt8]]
    let damage: Damage

    init(seed: UInt64) {
        var g = SeededGenerator(seed: seed)
        let sizes = [1, 3, 7, 8, 9, 31, 33, 100, 257, 769, 6_143, 6_145, 20_011]
        let tensors = 1 + Int(g.next() % 4)
        let layout = ParameterLayout((0..<tensors).map { i in
            ParameterSpec(name: "layer\(i).weight", shape: [sizes[Int(g.next() % UInt64(sizes.count))]])
        })
        self.layout = layout
        damage = Damage.allCases[Int(seed % UInt64(Damage.allCases.count))]
        var values = (0..<layout.count).map { _ in (g.nextUnitFloat() - 0.5) * 2 }
        let position = Int(g.next() % UInt64(layout.count))
        switch damage {
        case .nan: values[position] = .nan
        case .infinity: values[position] = .infinity
        case .negativeInfinity: values[position] = -.infinity
        case .hugeFinite: values[position] = 3e38  // its square overflows; it is still finite
        case .none, .flippedByte: break
        }
        delta = values
        var order = Array(layout.parameters.indices)
        for i in order.indices.reversed() { order.swapAt(i, Int(g.next() % UInt64(i + 1))) }
        let named = order.map { index in
            let spec = layout.parameters[index], start = layout.offsets[index]
            return NamedTensor(name: spec.name, tensor: Tensor(shape: spec.shape, storage: Array(values[start..<(start + spec.count)])))
        }
        var header = MessageHeader(kind: .update, runID: 3, fingerprint: layout.fingerprint)
        header.sampleCount = 4
        header.trainerID = 2
        let padding = String(repeating: "x", count: Int(g.next() % 13))  // varies the header length
        var frames = FrameCodec.encode(Message(header: header, payload: SafeTensors.encode(named, metadata: ["pad": padding])))
        if damage == .flippedByte { frames[2][Int(g.next() % UInt64(frames[2].count))] ^= 1 << UInt8(g.next() % 8) }
        self.frames = frames
    }

    var codec: MessageCodec { MessageCodec(layout: layout, runID: 3, payloadCodec: SafeTensorsPayloadCodec()) }
}

/// The unfused reference: what was decoded and its norm, or the rejection reason.
private func referenceDecode(_ c: FusedCase) -> Result<(delta: [Float], norm: Float), ProtocolError> {
    let payload = c.frames[2]
    let header = try! MessageHeader.decode(c.frames[1])
    let crc = payload.withUnsafeBytes { ~CRC32C.tableUpdate(0xFFFF_FFFF, $0) }
    guard crc == header.payloadChecksum else { return .failure(ProtocolError(.badChecksum, "")) }
    guard let flat = try? SafeTensors.decodeFlat(payload, layout: c.layout).flat else { return .failure(ProtocolError(.payloadDecode, "")) }
    guard flat.allSatisfy(\.isFinite) else { return .failure(ProtocolError(.nonFinite, "")) }
    return .success((flat, VectorMath.sumOfSquares(flat).squareRoot()))
}

/// The fused decode of `c`'s frames with the payload at `misalignment` bytes past an
/// allocation's start, decoding into `spare` with the header plans of `plans`.
private func fusedDecode(_ c: FusedCase, misalignment: Int, spare: inout [Float],
                         plans: inout SafeTensorsPlanCache) -> Result<ClientUpdate, ProtocolError> {
    let shifted = [UInt8](repeating: 0xA5, count: misalignment) + c.frames[2]
    return shifted.withUnsafeBytes { raw in
        let payload = UnsafeRawBufferPointer(rebasing: raw[misalignment...])
        return Result { () throws(ProtocolError) in
            try c.codec.decodeUpdate(topic: c.frames[0], header: c.frames[1], payload: payload, reusing: &spare, plans: &plans)
        }
    }
}

@Test func fusedDecodeMatchesTheUnfusedReference() {
    var spare: [Float] = []
    var plans = SafeTensorsPlanCache()
    for seed in UInt64(0)..<240 {
        let c = FusedCase(seed: seed / 2)  // each case twice: the second time its header plan is cached
        if seed % 3 == 0 { spare = [Float](repeating: 7, count: Int(seed % 5)) }  // wrong size: replaced
        switch (referenceDecode(c), fusedDecode(c, misalignment: Int(seed % 4), spare: &spare, plans: &plans)) {
        case (.success(let expected), .success(let update)):
            #expect(update.delta == expected.delta, "seed \(seed)")
            let norm = update.receivedNorm
            #expect(norm == expected.norm || abs(norm - expected.norm) <= 1e-5 * expected.norm, "seed \(seed): \(norm) vs \(expected.norm)")
            #expect(update.sampleCount == 4 && update.trainerID == 2)
            spare = update.delta
        case (.failure(let expected), .failure(let error)):
            #expect(error.reason == expected.reason, "seed \(seed): \(error)")
        case (let expected, let fused):
            Issue.record("seed \(seed) (\(c.damage)): reference \(expected), fused \(fused)")
        }
    }
}

@Test func everyDamageKindIsCoveredByTheFusedCases() {
    // The cases above must hit each outcome, or the comparison proves little.
    var reasons = Set<String>()
    for seed in UInt64(0)..<120 {
        switch referenceDecode(FusedCase(seed: seed)) {
        case .success(let decoded): reasons.insert(decoded.norm.isFinite ? "accepted" : "accepted, norm ∞")
        case .failure(let error): reasons.insert(error.reason.rawValue)
        }
    }
    #expect(reasons == ["accepted", "accepted, norm ∞", RejectionReason.badChecksum.rawValue, RejectionReason.nonFinite.rawValue])
}

@Test func fusedDecodeWritesIntoTheSpareStorage() throws {
    let c = FusedCase(seed: 6)  // undamaged
    var spare = [Float](repeating: 0, count: c.layout.count)
    let address = spare.withUnsafeBytes { $0.baseAddress }
    var plans = SafeTensorsPlanCache()
    let update = try c.codec.decodeUpdate(c.frames, reusing: &spare, plans: &plans)
    #expect(update.delta.withUnsafeBytes { $0.baseAddress } == address && spare.isEmpty)
    #expect(update.delta == c.delta)
}

@Test func aCachedHeaderPlanIsUsedOnlyForTheSameHeader() throws {
    // Two tensors of one shape written in either order: headers of equal length, different
    // bytes. Decoded alternately through one cache, each must land in its own place.
    let layout = ParameterLayout([ParameterSpec(name: "a", shape: [40]), ParameterSpec(name: "b", shape: [40])])
    let codec = MessageCodec(layout: layout, runID: 3, payloadCodec: SafeTensorsPayloadCodec())
    let a = randomVector(40, seed: 1), b = randomVector(40, seed: 2)
    func frames(_ first: (String, [Float]), _ second: (String, [Float])) -> [[UInt8]] {
        var header = MessageHeader(kind: .update, runID: 3, fingerprint: layout.fingerprint)
        header.sampleCount = 1
        let tensors = [first, second].map { NamedTensor(name: $0.0, tensor: Tensor(shape: [40], storage: $0.1)) }
        return FrameCodec.encode(Message(header: header, payload: SafeTensors.encode(tensors)))
    }
    let ab = frames(("a", a), ("b", b)), ba = frames(("b", b), ("a", a))
    #expect(ab[2].count == ba[2].count && ab[2] != ba[2])
    var spare: [Float] = []
    var plans = SafeTensorsPlanCache()
    for round in 0..<6 {
        let update = try codec.decodeUpdate(round % 3 == 0 ? ba : ab, reusing: &spare, plans: &plans)
        #expect(update.delta == a + b, "round \(round)")
        spare = update.delta
    }
}

@Test func interleavedCRCMatchesTheTablesAtLongLengthsAndEveryAlignment() {
    var g = SeededGenerator(seed: 11)
    let data = (0..<(3 * 8192 * 2 + 3 * 256 * 3 + 100)).map { _ in UInt8(truncatingIfNeeded: g.next()) }
    let lengths = [0, 31, 32, 767, 768, 769, 24_575, 24_576, 24_577, 24_576 + 768 + 45, data.count - 8]
    for start in 0..<8 {
        for length in lengths {
            let slice = Array(data[start..<(start + length)])
            let table = slice.withUnsafeBytes { ~CRC32C.tableUpdate(0xFFFF_FFFF, $0) }
            #expect(CRC32C.checksum(slice) == table, "start \(start) length \(length)")
        }
    }
}

@Test func intakeReusesOneBufferAcrossManyUpdates() throws {
    let engine = try AggregatorEngine(
        configuration: { var c = AggregatorConfiguration(); c.runID = 7; c.requireRegistration = false; c.mode = .buffered; c.bufferSize = 4; return c }(),
        layout: smallLayout, initialWeights: [Float](repeating: 0, count: 8), logger: quietLogger)
    var addresses = Set<UnsafeRawPointer?>()
    for i in 0..<200 {
        let delta = randomVector(8, seed: UInt64(i))
        _ = engine.handleUpdate(engine.codec.update(delta: delta, baseVersion: engine.version, trainerID: 1, sequence: UInt64(i),
                                                    sampleCount: 1, trainingLoss: 0), now: 0)
        if i > 0 { addresses.insert(engine.intakeBufferAddress) }
    }
    #expect(engine.counters.updatesAccepted == 200 && engine.version == 50)
    #expect(addresses.count == 1 && addresses.first! != nil)
    #expect((8...16).contains(engine.intakeBufferFloats))  // one model, up to allocator rounding
}

@Test func rejectedUpdatesLeaveTheModelAndTheBufferAlone() throws {
    let engine = try AggregatorEngine(
        configuration: { var c = AggregatorConfiguration(); c.runID = 7; c.requireRegistration = false; c.mode = .async; return c }(),
        layout: smallLayout, initialWeights: [Float](repeating: 0, count: 8), logger: quietLogger)
    let good = engine.codec.update(delta: randomVector(8, seed: 1), baseVersion: 0, trainerID: 1, sequence: 1, sampleCount: 1, trainingLoss: 0)
    #expect(engine.handleUpdate(good, now: 0) == 1)
    let model = engine.model, address = engine.intakeBufferAddress
    var corrupt = engine.codec.update(delta: randomVector(8, seed: 2), baseVersion: 1, trainerID: 1, sequence: 2, sampleCount: 1, trainingLoss: 0)
    corrupt[2][corrupt[2].count - 1] ^= 0x40
    var poisoned = randomVector(8, seed: 3)
    poisoned[5] = .nan
    #expect(engine.handleUpdate(corrupt, now: 1) == nil)
    #expect(engine.handleUpdate(engine.codec.update(delta: poisoned, baseVersion: 1, trainerID: 1, sequence: 3, sampleCount: 1, trainingLoss: 0), now: 1) == nil)
    #expect(engine.model == model && engine.version == 1 && engine.intakeBufferAddress == address)
    #expect(engine.counters.rejected == [RejectionReason.badChecksum.rawValue: 1, RejectionReason.nonFinite.rawValue: 1])
}

@Test func aRetainingStrategyKeepsEveryDeltaIntactWhileTheIntakeDecodesMore() throws {
    // Median keeps the K rows it was given: decoding the next update must not write into them.
    let engine = try AggregatorEngine(
        configuration: { var c = AggregatorConfiguration(); c.runID = 7; c.requireRegistration = false; c.mode = .buffered; c.bufferSize = 3; c.aggregator = .median; c.staleness = .constant; return c }(),
        layout: smallLayout, initialWeights: [Float](repeating: 0, count: 8), logger: quietLogger)
    let deltas = (0..<3).map { randomVector(8, seed: 40 + UInt64($0)) }
    for (i, delta) in deltas.enumerated() {
        _ = engine.handleUpdate(engine.codec.update(delta: delta, baseVersion: 0, trainerID: 1, sequence: UInt64(i),
                                                    sampleCount: 1, trainingLoss: 0), now: 0)
    }
    let median = (0..<8).map { j in deltas.map { $0[j] }.sorted()[1] }
    #expect(engine.version == 1 && engine.model == median)
}
