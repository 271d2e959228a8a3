// The trainer's half of the protocol, without sockets or a clock of its own: learning the run
// id, registering (and again after `unregistered`), heartbeating, following model versions,
// numbering updates and goodbyes, and the wait before reconnecting after a CURVE refusal.
// `TrainerLoop` (one real trainer) and the load generator's simulated trainers both drive it,
// so both speak the protocol the same way; tests drive it with frames and instants, as
// `AggregatorEngine` is tested.
import FedMQProtocol
import SafeTensorsFormat

/// One trainer's protocol state. Every input is a message or an instant; every output is the
/// frames to send (the caller owns the sockets) or an event to log.
public struct TrainerSession: Sendable {
    /// What a received message changed.
    public enum Event: Sendable, Equatable {
        /// The run id was learned from the first broadcast's header.
        case joined(runID: UInt64)
        /// The aggregator assigned an id and shard; `again` after it had forgotten this trainer.
        case registered(Registration, again: Bool)
        /// The aggregator does not know this trainer's id (it restarted without its membership):
        /// the session registers again under the same identity.
        case forgotten(trainerID: UInt32)
        /// A model version was adopted; `previous` is the version held before (a lower one means
        /// the aggregator went back to a checkpoint). `weights` is nil for header-only sessions.
        case adopted(version: UInt64, previous: UInt64?, weights: [Float]?)
        /// The aggregator ended the run.
        case stopped(version: UInt64, reason: String)
        /// A broadcast failed validation and was dropped.
        case rejected(ProtocolError)
        /// The aggregator's verdict on one of this trainer's updates (sent since it registered).
        case updateResult(UpdateResult)
        /// The aggregator asks for a federated evaluation of global version `version`.
        case evaluationRequested(version: UInt64)
    }

    /// The model's layout (its fingerprint must match the aggregator's).
    public let layout: ParameterLayout
    /// The stable identity sent with `register` (replicas with one identity get one id).
    public let identity: String
    /// Seconds between `register` attempts while no answer comes.
    public let registerRetry: Double
    /// Seconds between heartbeats while registered.
    public let heartbeatInterval: Double
    /// The run's codec, once the run id is known.
    public private(set) var codec: MessageCodec?
    /// The current registration (kept while forgotten, so the trainer keeps its shard).
    public private(set) var registration: Registration?
    /// The model version held, if any.
    public private(set) var heldVersion: UInt64?
    /// Why the aggregator stopped the run, once it has.
    public private(set) var stopReason: String?
    /// The aggregator answered `unregistered` for the current id: registration is due again.
    public private(set) var isForgotten = false
    /// `register` requests sent since the last registration (more than one: no answer yet).
    public private(set) var registerAttempts = 0
    /// Heartbeats sent, over the session's life.
    public private(set) var heartbeatsSent = 0
    /// When to reopen connections a broker refused.
    public private(set) var backoff: ReconnectBackoff
    private var sequence: UInt64 = 0
    /// The last sequence number sent before the current registration arrived: an `unregistered`
    /// reply to an older request is stale.
    private var registeredAfter: UInt64 = 0
    private var lastRegister: ContinuousClock.Instant?
    private var lastHeartbeat: ContinuousClock.Instant?
    /// Storage the next model is decoded into (see `recycle`).
    private var spareWeights: [Float] = []
    /// Safetensors header plans of the model payloads (a republished header is not parsed again).
    private var plans = SafeTensorsPlanCache()

    /// - Parameters:
    ///   - runID: the run id when configured; nil learns it from the first broadcast.
    ///   - registerRetry: seconds between unanswered `register` requests, also the first
    ///     reconnect wait after a CURVE refusal.
    ///   - heartbeatInterval: seconds between heartbeats.
    public init(layout: ParameterLayout, identity: String, runID: UInt64? = nil, registerRetry: Double,
                heartbeatInterval: Double) {
        self.layout = layout
        self.identity = identity
        self.registerRetry = registerRetry
        self.heartbeatInterval = heartbeatInterval
        backoff = ReconnectBackoff(base: registerRetry)
        if let runID { codec = Self.codec(layout, runID) }
    }

    /// Registered and not forgotten: updates and heartbeats go out.
    public var isRegistered: Bool { registration != nil && !isForgotten }

    /// The trainer id, while registered.
    public var trainerID: UInt32? { isRegistered ? registration?.trainerID : nil }

    // MARK: Broadcasts

