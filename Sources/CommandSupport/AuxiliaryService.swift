// A service that runs beside a process's real work (the metrics server) must not take that
// work down: a metrics port already taken (another process, a port reserved by `fedmq run` and
// grabbed in between) is logged as an error and the process runs on without metrics.
import Logging
import ServiceLifecycle

/// Runs `service`; if it fails, logs why and waits for shutdown instead of ending the group.
struct AuxiliaryService: Service {
    let service: any Service
    let logger: Logger

    func run() async throws {
        do {
            try await service.run()
        } catch is CancellationError {
            return
        } catch {
            logger.error("metrics server failed; running on without it", metadata: ["error": "\(error)"])
            try? await gracefulShutdown()
        }
    }
}
