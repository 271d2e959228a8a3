import FedMQTransport
import ZeroMQ

/// The trainer's three sockets, created, used and closed on the trainer thread only. The
/// model and control sockets' connections are monitored: how far they got (`progress`) tells
/// the wait reports which causes fit, and with CURVE a broker that refuses this trainer's key
/// ends the connection for good (libzmq does not retry), so the trainer can `reopen()`.
final class TrainerSockets {
    /// Receives models and stop (SUB on topic "model", connects to the broker's model-out XPUB).
    private(set) var models: Socket
    /// Pushes updates (connects to the broker's updates-in PULL).
    private(set) var updates: Socket
    /// Control requests and replies (DEALER, connects to the broker's control-in ROUTER).
    private(set) var control: Socket
    /// Connection and handshake events of `control`.
    private var controlMonitor: Socket
    /// Connection events of `models`.
    private var modelMonitor: Socket
    /// How far the model socket's connection got (since the sockets were opened).
    private(set) var modelProgress = ConnectionProgress()
    /// How far the control socket's connection got (since the sockets were opened).
    private(set) var controlProgress = ConnectionProgress()
    /// A refusal of this trainer's CURVE key seen on `controlMonitor`, not yet reported.
    private var refused = false
    private let context: Context
    private let configuration: TrainerConfiguration

    init(context: Context, configuration: TrainerConfiguration) throws(ZMQError) {
        self.context = context
        self.configuration = configuration
        (models, updates, control, controlMonitor, modelMonitor) = try Self.open(context, configuration)
    }

    private static func open(_ context: Context, _ configuration: TrainerConfiguration) throws(ZMQError)
        -> (Socket, Socket, Socket, Socket, Socket)
    {
        let models = try context.socket(.sub)
        let updates = try context.socket(.push)
        let control = try context.socket(.dealer)
        for socket in [models, updates, control] {
            for option in configuration.curve?.socketOptions ?? [] { try socket.set(option) }
        }
        // Few models queued: they are large and superseded by the next one.
        try models.set(.receiveHighWaterMark(16), .subscribe(Array("model".utf8)))
        // One update in flight: while the broker does not take it (a stalled aggregator or
        // broker), the trainer waits instead of training a queue of updates that would all be
        // stale (`canSendUpdate`).
        try updates.set(.sendHighWaterMark(1), .sendTimeout(.seconds(10)))
        try control.set(.sendTimeout(.seconds(1)))
        let controlMonitor = try control.monitor(ConnectionProgress.events.union(.handshakeFailedAuth))
        let modelMonitor = try models.monitor(ConnectionProgress.events)
        try models.connect(configuration.modelEndpoint)
        try updates.connect(configuration.updateEndpoint)
        try control.connect(configuration.controlEndpoint)
        return (models, updates, control, controlMonitor, modelMonitor)
    }

    /// Whether the broker refused this trainer's CURVE key since the last call (the control
    /// connection is then gone for good).
    func refusedByBroker() throws(ZMQError) -> Bool {
        try readEvents()
        defer { refused = false }
        return refused
    }

    /// Takes in the monitors' pending events: `modelProgress`, `controlProgress`, refusals.
    func readEvents() throws(ZMQError) {
        while let event = try controlMonitor.receiveEvent(options: .dontWait) {
            if event.kind == .handshakeFailedAuth { refused = true }
            controlProgress.record(event.kind)
        }
        while let event = try modelMonitor.receiveEvent(options: .dontWait) { modelProgress.record(event.kind) }
    }

    /// Closes every socket and opens them again (new connections, new handshakes).
    func reopen() throws(ZMQError) {
        closeAll(linger: .zero)
        (models, updates, control, controlMonitor, modelMonitor) = try Self.open(context, configuration)
        (modelProgress, controlProgress, refused) = (ConnectionProgress(), ConnectionProgress(), false)
    }

    /// Whether the update socket takes another update now (the previous one has left).
    func canSendUpdate() throws(ZMQError) -> Bool {
        try Poller.poll([PollItem(updates, .writable)], timeout: .zero)[0].contains(.writable)
    }

    /// Waits up to `timeout` for input; says which sockets are readable.
    func poll(timeout: Duration) throws(ZMQError) -> (models: Bool, control: Bool) {
        let events = try Poller.poll([PollItem(models), PollItem(control)], timeout: timeout)
        return (events[0].contains(.readable), events[1].contains(.readable))
    }

    /// Every message queued on `socket` now, oldest first.
    /// Every message queued on the model socket, left in libzmq's buffers (decoded in place).
    func drainModels() throws(ZMQError) -> [HeldMessage] {
        var messages: [HeldMessage] = []
        while let message = try models.receiveHeld(options: .dontWait) { messages.append(message) }
        return messages
    }

    func drain(_ socket: Socket) throws(ZMQError) -> [[[UInt8]]] {
        var messages: [[[UInt8]]] = []
        while let frames = try socket.receiveMultipart(options: .dontWait) { messages.append(frames) }
        return messages
    }

    /// Closes all sockets; update and control sockets linger briefly so a last update or
    /// goodbye gets out.
    func close() {
        closeAll(linger: .seconds(2))
    }

    private func closeAll(linger: Duration) {
        controlMonitor.close(linger: .zero)
        modelMonitor.close(linger: .zero)
        models.close(linger: .zero)
        updates.close(linger: linger)
        control.close(linger: min(linger, .milliseconds(500)))
    }
}
