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
    /// SIGHUP is trapped before the service starts, in every configuration, so it never kills
    /// the process (its default action) and never skips the final checkpoint.
    /// - Parameters:
    ///   - endsRunWhenDone: the service returning on its own is success and ends the process
    ///     (aggregator and trainer: the run is over); otherwise it is an error.
    ///   - onHangup: called on every SIGHUP while the service runs (reload key files); nil when
    ///     there is nothing to reload: each SIGHUP is then logged (notice) and ignored.
    ///   - alongside: services that live as long as `service` (the metrics server): started
    ///     before it, stopped after it; one that fails is logged and the process runs on.
    public static func run(_ service: some Service, endsRunWhenDone: Bool, logger: Logger,
                           onHangup: (@Sendable () async -> Void)? = nil, alongside: [any Service] = []) async throws {
        let behavior: ServiceGroupConfiguration.ServiceConfiguration.TerminationBehavior =
            endsRunWhenDone ? .gracefullyShutdownGroup : .cancelGroup
        let companions = alongside.map {
            ServiceGroupConfiguration.ServiceConfiguration(service: AuxiliaryService(service: $0, logger: logger))
        }
        let group = ServiceGroup(configuration: .init(
            services: companions + [.init(service: service, successTerminationBehavior: behavior)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        let onHangup = onHangup ?? { @Sendable in
            logger.notice("SIGHUP: nothing to reload (no key lists in this configuration), still running")
        }
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                for await _ in hangups { await onHangup() }
            }
            defer { tasks.cancelAll() }
            try await group.run()
        }
    }
}
