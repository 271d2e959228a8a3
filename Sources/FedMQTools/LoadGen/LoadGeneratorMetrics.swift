// `fedmq loadgen`'s Prometheus metrics (swift-metrics API), so a load test can be watched
// beside the broker's and aggregator's own: updates offered and refused, trainers ready.
import CoreMetrics

/// Metrics of one load generator; the counters are shared by its worker threads (atomic in
/// the Prometheus backend).
struct LoadGeneratorMetrics: Sendable {
    /// Updates handed to the broker.
    let updatesSent: Counter
    /// Updates not sent because the update socket was full (high-water mark).
    let updatesBlocked: Counter
    /// Simulated trainers registered and holding a model.
    let readyTrainers: Gauge

    init(factory: any MetricsFactory) {
        updatesSent = Counter(label: "fedmq_loadgen_updates_sent_total", factory: factory)
        updatesBlocked = Counter(label: "fedmq_loadgen_updates_blocked_total", factory: factory)
        readyTrainers = Gauge(label: "fedmq_loadgen_ready_trainers", factory: factory)
    }
}
