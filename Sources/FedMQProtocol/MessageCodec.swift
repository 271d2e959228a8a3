import Foundation
import SafeTensorsFormat
import VectorKernels

/// Builds and validates every federation message for one run and one model layout.
///
/// Decoding runs `FrameCodec`'s header checks first, then decodes the payload (names and
/// shapes must equal `layout`; NaN/∞ rejected) and, for updates, applies `normPolicy`. Models
/// and updates are decoded by the same fused pass (`FlatPayloadDecoder`), optionally into
/// storage the caller keeps from one message to the next.
public struct MessageCodec: Sendable {
    /// The model's parameter layout; its fingerprint goes into every header.
    public let layout: ParameterLayout
    /// This run's id.
    public let runID: UInt64
    /// Payload format for encoding weights and deltas (safetensors). Models and updates are
    /// decoded as safetensors by the fused decoder whatever this is.
    public let payloadCodec: any ParameterPayloadCodec
    /// Largest accepted payload, bytes. Default: `MessageSizeLimit.payloadBytes(for: layout)`.
    public var maxPayloadBytes: Int
    /// Bound on update norms.
    public var normPolicy: UpdateNormPolicy
    /// `layout.fingerprint`, computed once (it hashes every name and shape).
    private let fingerprint: UInt64

    public init(
        layout: ParameterLayout, runID: UInt64, payloadCodec: any ParameterPayloadCodec,
        maxPayloadBytes: Int? = nil, normPolicy: UpdateNormPolicy = .unbounded
    ) {
        self.layout = layout
        self.runID = runID
        self.payloadCodec = payloadCodec
        self.maxPayloadBytes = maxPayloadBytes ?? MessageSizeLimit.payloadBytes(for: layout)
        self.normPolicy = normPolicy
        fingerprint = layout.fingerprint
    }

    // MARK: Encoding

    /// The model payload's metadata key holding when the aggregator built the message:
    /// Unix time in whole microseconds (informational; lets receivers on the same clock
    /// measure delivery latency). The aggregator encodes each version once and republishes
    /// those frames, so it is when the version was first published, like the copy a late
    /// subscriber gets from the broker's last-value cache.
    public static let publishedKey = "fedmq.published_us"

    /// Frames of a `model` message carrying `weights` (flat, `layout.count`) at `version`;
    /// `publishedAt` (seconds since 1970) is recorded in the payload metadata when given.
    public func model(_ weights: [Float], version: UInt64, publishedAt: Double? = nil) -> [[UInt8]] {
        var h = header(.model)
        h.modelVersion = version
        var metadata = ["fedmq.version": String(version)]
        if let publishedAt { metadata[Self.publishedKey] = String(Int64((publishedAt * 1e6).rounded())) }
        let payload = payloadCodec.encode(flat: weights, layout: layout, metadata: metadata)
        return FrameCodec.encode(Message(header: h, payload: payload))
    }

    /// Frames of a `stop` message after `version`; `reason` travels as UTF-8 payload.
    public func stop(version: UInt64, reason: String) -> [[UInt8]] {
        var h = header(.stop)
        h.modelVersion = version
        return FrameCodec.encode(Message(header: h, payload: Array(reason.utf8)))
    }

    /// Frames of an `update` carrying `delta = local − base` (flat, `layout.count`).
    public func update(
        delta: [Float], baseVersion: UInt64, trainerID: UInt32, sequence: UInt64,
        sampleCount: UInt32, trainingLoss: Float
    ) -> [[UInt8]] {
        let payload = payloadCodec.encode(flat: delta, layout: layout, metadata: ["fedmq.base_version": String(baseVersion)])
        return update(encodedPayload: payload, checksum: CRC32C.checksum(payload), baseVersion: baseVersion,
                      trainerID: trainerID, sequence: sequence, sampleCount: sampleCount, trainingLoss: trainingLoss)
    }