    /// Handles the broadcasts queued on the model socket, oldest first: only the newest is
    /// decoded (superseded ones are skipped), a repeat of the version held is a no-op, and a
    /// broadcast that fails validation is reported and the next older one tried. A model is
    /// decoded in one fused pass from the message's frames into the storage handed back with
    /// `recycle` (no allocation once the trainer returns the weights it no longer uses).
    public mutating func receiveBroadcasts<Frames: ReceivedFrames>(_ messages: [Frames]) -> [Event] {
        var events: [Event] = []
        if codec == nil, let header = messages.last.flatMap(Self.header), let joined = join(header.runID) {
            events.append(joined)
        }
        guard let codec else { return events }
        for frames in messages.reversed() {
            if let header = Self.header(frames), header.kind == .model, header.runID == codec.runID,
               header.modelVersion == heldVersion {
                return events
            }
            switch decode(frames, codec) {
            case .success(.model(let version, let weights)): events.append(adopt(version, weights: weights))
            case .success(.stop(let version, let reason)): events.append(stop(version, reason: reason))
            case .failure(let error):
                events.append(.rejected(error))
                continue
            }
            return events
        }
        return events
    }

    /// Hands back the weights of a model the trainer no longer uses: the next model is decoded
    /// into their storage.
    public mutating func recycle(_ weights: [Float]) {
        spareWeights = weights
    }

    private mutating func decode<Frames: ReceivedFrames>(_ frames: Frames, _ codec: MessageCodec)
        -> Result<ModelBroadcast, ProtocolError> {
        do throws(ProtocolError) {
            try FrameCodec.checkFrameCount(frames.frameCount)
        } catch {
            return .failure(error)
        }
        let (topic, header) = (frames.bytes(ofFrame: 0), frames.bytes(ofFrame: 1))
        return frames.withBytes(ofFrame: 2) { payload in
            Result { () throws(ProtocolError) in
                try codec.decodeBroadcast(topic: topic, header: header, payload: payload, reusing: &spareWeights,
                                          plans: &plans)
            }
        }
    }

    /// Handles one broadcast by its header alone (the payload is neither decoded nor checked):
    /// for senders that never train, such as the load generator's simulated trainers.
    public mutating func receiveBroadcast(header: MessageHeader) -> [Event] {
        var events: [Event] = []
        if codec == nil, let joined = join(header.runID) { events.append(joined) }
        guard header.runID == codec?.runID else { return events }
        switch header.kind {
        case .stop: events.append(stop(header.modelVersion, reason: ""))
        case .model where header.modelVersion != heldVersion: events.append(adopt(header.modelVersion, weights: nil))
        default: break
        }
        return events
    }

    // MARK: Control replies

    /// Handles one message from the control socket: a `registered` reply while registering, an
    /// `unregistered` reply about the current id to a request sent since it registered, or an
    /// `update_result` about an update sent under the current id since it registered.
    /// Anything else (a duplicate `registered`, invalid bytes, a kind this build does not know)
    /// changes nothing.
    public mutating func receiveControl(_ frames: [[UInt8]]) -> Event? {
        guard let codec, let reply = try? codec.decodeControl(frames) else { return nil }
        switch reply {
        case .registered(let assigned) where !isRegistered:
            let again = registration != nil
            registration = assigned
            registeredAfter = sequence
            isForgotten = false
            registerAttempts = 0
            lastRegister = nil
            backoff.reset()
            return .registered(assigned, again: again)
        case .unregistered(let id, let answered)
            where isRegistered && id == registration?.trainerID && answered > registeredAfter:
            isForgotten = true
            return .forgotten(trainerID: id)
        case .updateResult(let result)
            where isRegistered && result.trainerID == registration?.trainerID && result.sequence > registeredAfter:
            return .updateResult(result)
        case .evaluate(let version) where isRegistered:
            return .evaluationRequested(version: version)
        default:
            return nil
        }
    }

    // MARK: Requests

    /// Frames of a `register` request when one is due at `now`: not registered, the run id
    /// known, the run not stopped, and no request sent in the last `registerRetry` seconds.
    public mutating func registerIfDue(now: ContinuousClock.Instant) -> [[UInt8]]? {
        guard let codec, !isRegistered, stopReason == nil,
              lastRegister.map({ seconds($0, now) >= registerRetry }) ?? true else { return nil }
        lastRegister = now
        lastHeartbeat = now
        registerAttempts += 1
        sequence += 1
        return codec.control(.register(RegisterRequest(identity: identity), sequence: sequence))
    }

