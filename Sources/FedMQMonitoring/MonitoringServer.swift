// The HTTP side of monitoring: Prometheus scrapes /metrics here, and extra routes (a live page)
// ride along. A swift-service-lifecycle Service, so each executable runs it in the ServiceGroup
// that already stops it on SIGTERM/SIGINT. The only place Hummingbird is used.
import Hummingbird
import Logging
import ServiceLifecycle

/// Serves `/metrics` (Prometheus text exposition of the configured registry) and the given
/// routes over HTTP/1.1; any other path is 404. Stops on graceful shutdown or cancellation.
public final class MonitoringServer: Service, Sendable {
    /// The `Content-Type` of `/metrics` (Prometheus text exposition format 0.0.4).
    public static let metricsContentType = "text/plain; version=0.0.4; charset=utf-8"

    private let configuration: MonitoringConfiguration
    private let routes: [HTTPRoute]
    private let logger: Logger
    private let port = BoundPort()

    /// A server for `configuration` with `/metrics` plus `routes` (a route at `/metrics` replaces the default).
    public init(configuration: MonitoringConfiguration, routes: [HTTPRoute], logger: Logger) {
        self.configuration = configuration
        self.routes = routes
        self.logger = logger
    }

    /// The bound TCP port once `run()` listens (waits until then); nil if the server stopped
    /// or failed to bind before it listened.
    public func boundPort() async -> Int? {
        await port.value()
    }

    /// Listens until graceful shutdown or cancellation; throws if the address cannot be bound.
    public func run() async throws {
        let router = Router()
        for route in allRoutes() {
            router.get(RouterPath(route.path)) { _, _ in
                let bytes = await route.body()
                return Response(status: .ok, headers: [.contentType: route.contentType],
                                body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
            }
        }
        let (port, logger, host) = (self.port, self.logger, configuration.host)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port
                port.settle(bound)
                logger.notice("metrics at http://\(host):\(bound.map(String.init) ?? "?")/metrics")
            },
            logger: logger)
        defer { port.settle(nil) }
        try await app.run()
    }

    /// `/metrics` first (with `process_resident_memory_bytes` read at each scrape), unless a
    /// given route takes its path.
    private func allRoutes() -> [HTTPRoute] {
        let registry = configuration.registry
        let process = ProcessGauges(registry: registry)
        let metrics = HTTPRoute(path: "/metrics", contentType: Self.metricsContentType) {
            process.refresh()
            return registry.emitToBuffer()
        }
        return routes.contains { $0.path == metrics.path } ? routes : [metrics] + routes
    }
}
