import ZeroMQ

/// A channel that moves whole multipart messages between two bound sockets without
/// copying payloads, on its own thread: one-way (PULL → PUSH, updates) or both ways
/// (ROUTER ⇄ DEALER, control request/reply).
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
    let counters = ChannelCounters()

    init(name: String, frontend: Socket, backend: Socket, bidirectional: Bool, frontendMonitor: Socket? = nil) {
        self.name = name
        self.frontend = frontend
        self.backend = backend
        self.bidirectional = bidirectional
        self.frontendMonitor = frontendMonitor
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
                if ready[0].contains(.readable) { try drain(from: frontend, to: backend) }
                if bidirectional, ready[1].contains(.readable) { try drain(from: backend, to: frontend) }
                if let frontendMonitor, ready[ready.count - 1].contains(.readable) { try countEvents(frontendMonitor) }
            }
        } catch where error.isContextTerminated {
            return nil
        } catch {
            return error
        }
    }

    private func countEvents(_ monitor: Socket) throws(ZMQError) {
        while let event = try monitor.receiveEvent(options: .dontWait) {
            if event.kind == .accepted { counters.accepted() }
            if event.kind == .disconnected { counters.disconnected() }
        }
    }

    private func drain(from source: Socket, to destination: Socket) throws(ZMQError) {
        while let moved = try source.forwardMessage(to: destination, options: .dontWait) {
            counters.received(bytes: moved.bytes)
            counters.sent(bytes: moved.bytes)
        }
    }
}
