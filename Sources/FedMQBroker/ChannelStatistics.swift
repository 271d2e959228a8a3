import FedMQProtocol

/// Traffic through one broker channel since start. "In" counts messages the broker
/// received on any of the channel's sockets, "out" those it sent; on the model channel
/// these are published models only ("out" includes last-value cache replays; subscription
/// events are counted in `BrokerStatistics.subscriptions`). A message is a whole
/// multipart message; bytes are payload bytes over all its frames.
public struct ChannelStatistics: Sendable, Equatable {
    public var messagesIn = 0
    public var bytesIn = 0
    public var messagesOut = 0
    public var bytesOut = 0
    /// Trainer connections accepted on the channel's trainer-facing socket (updates in,
    /// control in; 0 on the model channel).
    public var connections = 0
    /// Trainer connections closed there: trainers that left, and peers libzmq disconnected
    /// for a frame over the socket's `ZMQ_MAXMSGSIZE` (they reconnect by themselves).
    public var disconnections = 0

    public init() {}

    /// `in=<n>/<bytes>B out=<n>/<bytes>B conn=+<accepted>/-<closed>`.
    public var summary: String {
        "in=\(messagesIn)/\(bytesIn)B out=\(messagesOut)/\(bytesOut)B conn=+\(connections)/-\(disconnections)"
    }
}

/// A snapshot of all broker counters.
public struct BrokerStatistics: Sendable, Equatable {
    /// Model channel (XSUB ⇄ XPUB).
    public var model = ChannelStatistics()
    /// Update channel (PULL → PUSH).
    public var updates = ChannelStatistics()
    /// Control channel (ROUTER ⇄ ROUTER).
    public var control = ChannelStatistics()
    /// The aggregator holding the broker's aggregator lease (it alone gets control requests).
    public var aggregatorLease: LeaseClaim?
    /// Lease claims refused because another aggregator held the lease.
    public var refusedAggregatorClaims = 0
    /// Control messages dropped (see `ControlChannel.dropped`).
    public var droppedControlMessages = 0
    /// Topics currently held in the model last-value cache.
    public var cachedTopics = 0
    /// Subscribe events seen from model subscribers.
    public var subscriptions = 0

    public init() {}

    /// One log line: all channels and the cache size.
    public var summary: String {
        "model \(model.summary) updates \(updates.summary) control \(control.summary) topics=\(cachedTopics) subscriptions=\(subscriptions)"
            + " aggregator=\(aggregatorLease.map { String($0.instance, radix: 16) } ?? "none") refused_aggregators=\(refusedAggregatorClaims)"
            + " dropped_control=\(droppedControlMessages)"
    }
}