    /// Frames of an `update` whose payload is already encoded (the safetensors delta) with its
    /// CRC-32C `checksum`: senders of one payload many times (the load generator) encode and
    /// checksum it once.
    public func update(
        encodedPayload payload: [UInt8], checksum: UInt32, baseVersion: UInt64, trainerID: UInt32, sequence: UInt64,
        sampleCount: UInt32, trainingLoss: Float
    ) -> [[UInt8]] {
        var h = header(.update)
        h.baseVersion = baseVersion
        h.modelVersion = baseVersion
        h.trainerID = trainerID
        h.sequence = sequence
        h.sampleCount = sampleCount
        h.trainingLoss = trainingLoss
        h.flags = .delta
        h.payloadLength = UInt64(payload.count)
        h.payloadChecksum = checksum
        return FrameCodec.encode(Message(validated: h, payload: payload))
    }

    /// Frames of a control message.
    public func control(_ message: ControlMessage) -> [[UInt8]] {
        var h: MessageHeader
        var payload: [UInt8] = []
        switch message {
        case .register(let request, let sequence):
            h = header(.register)
            h.sequence = sequence
            payload = Self.json(request)
        case .registered(let registration):
            h = header(.registered)
            h.trainerID = registration.trainerID
            h.modelVersion = registration.modelVersion
            payload = Self.json(registration)
        case .heartbeat(let id, let sequence): h = header(.heartbeat, trainerID: id, sequence: sequence)
        case .goodbye(let id, let sequence): h = header(.goodbye, trainerID: id, sequence: sequence)
        case .unregistered(let id, let sequence): h = header(.unregistered, trainerID: id, sequence: sequence)
        case .updateResult(let result):
            h = header(.updateResult, trainerID: result.trainerID, sequence: result.sequence)
            h.baseVersion = result.baseVersion
            h.modelVersion = result.modelVersion
            payload = Self.json(UpdateResult.Payload(accepted: result.accepted, reason: result.reason))
        case .evaluate(let version):
            h = header(.evaluate)
            h.modelVersion = version
        case .evaluation(let report):
            h = header(.evaluation, trainerID: report.trainerID, sequence: report.sequence)
            h.modelVersion = report.version
            h.sampleCount = report.samples
            payload = Self.json(EvaluationReport.Payload(accuracy: report.accuracy, loss: report.loss, samples: report.samples))
        }
        return FrameCodec.encode(Message(header: h, payload: payload))
    }

    // MARK: Decoding

    /// Validates and decodes a trainer update. Throws the first failing check.
    public func decodeUpdate(_ frames: [[UInt8]]) throws(ProtocolError) -> ClientUpdate {
        var delta: [Float] = []
        var plans = SafeTensorsPlanCache()
        return try decodeUpdate(frames, reusing: &delta, plans: &plans)
    }

    /// `decodeUpdate`, decoding into `spare`'s storage when it holds `layout.count` floats and
    /// is not shared (no allocation): on success the storage moves into the update's `delta`
    /// and `spare` is left empty; on failure `spare` keeps it (contents unspecified). The
    /// payload's safetensors header is planned through `plans` (a repeated header is not parsed again).
    public func decodeUpdate(_ frames: [[UInt8]], reusing spare: inout [Float],
                             plans: inout SafeTensorsPlanCache) throws(ProtocolError) -> ClientUpdate {
        try FrameCodec.checkFrameCount(frames.count)
        return try frames[2].withUnsafeBytes { payload in
            Result { () throws(ProtocolError) in
                try decodeUpdate(topic: frames[0], header: frames[1], payload: payload, reusing: &spare, plans: &plans)
            }
        }.get()
    }

    /// `decodeUpdate(_:reusing:plans:)` over the three frames of an update, the payload borrowed
    /// (e.g. still in the receiving socket's message): it is read once, by the fused decode.
    public func decodeUpdate(topic: [UInt8], header: [UInt8], payload: UnsafeRawBufferPointer,
                             reusing spare: inout [Float], plans: inout SafeTensorsPlanCache) throws(ProtocolError) -> ClientUpdate {
        let h = try FrameCodec.checkEnvelope(topic: topic, header: header, payloadCount: payload.count,
                                             expecting: expectations(Self.updateKinds))
        return try Self.decoding(into: &spare) { (delta: inout [Float]) throws(ProtocolError) in
            try update(h, payload, into: &delta, plans: &plans)
        }
    }

