// Update feedback (docs/PROTOCOL.md, "Update feedback"): updates arrive PUSH → PULL with no
// way back to their sender, so the aggregator remembers, per trainer id, the control-channel
// route (the broker ROUTER's envelope) of its last `register` or `heartbeat`, and sends each
// update's verdict, `update_result`, along it. The engine decides; this only addresses.
import FedMQProtocol
import FedMQTransport

/// The control routes of registered trainers, and the `update_result` message for each update.
struct UpdateFeedback {
    /// Trainer id → the routing frames of its latest accepted `register` or `heartbeat`.
    private var routes: [UInt32: [[UInt8]]] = [:]
    /// Verdicts addressed to a trainer.
    private(set) var addressed = 0
    /// Updates whose sender had no route (never registered here, or an unreadable header).
    private(set) var unrouted = 0

    /// Learns from one handled control request (`body`: `[topic, header, payload]`, from
    /// `envelope`): a `registered` reply routes the id it assigns to `envelope`, a heartbeat of
    /// a registered id from its own key re-routes it (the trainer may have reconnected), a
    /// goodbye forgets the route.
    mutating func learn(request body: [[UInt8]], reply: [[UInt8]]?, envelope: [[UInt8]], sender: MessageSender,
                        registry: TrainerRegistry) {
        if let reply {
            if let h = Self.header(reply), h.kind == .registered { routes[h.trainerID] = envelope }
            return
        }
        guard let h = Self.header(body) else { return }
        switch h.kind {
        case .heartbeat where Self.owns(h.trainerID, sender, registry): routes[h.trainerID] = envelope
        case .goodbye where Self.owns(h.trainerID, sender, registry): routes[h.trainerID] = nil
        default: break
        }
    }

    /// The routed `update_result` for the update whose header frame is `headerBytes`, just
    /// handled by `engine` (its verdict: `engine.lastUpdateRejection`); nil when the header is
    /// unreadable, of another run, or its trainer id has no route or belongs to another key.
    mutating func message(forUpdateHeader headerBytes: [UInt8], sender: MessageSender,
                          engine: AggregatorEngine) -> [[UInt8]]? {
        guard let h = try? MessageHeader.decode(headerBytes), h.kind == .update,
              h.runID == engine.configuration.runID, let route = routes[h.trainerID] else {
            unrouted += 1
            return nil
        }
        guard Self.owns(h.trainerID, sender, engine.registry) else {
            if engine.registry.records[h.trainerID] == nil { routes[h.trainerID] = nil }
            unrouted += 1
            return nil
        }
        addressed += 1
        let result = UpdateResult(trainerID: h.trainerID, sequence: h.sequence, baseVersion: h.baseVersion,
                                  modelVersion: engine.version, rejection: engine.lastUpdateRejection)
        return route + engine.codec.control(.updateResult(result))
    }

    /// Routes held (one per trainer id heard from).
    var routeCount: Int { routes.count }

    /// The routes of the trainers `registry` counts live, by trainer id (federated evaluation
    /// requests go along them).
    func liveRoutes(in registry: TrainerRegistry) -> [[[UInt8]]] {
        routes.filter { registry.records[$0.key]?.live == true }.sorted { $0.key < $1.key }.map(\.value)
    }

    /// `id` is registered and, when it was registered with a CURVE key, `sender` is that key.
    private static func owns(_ id: UInt32, _ sender: MessageSender, _ registry: TrainerRegistry) -> Bool {
        guard let record = registry.records[id] else { return false }
        return record.publicKey == nil || record.publicKey == sender.key?.z85
    }

    private static func header(_ frames: [[UInt8]]) -> MessageHeader? {
        guard frames.count == 3 else { return nil }
        return try? MessageHeader.decode(frames[1])
    }
}
