// Where a MonitoringServer listens and which Prometheus registry it exposes: kept apart from the
// server so commands can build it from their options and tests can pick an ephemeral port.
import Prometheus

/// Where the monitoring HTTP server listens and what it exposes at `/metrics`.
public struct MonitoringConfiguration: Sendable {
    /// The address to bind: `0.0.0.0` (all IPv4 interfaces) by default, `127.0.0.1` for local only.
    public var host: String = "0.0.0.0"
    /// The TCP port to bind; 0 picks a free (ephemeral) port, see `MonitoringServer.boundPort()`.
    public var port: Int
    /// The registry whose metrics `/metrics` prints in the Prometheus text format.
    public var registry: PrometheusCollectorRegistry

    /// A server on `host`:`port` exposing `registry`.
    public init(host: String = "0.0.0.0", port: Int, registry: PrometheusCollectorRegistry) {
        self.host = host
        self.port = port
        self.registry = registry
    }
}
