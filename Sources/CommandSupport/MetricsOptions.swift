// Every long-running command (broker, aggregator, trainer, fedmq loadgen) can serve Prometheus
// metrics; one option group gives them the same flags, variables and checks, and makes the
// process's Prometheus backend and HTTP server when asked to. Off by default.
import ArgumentParser
import CoreMetrics
import FedMQMonitoring
import Logging

/// `--metrics-port` and `--metrics-host`: where to serve `/metrics`, if at all.
public struct MetricsOptions: ParsableArguments {
    @Option(help: "Serve Prometheus metrics over HTTP at http://<metrics-host>:<port>/metrics (0: any free port, logged). Off unless given. [env: FEDMQ_METRICS_PORT]")
    public var metricsPort: Int?

    @Option(help: "Interface the metrics server binds. [env: FEDMQ_METRICS_HOST, default: 0.0.0.0]")
    public var metricsHost: String?

    public init() {}

    /// The port from the flag, else `FEDMQ_METRICS_PORT`; nil: metrics off. Outside 0…65535 is
    /// a validation error naming its source.
    public func port(_ env: EnvironmentValues = EnvironmentValues()) throws -> Int? {
        let source = metricsPort == nil ? "FEDMQ_METRICS_PORT" : "--metrics-port"
        guard let port = try metricsPort ?? env.int("FEDMQ_METRICS_PORT") else { return nil }
        guard (0...65535).contains(port) else { throw ValidationError("\(source) must be in 0…65535, got \(port)") }
        return port
    }

    public func validate() throws {
        _ = try port()
    }

    /// With a port: bootstraps the process-wide `MetricsSystem` with a Prometheus backend and
    /// returns the server for it (plus `routes`) and the factory the libraries record into.
    /// Nil when metrics are off (nothing is bootstrapped). Call once per process.
    public func export(routes: [HTTPRoute] = [], logger: Logger,
                       _ env: EnvironmentValues = EnvironmentValues()) throws -> MetricsExport? {
        guard let port = try port(env) else { return nil }
        let backend = PrometheusBackend()
        backend.bootstrap()
        let configuration = MonitoringConfiguration(host: metricsHost ?? env.string("FEDMQ_METRICS_HOST") ?? "0.0.0.0",
                                                    port: port, registry: backend.registry)
        return MetricsExport(server: MonitoringServer(configuration: configuration, routes: routes, logger: logger),
                             factory: backend.factory)
    }
}
