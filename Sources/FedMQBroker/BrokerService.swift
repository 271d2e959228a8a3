import CoreMetrics
import FedMQTransport
import Logging
import ServiceLifecycle
import Synchronization
import ZeroMQ

/// The FedMQ broker: three channels between trainers and the aggregator, each forwarded on
/// its own thread.
///
/// - Model: aggregator PUB → `modelIn` (XSUB) → `modelOut` (XPUB) → trainers' SUB, with a
///   last-value cache per topic (first frame) so late subscribers get the current model
///   immediately (see `ModelChannel`).
/// - Updates: trainers' PUSH → `updatesIn` (PULL) → `updatesOut` (PUSH) → aggregator PULL.
/// - Control: trainers' DEALER → `controlIn` (ROUTER) → `controlOut` (ROUTER) → aggregator
///   DEALER. A trainer request `[payload…]` reaches the aggregator as `[trainerId, payload…]`;
///   the aggregator answers `[trainerId, reply…]` and the trainer receives `[reply…]`. Only
///   the aggregator holding the broker's aggregator lease gets requests; a second one is
///   refused (see `ControlChannel`).
///
/// All sockets are bound in `init` (so `endpoints` is known before `run()`); `run()` starts
/// the channel threads, logs statistics every `statisticsInterval`, and on cancellation or
/// graceful shutdown stops the threads (context shutdown), closes the sockets and
/// terminates the context.
public final class BrokerService: Service, Sendable {
    /// The configuration the broker was started with.
    public let configuration: BrokerConfiguration
    /// The endpoints actually bound.
    public let endpoints: BrokerEndpoints

    private let context: Context
    private let model: ModelChannel
    private let updates: ForwardingChannel
    private let control: ControlChannel
    private let authenticator: ZAPAuthenticator?
    private let started = Atomic<Bool>(false)
    /// The key sets in force: (trainer side, aggregator side); see `reloadKeys`.
    private let keys: Mutex<(allowed: Set<CurveKey>?, aggregator: Set<CurveKey>?)>
    private let logger: Logger
    private let metricsFactory: (any MetricsFactory)?

    /// Validates the configuration and binds every socket.
    /// - Parameter metricsFactory: where to export Prometheus-style metrics (`fedmq_broker_*`,
    ///   once a second); nil: none.
    public init(configuration: BrokerConfiguration, metricsFactory: (any MetricsFactory)? = nil,
                logger: Logger) throws(BrokerError) {
        try configuration.validate()
        self.configuration = configuration
        self.metricsFactory = metricsFactory
        self.logger = logger
        keys = Mutex((configuration.allowedClientKeys, configuration.aggregatorKeys))
        let context: Context
        do {
            context = try Context(ioThreads: configuration.ioThreads)
            if configuration.curveSecretKey != nil {
                authenticator = try ZAPAuthenticator(
                    context: context, allowedClientKeys: configuration.allowedClientKeys,
                    domainKeys: Self.domainKeys(aggregatorKeys: configuration.aggregatorKeys))
            } else {
                authenticator = nil
            }
        } catch {
            throw BrokerError(.socketSetupFailed, "cannot set up the ZeroMQ context: \(error)", underlying: error)
        }
        self.context = context
        do {
            (model, updates, control, endpoints) = try Self.bindChannels(
                BrokerSocketFactory(context: context, configuration: configuration), logger: logger)
        } catch {
            authenticator?.stop()
            context.shutdown()
            throw error
        }
    }

    deinit {
        // A broker dropped without `run()` still has its ZAP thread; sockets close on their own.
        authenticator?.stop()
    }

    /// The ZAP domains with keys of their own: the aggregator side, when it has a list.
    private static func domainKeys(aggregatorKeys: Set<CurveKey>?) -> [String: Set<CurveKey>] {
        aggregatorKeys.map { [BrokerSocketFactory.aggregatorDomain: $0] } ?? [:]
    }

