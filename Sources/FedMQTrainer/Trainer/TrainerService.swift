import CoreMetrics
import Logging
import ServiceLifecycle
import Synchronization
import TensorCore
import ZeroMQ

/// A trainer as a swift-service-lifecycle `Service`.
///
/// One dedicated thread owns the sockets (SUB for models, PUSH for updates, DEALER for
/// control) and the local model, so neither ZeroMQ nor training ever blocks Swift's
/// cooperative pool. The thread learns the run id from the first model broadcast (unless
/// configured), registers (getting its trainer id and shard), then trains from the newest
/// model it holds and pushes each delta, heartbeating throughout. `run()` returns when the
/// aggregator broadcasts stop, or on graceful shutdown / cancellation (checked between
/// mini-batches), after saying goodbye.
public final class TrainerService: Service, Sendable {
    public let configuration: TrainerConfiguration
    private let architecture: ModelArchitecture
    private let dataset: Dataset?
    private let context: Context
    private let logger: Logger
    private let metricsFactory: (any MetricsFactory)?
    private let shared = TrainerShared()
    private let failure = Mutex<(any Error)?>(nil)

    /// - Parameters:
    ///   - dataset: samples to use instead of loading `configuration.data` (still cut into the
    ///     registration's shard when the source is the default dataset); nil to load.
    ///   - context: a ZeroMQ context to share (e.g. for inproc endpoints); a private one by default.
    ///   - metricsFactory: where to export Prometheus-style metrics (`fedmq_trainer_*`); nil: none.
    /// - Throws: `ConfigurationError` for invalid settings, `ModelError` for an unknown model.
    public init(configuration: TrainerConfiguration, dataset: Dataset? = nil, context: Context? = nil,
                metricsFactory: (any MetricsFactory)? = nil, logger: Logger) throws {
        try configuration.validate()
        self.architecture = try ModelArchitecture.named(configuration.modelName)
        self.configuration = configuration
        self.dataset = dataset
        self.metricsFactory = metricsFactory
        self.context = try context ?? Context()
        self.logger = logger
    }

    /// The latest progress snapshot.
    public var status: TrainerStatus { shared.status.withLock { $0 } }

    /// Runs until the aggregator broadcasts stop, or until graceful shutdown / cancellation.
    /// - Throws: the thread's fatal error (`TrainerError`, data or socket errors).
    public func run() async throws {
        let thread = SocketThread(name: "trainer") { [self] in
            do {
                try work()
            } catch {
                failure.withLock { $0 = error }
                logger.error("trainer failed", metadata: ["error": "\(error)"])
            }
        }
        await withTaskCancellationOrGracefulShutdownHandler {
            await thread.finished()
        } onCancelOrGracefulShutdown: { [shared] in
            shared.stopRequested.store(true, ordering: .releasing)
        }
        if let error = failure.withLock({ $0 }) { throw error }
    }

    private func work() throws {
        let sockets = try TrainerSockets(context: context, configuration: configuration)
        defer { sockets.close() }
        let loop = TrainerLoop(configuration: configuration, architecture: architecture, sockets: sockets,
                               shared: shared, metrics: metricsFactory.map(TrainerMetrics.init(factory:)), logger: logger)
        defer { loop.sayGoodbye() }  // also when the loop fails: the aggregator stops counting this trainer
        let exit = try loop.run(dataset: dataset)
        switch exit {
        case .stopBroadcast(let reason): logger.notice("trainer finished", metadata: ["reason": "\(reason)"])
        case .shutdown: logger.notice("trainer stopped (shutdown requested)")
        }
    }
}
