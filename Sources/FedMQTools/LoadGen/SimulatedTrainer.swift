import FedMQProtocol
import Foundation
import SafeTensorsFormat
import TensorCore
import ZeroMQ

/// One lightweight trainer of the load generator: its own SUB, PUSH and DEALER sockets and
/// identity; it registers, follows the model versions and sends real-sized, valid updates on
/// a timer instead of training. Driven by one `LoadWorker` thread.
final class SimulatedTrainer {
    let index: Int
    let identity: String
    let models: Socket
    let updates: Socket
    let control: Socket
    private(set) var runID: UInt64?
    private(set) var trainerID: UInt32?
    /// Newest model version received.
    private(set) var heldVersion: UInt64?
    private(set) var stopped = false
    private var sequence: UInt64 = 0
    private var lastRegister: Double?
    var nextUpdate = 0.0
    var nextHeartbeat = 0.0

    init(index: Int, identity: String, context: Context, configuration: LoadGeneratorConfiguration) throws(ZMQError) {
        self.index = index
        self.identity = identity
        models = try context.socket(.sub)
        updates = try context.socket(.push)
        control = try context.socket(.dealer)
        try models.set(.receiveHighWaterMark(16), .subscribe("model"), .linger(.zero))
        try updates.set(.sendHighWaterMark(8), .linger(.zero))
        try control.set(.linger(.milliseconds(200)))
        for socket in [models, updates, control] {
            for option in configuration.curve?.socketOptions ?? [] { try socket.set(option) }
        }
        try models.connect(configuration.modelEndpoint)
        try updates.connect(configuration.updateEndpoint)
        try control.connect(configuration.controlEndpoint)
    }

    var isReady: Bool { trainerID != nil && heldVersion != nil }

    /// Handles every queued broadcast; calls `receipt` for the first receipt of each newer
    /// version with (version, publish time µs, receipt time µs).
    func drainModels(_ receipt: (UInt64, Int64?, Int64) -> Void) throws(ZMQError) {
        while let message = try models.receiveHeld(options: .dontWait) {
            let received = Self.microsecondsNow()
            guard message.frameCount == 3,
                  let header = try? MessageHeader.decode(message.bytes(ofFrame: 1)),
                  runID == nil || header.runID == runID else { continue }
            runID = header.runID
            if header.kind == .stop { stopped = true; continue }
            guard header.kind == .model, header.modelVersion > heldVersion ?? 0 || heldVersion == nil else { continue }
            heldVersion = header.modelVersion
            let published = message.withBytes(ofFrame: 2) { bytes in
                (try? SafeTensors.metadata(bytes))?[MessageCodec.publishedKey].flatMap { Int64($0) }
            }
            receipt(header.modelVersion, published, received)
        }
    }

    /// Takes the `registered` reply, if any; after an `unregistered` one about its id (the
    /// aggregator forgot it), registers again (same identity) at the next `registerIfDue`.
    func drainControl(codec: MessageCodec) throws(ZMQError) {
        while let frames = try control.receiveMultipart(options: .dontWait) {
            switch try? codec.decodeControl(frames) {
            case .registered(let registration)?: trainerID = registration.trainerID
            case .unregistered(let id, _)? where id == trainerID: (trainerID, lastRegister) = (nil, nil)
            default: break
            }
        }
    }

    /// Sends `register` if not registered and no request is pending for `retry` seconds.
    func registerIfDue(codec: MessageCodec, now: Double, retry: Double) throws(ZMQError) {
        guard trainerID == nil, lastRegister.map({ now - $0 >= retry }) ?? true else { return }
        lastRegister = now
        sequence += 1
        _ = try control.send(codec.control(.register(RegisterRequest(identity: identity), sequence: sequence)), options: .dontWait)
    }

    /// Sends a heartbeat when due.
    func heartbeatIfDue(codec: MessageCodec, now: Double, interval: Double) throws(ZMQError) {
        guard let trainerID, now >= nextHeartbeat else { return }
        nextHeartbeat = now + interval
        sequence += 1
        _ = try control.send(codec.control(.heartbeat(trainerID: trainerID, sequence: sequence)), options: .dontWait)
    }

    /// Sends an update based on the held version; false if the socket would block.
    func sendUpdate(_ payload: UpdatePayload, codec: MessageCodec) throws(ZMQError) -> Bool {
        guard let trainerID, let base = heldVersion else { return false }
        sequence += 1
        var h = MessageHeader(kind: .update, runID: codec.runID, fingerprint: codec.layout.fingerprint)
        (h.baseVersion, h.modelVersion, h.trainerID, h.sequence) = (base, base, trainerID, sequence)
        (h.sampleCount, h.trainingLoss, h.flags) = (32, 0.5, .delta)
        (h.payloadLength, h.payloadChecksum) = (UInt64(payload.bytes.count), payload.checksum)
        return try updates.send(FrameCodec.encode(Message(validated: h, payload: payload.bytes)), options: .dontWait)
    }

    /// Says goodbye (if registered) and closes the sockets.
    func close(codec: MessageCodec?) {
        if let codec, let trainerID {
            sequence += 1
            _ = try? control.send(codec.control(.goodbye(trainerID: trainerID, sequence: sequence)), options: .dontWait)
        }
        models.close()
        updates.close()
        control.close()
    }

    static func microsecondsNow() -> Int64 { Int64((Date().timeIntervalSince1970 * 1e6).rounded()) }
}

/// The encoded delta of one base version, shared by every trainer sending on that base.
struct UpdatePayload {
    let bytes: [UInt8]
    let checksum: UInt32

    init(delta: [Float], layout: ParameterLayout, baseVersion: UInt64) {
        bytes = SafeTensorsPayloadCodec().encode(flat: delta, layout: layout, metadata: ["fedmq.base_version": String(baseVersion)])
        checksum = CRC32C.checksum(bytes)
    }
}
