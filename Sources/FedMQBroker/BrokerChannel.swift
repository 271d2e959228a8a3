import ZeroMQ

/// One broker channel: sockets plus a blocking forwarding loop run on a dedicated thread.
protocol BrokerChannel: Sendable {
    /// Short name for logs ("model", "updates", "control").
    var name: String { get }
    /// Traffic counters, updated by the loop.
    var counters: ChannelCounters { get }
    /// Runs the loop; returns `nil` when the context shuts down, or the error that ended it.
    func run() -> ZMQError?
}
