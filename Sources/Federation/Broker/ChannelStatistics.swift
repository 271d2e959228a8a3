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

    public init() {}

    /// `in=<n> msgs/<bytes> B out=<n> msgs/<bytes> B`.
    public var summary: String { "in=\(messagesIn)/\(bytesIn)B out=\(messagesOut)/\(bytesOut)B" }
}

/// A snapshot of all broker counters.
public struct BrokerStatistics: Sendable, Equatable {
    /// Model channel (XSUB ⇄ XPUB).
    public var model = ChannelStatistics()
    /// Update channel (PULL → PUSH).
    public var updates = ChannelStatistics()
    /// Control channel (ROUTER ⇄ DEALER).
    public var control = ChannelStatistics()
    /// Topics currently held in the model last-value cache.
    public var cachedTopics = 0
    /// Subscribe events seen from model subscribers.
    public var subscriptions = 0

    public init() {}

    /// One log line: all channels and the cache size.
    public var summary: String {
        "model \(model.summary) updates \(updates.summary) control \(control.summary) topics=\(cachedTopics) subscriptions=\(subscriptions)"
    }
}