    /// Frames of a heartbeat when one is due at `now` (registered, `heartbeatInterval` seconds
    /// since the last one or since registering).
    public mutating func heartbeatIfDue(now: ContinuousClock.Instant) -> [[UInt8]]? {
        guard let codec, let trainerID, lastHeartbeat.map({ seconds($0, now) >= heartbeatInterval }) ?? true else {
            return nil
        }
        lastHeartbeat = now
        heartbeatsSent += 1
        sequence += 1
        return codec.control(.heartbeat(trainerID: trainerID, sequence: sequence))
    }

    /// Frames of an update `delta = local − base` trained from version `base`; nil while not
    /// registered.
    public mutating func update(delta: [Float], base: UInt64, sampleCount: Int, trainingLoss: Float) -> [[UInt8]]? {
        guard let codec, let trainerID else { return nil }
        sequence += 1
        return codec.update(delta: delta, baseVersion: base, trainerID: trainerID, sequence: sequence,
                            sampleCount: UInt32(clamping: sampleCount), trainingLoss: trainingLoss)
    }

    /// Frames of an update on the held version whose payload is already encoded (with its
    /// CRC-32C); nil while not registered or holding no model.
    public mutating func update(encodedPayload payload: [UInt8], checksum: UInt32, sampleCount: Int,
                                trainingLoss: Float) -> [[UInt8]]? {
        guard let codec, let trainerID, let base = heldVersion else { return nil }
        sequence += 1
        return codec.update(encodedPayload: payload, checksum: checksum, baseVersion: base, trainerID: trainerID,
                            sequence: sequence, sampleCount: UInt32(clamping: sampleCount), trainingLoss: trainingLoss)
    }

    /// Frames of an `evaluation` answering the aggregator's `evaluate` of `version`: `samples`
    /// local samples, their mean `loss` and the fraction `accuracy` right; nil while not registered.
    public mutating func evaluation(version: UInt64, samples: Int, loss: Double, accuracy: Double) -> [[UInt8]]? {
        guard let codec, let trainerID else { return nil }
        sequence += 1
        return codec.control(.evaluation(EvaluationReport(trainerID: trainerID, sequence: sequence, version: version,
                                                          samples: UInt32(clamping: samples), loss: loss, accuracy: accuracy)))
    }

    /// Frames of a `goodbye` (the aggregator stops counting this trainer at once); nil while
    /// not registered.
    public mutating func goodbye() -> [[UInt8]]? {
        guard let codec, let trainerID else { return nil }
        sequence += 1
        return codec.control(.goodbye(trainerID: trainerID, sequence: sequence))
    }

    // MARK: Refusals

    /// The broker refused this trainer's CURVE key at `now`: returns the wait before the
    /// sockets are opened again, seconds, or nil when a retry is already scheduled.
    public mutating func brokerRefused(now: ContinuousClock.Instant) -> Double? {
        backoff.isWaiting ? nil : backoff.refused(now: now)
    }

    /// True once, when the sockets should be opened again at `now`.
    public mutating func reconnectDue(now: ContinuousClock.Instant) -> Bool {
        backoff.takeDue(now: now)
    }

    // MARK: Helpers

    private mutating func join(_ runID: UInt64) -> Event? {
        guard codec == nil else { return nil }
        codec = Self.codec(layout, runID)
        return .joined(runID: runID)
    }

    private mutating func adopt(_ version: UInt64, weights: [Float]?) -> Event {
        let previous = heldVersion
        heldVersion = version
        return .adopted(version: version, previous: previous, weights: weights)
    }

    private mutating func stop(_ version: UInt64, reason: String) -> Event {
        stopReason = reason
        return .stopped(version: version, reason: reason)
    }

    private static func header<Frames: ReceivedFrames>(_ frames: Frames) -> MessageHeader? {
        frames.frameCount == 3 ? try? MessageHeader.decode(frames.bytes(ofFrame: 1)) : nil
    }

    private static func codec(_ layout: ParameterLayout, _ runID: UInt64) -> MessageCodec {
        MessageCodec(layout: layout, runID: runID, payloadCodec: SafeTensorsPayloadCodec())
    }

    private func seconds(_ from: ContinuousClock.Instant, _ to: ContinuousClock.Instant) -> Double {
        from.duration(to: to) / .seconds(1)
    }
}