    /// Runs `decode` on `spare`'s storage moved out of it: what `decode` returns keeps the
    /// storage (`spare` is left empty); if it throws, `spare` gets the storage back.
    private static func decoding<T>(into spare: inout [Float],
                                    _ decode: (inout [Float]) throws(ProtocolError) -> T) throws(ProtocolError) -> T {
        var flat: [Float] = []
        swap(&flat, &spare)
        do {
            return try decode(&flat)
        } catch {
            swap(&flat, &spare)
            throw error
        }
    }

    /// The checks after the envelope's, in `FrameCodec.decode`'s then the update's order:
    /// CRC-32C, sample count, loss, payload layout, finiteness, norm policy.
    private func update(_ h: MessageHeader, _ payload: UnsafeRawBufferPointer, into delta: inout [Float],
                        plans: inout SafeTensorsPlanCache) throws(ProtocolError) -> ClientUpdate {
        let decoded = try FlatPayloadDecoder.decode(payload, header: h, layout: layout, into: &delta, plans: &plans)
        guard h.sampleCount > 0 else { throw ProtocolError(.invalidField, "update with sample count 0") }
        guard h.trainingLoss.isFinite else { throw ProtocolError(.nonFinite, "training loss \(h.trainingLoss)") }
        let norm = try decoded.validated()
        let clipped = try applyNormPolicy(norm: norm, to: &delta)
        return ClientUpdate(
            trainerID: h.trainerID, baseVersion: h.baseVersion, sampleCount: h.sampleCount, delta: delta,
            trainingLoss: h.trainingLoss, sequence: h.sequence, receivedNorm: norm, clipped: clipped)
    }

    /// Rejects or clips `delta` (of L2 norm `norm`) by `normPolicy`; returns whether it clipped.
    private func applyNormPolicy(norm: Float, to delta: inout [Float]) throws(ProtocolError) -> Bool {
        switch normPolicy {
        case .unbounded: return false
        case .reject(let bound) where norm > bound:
            throw ProtocolError(.normExceeded, "update norm \(norm) exceeds bound \(bound)")
        case .clip(let bound) where norm > bound:
            VectorMath.scale(&delta, by: bound / norm)
            return true
        default: return false
        }
    }

    /// Validates and decodes a `model` or `stop` broadcast into fresh storage (see
    /// `decodeBroadcast(_:reusing:plans:)` to decode into storage kept from the last model).
    public func decodeBroadcast(_ frames: [[UInt8]]) throws(ProtocolError) -> ModelBroadcast {
        var weights: [Float] = []
        var plans = SafeTensorsPlanCache()
        return try decodeBroadcast(frames, reusing: &weights, plans: &plans)
    }

    /// `decodeBroadcast`, a model's weights decoded into `spare`'s storage when it holds
    /// `layout.count` floats and is not shared (no allocation), as `decodeUpdate(_:reusing:plans:)`
    /// does for deltas: on a `model`, the storage moves into its `weights` and `spare` is left
    /// empty (hand it back once done with the weights); on a `stop` or a failure `spare` keeps
    /// it (contents unspecified after a failure). The payload's safetensors header is planned
    /// through `plans` (a republished version's header is not parsed again).
    public func decodeBroadcast(_ frames: [[UInt8]], reusing spare: inout [Float],
                                plans: inout SafeTensorsPlanCache) throws(ProtocolError) -> ModelBroadcast {
        try FrameCodec.checkFrameCount(frames.count)
        return try frames[2].withUnsafeBytes { payload in
            Result { () throws(ProtocolError) in
                try decodeBroadcast(topic: frames[0], header: frames[1], payload: payload, reusing: &spare, plans: &plans)
            }
        }.get()
    }