    /// Replaces the admitted CURVE keys while the broker runs (e.g. after the key files changed;
    /// the broker executable does this on SIGHUP): `allowedClientKeys` and `aggregatorKeys` as in
    /// `BrokerConfiguration`. New connections are checked against the new lists; connections
    /// already open stay up, so a removed key is cut off only when it reconnects — to refuse its
    /// messages at once, remove it from the aggregator's trainer keys as well.
    ///
    /// - Throws: `BrokerError.Code.invalidConfiguration` when CURVE is off.
    public func reloadKeys(allowedClientKeys: Set<CurveKey>?, aggregatorKeys: Set<CurveKey>?) throws(BrokerError) {
        guard let authenticator else {
            throw BrokerError(.invalidConfiguration, "CURVE is off: there are no keys to reload")
        }
        let old = keys.withLock { old in
            defer { old = (allowedClientKeys, aggregatorKeys) }
            return old
        }
        authenticator.replaceKeys(allowedClientKeys: allowedClientKeys,
                                  domainKeys: Self.domainKeys(aggregatorKeys: aggregatorKeys))
        let removed = old.allowed.map { $0.subtracting(allowedClientKeys ?? []) } ?? []
        let removedCount = allowedClientKeys == nil ? 0 : removed.count
        logger.notice("CURVE keys reloaded: trainer side admits \(Self.count(allowedClientKeys)), aggregator side \(Self.count(aggregatorKeys ?? allowedClientKeys))",
                      metadata: ["removed": "\(removedCount)"])
        if removedCount > 0 {
            logger.warning("connections already open with a removed key stay up until they reconnect; remove the key from the aggregator's trainer keys to refuse its messages now")
        }
    }

    private static func count(_ keys: Set<CurveKey>?) -> String { keys.map { "\($0.count) keys" } ?? "any key" }

    /// Binds the six sockets and wraps them in their channels.
    private static func bindChannels(_ factory: BrokerSocketFactory, logger: Logger) throws(BrokerError)
        -> (ModelChannel, ForwardingChannel, ControlChannel, BrokerEndpoints)
    {
        let configuration = factory.configuration
        let ports = configuration.ports
        let (data, small) = (configuration.maxMessageSize, configuration.maxControlMessageSize)
        let (trainers, aggregator) = (BrokerSocketFactory.trainerDomain, BrokerSocketFactory.aggregatorDomain)
        let (xsub, modelIn) = try factory.bind(
            .xsub, port: ports.modelIn, highWaterMark: configuration.modelHighWaterMark, maxMessageSize: data, domain: aggregator)
        let (xpub, modelOut) = try factory.bind(
            .xpub, port: ports.modelOut, highWaterMark: configuration.modelHighWaterMark, maxMessageSize: small, domain: trainers,
            extra: [.xpubVerbose(true)])
        let (pull, updatesIn) = try factory.bind(
            .pull, port: ports.updatesIn, highWaterMark: configuration.updatesPerTrainer, maxMessageSize: data, domain: trainers)
        let (push, updatesOut) = try factory.bind(
            .push, port: ports.updatesOut, highWaterMark: configuration.effectiveUpdateHighWaterMark, maxMessageSize: data,
            domain: aggregator)
        let (router, controlIn) = try factory.bind(
            .router, port: ports.controlIn, highWaterMark: configuration.controlHighWaterMark, maxMessageSize: small, domain: trainers)
        let (aggregatorRouter, controlOut) = try factory.bind(
            .router, port: ports.controlOut, highWaterMark: configuration.controlHighWaterMark, maxMessageSize: small,
            domain: aggregator)
        // With CURVE, the ZAP handler's User-Id (the sender's public key) rides along as a last frame.
        let sender = configuration.curveSecretKey == nil ? nil : "User-Id"
        let model: ModelChannel
        let control: ControlChannel
        do {
            model = try ModelChannel(upstream: xsub, downstream: xpub)
            control = try ControlChannel(
                frontend: router, backend: aggregatorRouter, frontendMonitor: try factory.monitor(router), senderProperty: sender,
                leaseTimeout: configuration.aggregatorLeaseTimeout / .seconds(1), pendingLimit: configuration.controlHighWaterMark,
                logger: logger)
        } catch let error as BrokerError {
            throw error
        } catch {
            throw BrokerError(.socketSetupFailed, "cannot set up the model or control channel: \(error)", underlying: error)
        }
        return (
            model,
            ForwardingChannel(name: "updates", frontend: pull, backend: push, bidirectional: false,
                              frontendMonitor: try factory.monitor(pull), senderProperty: sender),
            control,
            BrokerEndpoints(
                modelIn: modelIn, modelOut: modelOut, updatesIn: updatesIn,
                updatesOut: updatesOut, controlIn: controlIn, controlOut: controlOut)
        )
    }

