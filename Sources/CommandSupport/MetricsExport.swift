// What `MetricsOptions.export` hands a command: the metrics server to run beside its work and
// the factory its libraries record into; commands without a service of their own (loadgen)
// run their work inside `serving`.
import CoreMetrics
import FedMQMonitoring
import Logging
import ServiceLifecycle

/// A process's metrics: the HTTP server to run beside its service and the factory its
/// libraries record into.
public struct MetricsExport: Sendable {
    /// Serves `/metrics`; run it with `ServiceCommand.run(_:alongside:…)`.
    public let server: MonitoringServer
    /// What the libraries' metrics are made with (the bootstrapped Prometheus factory).
    public let factory: any MetricsFactory

    /// Runs `body` while the server serves (commands without a long-running service, e.g.
    /// `fedmq loadgen`); the server stops when `body` returns or throws. A server that fails
    /// (port taken) is logged and `body` runs on without it.
    public func serving<T: Sendable>(logger: Logger, _ body: @Sendable () async throws -> T) async throws -> T {
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: AuxiliaryService(service: server, logger: logger))], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let result: Result<T, any Error>
            do { result = .success(try await body()) } catch { result = .failure(error) }
            await group.triggerGracefulShutdown()  // a graceful stop: cancelling makes Hummingbird log errors
            try await tasks.waitForAll()
            return try result.get()
        }
    }
}
