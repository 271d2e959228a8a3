import FedMQProtocol
import FedMQTrainer
import Foundation
import SafeTensorsFormat
import ZeroMQ

/// One lightweight trainer of the load generator: its own SUB, PUSH and DEALER sockets and
/// identity, and a real trainer's `TrainerSession` (registration, registering again,
/// heartbeats, versions, update numbering); it sends real-sized, valid updates on a timer
/// instead of training, and reads model headers without decoding payloads. Driven by one
/// `LoadWorker` thread.
final class SimulatedTrainer {
    let index: Int
    let models: Socket
    let updates: Socket
    let control: Socket
    private(set) var session: TrainerSession
    var nextUpdate = 0.0

    init(index: Int, identity: String, context: Context, configuration: LoadGeneratorConfiguration,
         layout: ParameterLayout) throws(ZMQError) {
        self.index = index
        session = TrainerSession(layout: layout, identity: identity, runID: configuration.runID, registerRetry: 2,
                                 heartbeatInterval: configuration.heartbeatInterval)
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

    var isReady: Bool { session.isRegistered && session.heldVersion != nil }
    var stopped: Bool { session.stopReason != nil }

    /// Handles every queued broadcast; calls `receipt` for each version adopted with
    /// (version, publish time µs, receipt time µs).
    func drainModels(_ receipt: (UInt64, Int64?, Int64) -> Void) throws(ZMQError) {
        while let message = try models.receiveHeld(options: .dontWait) {
            let received = Self.microsecondsNow()
            guard message.frameCount == 3, let header = try? MessageHeader.decode(message.bytes(ofFrame: 1)) else { continue }
            for case .adopted(let version, _, _) in session.receiveBroadcast(header: header) {
                let published = message.withBytes(ofFrame: 2) { bytes in
                    (try? SafeTensors.metadata(bytes))?[MessageCodec.publishedKey].flatMap { Int64($0) }
                }
                receipt(version, published, received)
            }
        }
    }

    /// Hands every control reply to the session (`registered`, `unregistered`).
    func drainControl() throws(ZMQError) {
        while let frames = try control.receiveMultipart(options: .dontWait) {
            _ = session.receiveControl(frames)
        }
    }

    /// Sends `register` and heartbeats when the session says they are due.
    func requestIfDue(now: ContinuousClock.Instant) throws(ZMQError) {
        if let frames = session.registerIfDue(now: now) { _ = try control.send(frames, options: .dontWait) }
        if let frames = session.heartbeatIfDue(now: now) { _ = try control.send(frames, options: .dontWait) }
    }

    /// Sends an update based on the held version; false if not ready or the socket would block.
    func sendUpdate(_ payload: UpdatePayload) throws(ZMQError) -> Bool {
        guard let frames = session.update(encodedPayload: payload.bytes, checksum: payload.checksum, sampleCount: 32,
                                          trainingLoss: 0.5) else { return false }
        return try updates.send(frames, options: .dontWait)
    }

    /// Says goodbye (if registered) and closes the sockets.
    func close() {
        if let frames = session.goodbye() { _ = try? control.send(frames, options: .dontWait) }
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
