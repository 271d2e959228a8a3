// The Prometheus side of swift-metrics for one process: the registry /metrics prints and the
// factory that fills it, with histogram buckets suited to FedMQ (seconds from milliseconds to
// minutes, staleness in versions). Executables bootstrap it; libraries only see `MetricsFactory`.
import CoreMetrics
import Prometheus

/// A Prometheus registry and the swift-metrics factory that records into it.
public struct PrometheusBackend: Sendable {
    /// What `/metrics` exposes.
    public let registry: PrometheusCollectorRegistry
    /// Creates counters, gauges, histograms (`Recorder` with `aggregate: true`, `Timer`) in `registry`.
    public let factory: any MetricsFactory

    /// Buckets for `Timer`s (durations): 1 ms to 5 min.
    public static let durationBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500),
        .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(300),
    ]

    /// Buckets for value histograms (`Recorder`s), e.g. staleness in versions: 0 to 1000.
    public static let valueBuckets: [Double] = [0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 100, 250, 1000]

    /// A fresh registry and its factory.
    public init() {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = Self.durationBuckets
        factory.defaultValueHistogramBuckets = Self.valueBuckets
        self.registry = registry
        self.factory = factory
    }

    /// Makes this backend the process-wide `MetricsSystem` factory (once per process; executables only).
    public func bootstrap() {
        MetricsSystem.bootstrap(factory)
    }
}
