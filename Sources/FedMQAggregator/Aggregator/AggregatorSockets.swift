import FedMQProtocol
import FedMQTransport
import ZeroMQ

/// The aggregator's three sockets, created, used and closed on the intake thread only. Their
/// connections to the broker are monitored: the model socket's new connections trigger a
/// republication, and how far each connection got (`progress`) feeds the wait reports.
/// The update socket connects only once the broker has granted the aggregator lease
/// (`connectUpdates`): a refused second aggregator never takes a trainer's update.
final class AggregatorSockets {
    /// Publishes models and stop (connects to the broker's model-in XSUB).
    let models: Socket
    /// Receives updates (connects to the broker's updates-out PUSH, once the lease is held).
    let updates: Socket
    /// Claims the aggregator lease, receives control requests and answers them (connects to
    /// the broker's control-out ROUTER).
    let control: Socket

    /// Connection events of `models` (monitor PAIR socket).
    private let modelEvents: Socket
    /// Connection events of `updates` and `control`.
    private let updateEvents: Socket, controlEvents: Socket
    /// How far each socket's connection to the broker got: models, updates, control.
    private(set) var progress = (models: ConnectionProgress(), updates: ConnectionProgress(), control: ConnectionProgress())

    /// - Parameters:
    ///   - maxMessageBytes: `ZMQ_MAXMSGSIZE` of the update socket, bytes.
    ///   - parameterCount: the model's float32 parameters (sizes the update queue in bytes).
    init(context: Context, configuration: AggregatorConfiguration, maxMessageBytes: Int, parameterCount: Int) throws(ZMQError) {
        models = try context.socket(.pub)
        modelEvents = try models.monitor(ConnectionProgress.events)
        updates = try context.socket(.pull)
        control = try context.socket(.dealer)
        updateEvents = try updates.monitor(ConnectionProgress.events)
        controlEvents = try control.monitor(ConnectionProgress.events)
        for socket in [models, updates, control] {
            for option in configuration.curve?.socketOptions ?? [] { try socket.set(option) }
        }
        try models.set(.sendHighWaterMark(8))
        let queue = MessageSizeLimit.queueMessages(bytes: configuration.updateQueueBytes, parameterCount: parameterCount)
        try updates.set(.receiveHighWaterMark(queue), .maxMessageSize(maxMessageBytes))
        try control.set(.maxMessageSize(MessageSizeLimit.controlMessageBytes))
        try models.connect(configuration.modelEndpoint)
        try control.connect(configuration.controlEndpoint)
        updateEndpoint = configuration.updateEndpoint
    }

    private let updateEndpoint: String

    /// Connects the update socket: once the aggregator lease is held.
    func connectUpdates() throws(ZMQError) {
        try updates.connect(updateEndpoint)
    }

    /// Waits up to `timeout` for input; says which sockets are readable.
    func poll(timeout: Duration) throws(ZMQError) -> (updates: Bool, control: Bool) {
        let events = try Poller.poll([PollItem(updates), PollItem(control)], timeout: timeout)
        return (events[0].contains(.readable), events[1].contains(.readable))
    }

    /// How many times the model socket has connected to the broker since the last call: the
    /// first connection, and one after every broker restart (its cache is empty then). Also
    /// takes in the pending events of all three sockets into `progress`.
    func newModelConnections() -> Int {
        var count = 0
        while let event = try? modelEvents.receiveEvent(options: .dontWait) {
            if event.kind == .connected { count += 1 }
            progress.models.record(event.kind)
        }
        while let event = try? updateEvents.receiveEvent(options: .dontWait) { progress.updates.record(event.kind) }
        while let event = try? controlEvents.receiveEvent(options: .dontWait) { progress.control.record(event.kind) }
        return count
    }

    /// How far the control socket's connection got, with its pending events taken in (used
    /// before the lease is granted, when the other sockets' events are left for later).
    func controlProgress() -> ConnectionProgress {
        while let event = try? controlEvents.receiveEvent(options: .dontWait) { progress.control.record(event.kind) }
        return progress.control
    }

    /// Closes all sockets; the model socket lingers briefly so a final stop gets out.
    func close() {
        for monitor in [modelEvents, updateEvents, controlEvents] { monitor.close(linger: .zero) }
        models.close(linger: .seconds(2))
        updates.close(linger: .zero)
        control.close(linger: .milliseconds(500))
    }
}
