import ZeroMQ

/// The trainer's three sockets, created, used and closed on the trainer thread only.
final class TrainerSockets {
    /// Receives models and stop (SUB on topic "model", connects to the broker's model-out XPUB).
    let models: Socket
    /// Pushes updates (connects to the broker's updates-in PULL).
    let updates: Socket
    /// Control requests and replies (DEALER, connects to the broker's control-in ROUTER).
    let control: Socket

    init(context: Context, configuration: TrainerConfiguration) throws(ZMQError) {
        models = try context.socket(.sub)
        updates = try context.socket(.push)
        control = try context.socket(.dealer)
        for socket in [models, updates, control] {
            for option in configuration.curve?.socketOptions ?? [] { try socket.set(option) }
        }
        // Few models queued: they are large and superseded by the next one.
        try models.set(.receiveHighWaterMark(16), .subscribe(Array("model".utf8)))
        try updates.set(.sendTimeout(.seconds(10)))
        try control.set(.sendTimeout(.seconds(1)))
        try models.connect(configuration.modelEndpoint)
        try updates.connect(configuration.updateEndpoint)
        try control.connect(configuration.controlEndpoint)
    }

    /// Waits up to `timeout` for input; says which sockets are readable.
    func poll(timeout: Duration) throws(ZMQError) -> (models: Bool, control: Bool) {
        let events = try Poller.poll([PollItem(models), PollItem(control)], timeout: timeout)
        return (events[0].contains(.readable), events[1].contains(.readable))
    }

    /// Every message queued on `socket` now, oldest first.
    func drain(_ socket: Socket) throws(ZMQError) -> [[[UInt8]]] {
        var messages: [[[UInt8]]] = []
        while let frames = try socket.receiveMultipart(options: .dontWait) { messages.append(frames) }
        return messages
    }

    /// Closes all sockets; update and control sockets linger briefly so a last update or
    /// goodbye gets out.
    func close() {
        models.close(linger: .zero)
        updates.close(linger: .seconds(2))
        control.close(linger: .milliseconds(500))
    }
}