    /// A snapshot of the traffic counters.
    public var statistics: BrokerStatistics {
        var statistics = BrokerStatistics()
        statistics.model = model.counters.snapshot
        statistics.updates = updates.counters.snapshot
        statistics.control = control.counters.snapshot
        statistics.cachedTopics = model.cachedTopics
        statistics.subscriptions = model.subscriptions
        statistics.aggregatorLease = control.leaseHolder
        statistics.refusedAggregatorClaims = control.refused
        statistics.droppedControlMessages = control.dropped
        return statistics
    }

    /// How long ago the model channel's last-value cache took its newest model; nil before the first.
    public var modelCacheAge: Duration? { model.cacheAge }

    /// Whether a late subscriber's cached model is sent to it alone (libzmq supports manual
    /// XPUB subscriptions with last value) rather than broadcast to every matching subscriber.
    public var replaysModelToNewSubscriberOnly: Bool { model.replaysExclusively }

    /// Admissions and refusals of the ZAP handler, when CURVE is on.
    public var authentication: (accepted: Int, refused: Int)? {
        authenticator.map { ($0.accepted, $0.refused) }
    }

    /// Runs the broker until the task is cancelled or a graceful shutdown is requested,
    /// then stops cleanly (context shutdown ends the loops, sockets close, the context
    /// terminates). Can be called once.
    ///
    /// - Throws: `BrokerError.Code.channelFailed` if a channel loop died on a socket error
    ///   (the broker is then stopped too, so a supervisor can restart it).
    public func run() async throws {
        guard started.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else {
            throw BrokerError(.alreadyRunning, "run() was already called on this broker")
        }
        let (failures, reportFailure) = AsyncStream<String>.makeStream()
        let threads = [model, updates, control].map { (channel: any BrokerChannel) in
            SocketThread(name: "broker-\(channel.name)") {
                if let error = channel.run() { reportFailure.yield("\(channel.name) channel: \(error)") }
            }
        }
        logger.notice("broker listening: \(endpoints.summary)", metadata: [
            "max_message_bytes": "\(configuration.maxMessageSize.map(String.init) ?? "unlimited")",
            "max_control_message_bytes": "\(configuration.maxControlMessageSize.map(String.init) ?? "unlimited")",
        ])
        if configuration.curveSecretKey != nil {
            let aggregatorSide = configuration.aggregatorKeys ?? configuration.allowedClientKeys
            logger.notice("CURVE on: trainer side admits \(Self.count(configuration.allowedClientKeys)), aggregator side \(Self.count(aggregatorSide))")
        }
        logger.info("model replay to late subscribers: \(model.replaysExclusively ? "new subscriber only" : "broadcast")")
        let failure = await cancelWhenGracefulShutdown { [self] in await superviseUntilCancelled(failures) }
        context.shutdown()
        for thread in threads { await thread.finished() }
        await authenticator?.stopAsync()
        context.terminate()
        logger.notice("broker stopped", metadata: ["statistics": "\(statistics.summary)"])
        if let failure {
            logger.error("broker failed", metadata: ["error": "\(failure)"])
            throw BrokerError(.channelFailed, failure)
        }
    }

    /// Logs statistics every interval until cancelled (returns `nil`) or until a channel
    /// reports a failure (returns it).
    private func superviseUntilCancelled(_ failures: AsyncStream<String>) async -> String? {
        await withTaskGroup(of: String?.self) { group in
            group.addTask { [self] in
                while !Task.isCancelled {
                    do { try await Task.sleep(for: configuration.statisticsInterval) } catch { return nil }
                    logger.info("broker statistics", metadata: ["statistics": "\(statistics.summary)"])
                }
                return nil
            }
            group.addTask {
                for await failure in failures { return failure }
                return nil
            }
            if let metricsFactory {
                group.addTask { [self] in
                    var metrics = BrokerMetrics(factory: metricsFactory)
                    repeat { metrics.observe(statistics, cacheAge: modelCacheAge) } while (try? await Task.sleep(for: .seconds(1))) != nil
                    return nil
                }
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }
}
