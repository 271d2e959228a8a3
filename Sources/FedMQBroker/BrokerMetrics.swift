// The broker's Prometheus metrics (swift-metrics API; the executable picks the backend). The
// channel threads already count every message in atomics (ChannelCounters); this exporter
// reads those snapshots once a second and turns their growth into counter increments, so
// forwarding pays nothing for metrics and the log line and /metrics say the same thing.
import CoreMetrics

/// Exports `BrokerStatistics` snapshots; owned by one task.
struct BrokerMetrics {
    private struct Traffic {
        let messages: Counter
        let bytes: Counter
    }

    private let traffic: [String: (in: Traffic, out: Traffic)]
    private let connectedPeers: [String: Gauge]
    private let cachedTopics: Gauge
    private let subscriptions: Counter
    private let factory: any MetricsFactory
    /// Made at the first cached model, so no age is shown before there is one.
    private var cacheAge: Gauge?
    private var exported = BrokerStatistics()

    init(factory: any MetricsFactory) {
        func traffic(_ channel: String, _ direction: String) -> Traffic {
            let dimensions = [("channel", channel), ("direction", direction)]
            return Traffic(messages: Counter(label: "fedmq_broker_messages_total", dimensions: dimensions, factory: factory),
                           bytes: Counter(label: "fedmq_broker_bytes_total", dimensions: dimensions, factory: factory))
        }
        self.traffic = Dictionary(uniqueKeysWithValues: ["model", "updates", "control"].map { ($0, (traffic($0, "in"), traffic($0, "out"))) })
        connectedPeers = Dictionary(uniqueKeysWithValues: ["updates_in", "control_in"].map {
            ($0, Gauge(label: "fedmq_broker_connected_peers", dimensions: [("port", $0)], factory: factory))
        })
        cachedTopics = Gauge(label: "fedmq_broker_cached_topics", factory: factory)
        subscriptions = Counter(label: "fedmq_broker_model_subscriptions_total", factory: factory)
        self.factory = factory
    }

    /// Exports `statistics` (counters grow by what they gained since the last call) and the
    /// age of the newest cached model (nil: nothing cached yet, the gauge stays unset).
    mutating func observe(_ statistics: BrokerStatistics, cacheAge age: Duration?) {
        for (name, current, before) in [("model", statistics.model, exported.model), ("updates", statistics.updates, exported.updates),
                                        ("control", statistics.control, exported.control)] {
            guard let channel = traffic[name] else { continue }
            Self.grow(channel.in.messages, before.messagesIn, current.messagesIn)
            Self.grow(channel.in.bytes, before.bytesIn, current.bytesIn)
            Self.grow(channel.out.messages, before.messagesOut, current.messagesOut)
            Self.grow(channel.out.bytes, before.bytesOut, current.bytesOut)
        }
        connectedPeers["updates_in"]?.record(statistics.updates.connections - statistics.updates.disconnections)
        connectedPeers["control_in"]?.record(statistics.control.connections - statistics.control.disconnections)
        cachedTopics.record(statistics.cachedTopics)
        Self.grow(subscriptions, exported.subscriptions, statistics.subscriptions)
        if let age {
            let gauge = cacheAge ?? Gauge(label: "fedmq_broker_cache_age_seconds", factory: factory)
            gauge.record(Double(age.components.seconds) + Double(age.components.attoseconds) * 1e-18)
            cacheAge = gauge
        }
        exported = statistics
    }

    private static func grow(_ counter: Counter, _ old: Int, _ new: Int) {
        if new > old { counter.increment(by: Int64(new - old)) }
    }
}
