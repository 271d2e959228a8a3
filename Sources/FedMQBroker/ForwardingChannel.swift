import ZeroMQ

/// A channel that moves whole multipart messages between two bound sockets without
/// copying payloads, on its own thread: one-way (PULL → PUSH, updates) or both ways
/// (ROUTER ⇄ DEALER, control request/reply).
///
/// With `senderProperty` set, each message from the frontend (trainers) reaches the backend
/// with one extra last frame: that metadata property of the message (the ZAP User-Id, i.e.
/// the sender's CURVE public key). Replies from the backend pass unchanged.
///
/// Sends block when the far side has no peer (PUSH/DEALER with nobody connected); the
/// messages then wait in the inbound queue, and the context shutdown still ends the loop.
final class ForwardingChannel: BrokerChannel {
    let name: String
    let frontend: Socket
    let backend: Socket
    let bidirectional: Bool
    /// Connection events of the trainer-facing `frontend` (see `Socket.monitor`).
    let frontendMonitor: Socket?
    let senderProperty: String?
    let counters = ChannelCounters()

    init(name: String, frontend: Socket, backend: Socket, bidirectional: Bool, frontendMonitor: Socket? = nil,
         senderProperty: String? = nil) {
        self.name = name
        self.frontend = frontend
        self.backend = backend
        self.bidirectional = bidirectional
        self.frontendMonitor = frontendMonitor
        self.senderProperty = senderProperty
    }

    /// Forwards until the context shuts down (returns `nil`) or a socket fails (returns
    /// the error), then closes both sockets.
    func run() -> ZMQError? {
        defer {
            frontend.close(linger: .zero)
            backend.close(linger: .zero)
            frontendMonitor?.close(linger: .zero)
        }
        let sockets = [frontend] + (bidirectional ? [backend] : []) + (frontendMonitor.map { [$0] } ?? [])
        let items = sockets.map { PollItem($0) }
        do {
            while true {
                let ready = try Poller.poll(items, timeout: nil)
                if ready[0].contains(.readable) { try drain(from: frontend, to: backend, appending: senderProperty) }
                if bidirectional, ready[1].contains(.readable) { try drain(from: backend, to: frontend, appending: nil) }
                if let frontendMonitor, ready[ready.count - 1].contains(.readable) { try counters.countEvents(of: frontendMonitor) }
            }
        } catch where error.isContextTerminated {
            return nil
        } catch {
            return error
        }
    }

    private func drain(from source: Socket, to destination: Socket, appending property: String?) throws(ZMQError) {
        while let moved = try source.forwardMessage(to: destination, options: .dontWait, appendingProperty: property) {
            counters.received(bytes: moved.bytes)
            counters.sent(bytes: moved.bytes)
        }
    }
}
