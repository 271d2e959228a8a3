import ArgumentParser
import Logging
import ServiceLifecycle
import UnixSignals

/// What the long-running executables (broker, aggregator, trainer) share: the log level
/// option and running one service until it ends or SIGTERM/SIGINT shuts it down.
public enum ServiceCommand {
    /// The log level from the `--log-level` flag, else `FEDMQ_LOG_LEVEL`, else `info`.
    public static func logLevel(flag: Logger.Level?, environment: EnvironmentValues = EnvironmentValues()) throws -> Logger.Level {
        try flag ?? environment.value("FEDMQ_LOG_LEVEL") ?? .info
    }

    /// A logger with `label` at `level`; only executables make loggers.
    public static func logger(label: String, level: Logger.Level) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = level
        return logger
    }

    /// Runs `service` in a `ServiceGroup` that shuts down gracefully on SIGTERM and SIGINT.
    /// - Parameters:
    ///   - endsRunWhenDone: the service returning on its own is success and ends the process
    ///     (aggregator and trainer: the run is over); otherwise it is an error.
    ///   - onHangup: called on every SIGHUP while the service runs (reload key files); nil
    ///     leaves SIGHUP alone.
    public static func run(_ service: some Service, endsRunWhenDone: Bool, logger: Logger,
                           onHangup: (@Sendable () async -> Void)? = nil) async throws {
        let behavior: ServiceGroupConfiguration.ServiceConfiguration.TerminationBehavior =
            endsRunWhenDone ? .gracefullyShutdownGroup : .cancelGroup
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: service, successTerminationBehavior: behavior)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        guard let onHangup else { return try await group.run() }
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                for await _ in await UnixSignalsSequence(trapping: .sighup) { await onHangup() }
            }
            defer { tasks.cancelAll() }
            try await group.run()
        }
    }
}