    /// `decodeBroadcast(_:reusing:plans:)` over the three frames of a broadcast, the payload
    /// borrowed (e.g. still in the receiving socket's message): a model's payload is read once,
    /// by the fused decode that updates go through (CRC-32C, copy, finite check in one pass).
    /// Checks in `FrameCodec.decode`'s order, then for a model the payload layout and finiteness.
    public func decodeBroadcast(topic: [UInt8], header: [UInt8], payload: UnsafeRawBufferPointer,
                                reusing spare: inout [Float], plans: inout SafeTensorsPlanCache) throws(ProtocolError) -> ModelBroadcast {
        let h = try FrameCodec.checkEnvelope(topic: topic, header: header, payloadCount: payload.count,
                                             expecting: expectations(Self.broadcastKinds))
        guard h.kind == .model else {
            try FrameCodec.verifyChecksum(CRC32C.checksum(payload), header: h)
            return .stop(version: h.modelVersion, reason: String(decoding: payload, as: UTF8.self))
        }
        return try Self.decoding(into: &spare) { (weights: inout [Float]) throws(ProtocolError) in
            _ = try FlatPayloadDecoder.decode(payload, header: h, layout: layout, into: &weights, plans: &plans).validated()
            return .model(version: h.modelVersion, weights: weights)
        }
    }

    /// Validates and decodes a control message.
    public func decodeControl(_ frames: [[UInt8]]) throws(ProtocolError) -> ControlMessage {
        var expected = expectations([.register, .registered, .heartbeat, .goodbye, .unregistered, .updateResult, .evaluate, .evaluation])
        expected.acceptsUnknownFingerprint = true
        let message = try FrameCodec.decode(frames, expecting: expected)
        let h = message.header
        switch h.kind {
        case .register: return .register(try Self.unjson(RegisterRequest.self, message.payload), sequence: h.sequence)
        case .registered: return .registered(try Self.unjson(Registration.self, message.payload))
        case .heartbeat: return .heartbeat(trainerID: h.trainerID, sequence: h.sequence)
        case .unregistered: return .unregistered(trainerID: h.trainerID, sequence: h.sequence)
        case .updateResult:
            let payload = try Self.unjson(UpdateResult.Payload.self, message.payload)
            guard payload.accepted == (payload.reason == nil), !(payload.reason?.isEmpty ?? false) else {
                throw ProtocolError(.invalidField, "update_result: accepted \(payload.accepted) with reason \(payload.reason ?? "none")")
            }
            var result = UpdateResult(trainerID: h.trainerID, sequence: h.sequence, baseVersion: h.baseVersion,
                                      modelVersion: h.modelVersion, rejection: nil)
            result.reason = payload.reason
            return .updateResult(result)
        case .evaluate: return .evaluate(version: h.modelVersion)
        case .evaluation:
            let p = try Self.unjson(EvaluationReport.Payload.self, message.payload)
            return .evaluation(try EvaluationReport(trainerID: h.trainerID, sequence: h.sequence, version: h.modelVersion,
                                                    samples: p.samples, loss: p.loss, accuracy: p.accuracy)
                .validated(headerSamples: h.sampleCount))
        default: return .goodbye(trainerID: h.trainerID, sequence: h.sequence)
        }
    }

    // MARK: Helpers

    private func header(_ kind: MessageKind) -> MessageHeader {
        MessageHeader(kind: kind, runID: runID, fingerprint: fingerprint)
    }

    /// A header of `kind` from or about trainer `trainerID` with `sequence` (empty payload kinds).
    private func header(_ kind: MessageKind, trainerID: UInt32, sequence: UInt64) -> MessageHeader {
        var h = header(kind)
        h.trainerID = trainerID
        h.sequence = sequence
        return h
    }

    private func expectations(_ kinds: Set<MessageKind>) -> FrameExpectations {
        FrameExpectations(runID: runID, fingerprint: fingerprint, maxPayloadBytes: maxPayloadBytes, allowedKinds: kinds)
    }

    /// The kinds accepted on the update channel (built once, not per message).
    private static let updateKinds: Set<MessageKind> = [.update]
    /// The kinds accepted on the model channel.
    private static let broadcastKinds: Set<MessageKind> = [.model, .stop]

    static func json<T: Encodable>(_ value: T) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return (try? Array(encoder.encode(value))) ?? Array("{}".utf8)
    }

    static func unjson<T: Decodable>(_ type: T.Type, _ bytes: [UInt8]) throws(ProtocolError) -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(bytes))
        } catch {
            throw ProtocolError(.payloadDecode, "control payload is not a valid \(type): \(error)", underlying: error)
        }
    }
}
