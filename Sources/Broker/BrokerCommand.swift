import ArgumentParser
import CommandSupport
import FedMQBroker
import FedMQProtocol
import FedMQTransport
import Foundation
import Logging
import ServiceLifecycle
import ZeroMQ

@main
struct BrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker",
        abstract: "FedMQ broker: forwards models, updates and control messages between trainers and the aggregator.",
        discussion: """
            Each option falls back to its environment variable, then to the default.

            model: aggregator PUB → model-in (XSUB) → model-out (XPUB) → trainers' SUB, with a last-value cache per topic so late subscribers get the current model at once.

            updates: trainers' PUSH → updates-in (PULL) → updates-out (PUSH) → aggregator PULL.

            control: trainers' DEALER → control-in (ROUTER) → control-out (ROUTER) → aggregator DEALER.

            One aggregator per broker: an aggregator claims the broker's aggregator lease before it takes any work and renews it about every second; trainers' requests go to the holder only. A second aggregator is refused with the holder's name, host and pid, and exits. A holder that exits or is killed is replaced by the next claimant at once; one that stops answering (frozen, unreachable) only after --aggregator-lease-seconds.

            Encryption: with --curve-secret-key(-file) every socket is a CURVE server; clients need the broker's public key. --allowed-keys(-file) restricts who may connect; --aggregator-keys(-file) restricts the aggregator-side ports (model-in, updates-out, control-out) to the aggregator. Every update and control request then reaches the aggregator with the sender's public key as an extra last frame. Key files come from `fedmq keygen`. SIGHUP re-reads the key lists (new handshakes use them; a list that does not parse is refused and the old one stays); see docs/SECURITY.md.

            High-water marks: the model channel keeps few messages (models are large and superseded), the update channel more (updates are work that should not be dropped).

            Stops cleanly on SIGTERM/SIGINT. Without CURVE, SIGHUP has nothing to reload: it is logged and ignored.
            """,
        version: FedMQVersion.current
    )

    @Option(help: "Interface to bind, '*' for all. [env: FEDMQ_BIND, default: *]")
    var bind: String?

    @Option(help: "Model-in port (XSUB, aggregator publishes here). [env: FEDMQ_MODEL_IN_PORT, default: \(BrokerPorts.defaults.modelIn)]")
    var modelInPort: Int?

    @Option(help: "Model-out port (XPUB, trainers subscribe here). [env: FEDMQ_MODEL_OUT_PORT, default: \(BrokerPorts.defaults.modelOut)]")
    var modelOutPort: Int?

    @Option(help: "Updates-in port (PULL, trainers push updates here). [env: FEDMQ_UPDATES_IN_PORT, default: \(BrokerPorts.defaults.updatesIn)]")
    var updatesInPort: Int?

    @Option(help: "Updates-out port (PUSH, the aggregator pulls here). [env: FEDMQ_UPDATES_OUT_PORT, default: \(BrokerPorts.defaults.updatesOut)]")
    var updatesOutPort: Int?

    @Option(help: "Control-in port (ROUTER, trainers' DEALER requests). [env: FEDMQ_CONTROL_IN_PORT, default: \(BrokerPorts.defaults.controlIn)]")
    var controlInPort: Int?

    @Option(help: "Control-out port (ROUTER, the aggregator's DEALER claims the lease and answers). [env: FEDMQ_CONTROL_OUT_PORT, default: \(BrokerPorts.defaults.controlOut)]")
    var controlOutPort: Int?

    @Option(help: "Model channel high-water mark in messages (small: models are large and superseded). [env: FEDMQ_MODEL_HWM, default: 4]")
    var modelHwm: Int?

    @Option(help: "Update channel high-water mark toward the aggregator in messages, when --model-parameters is not given. [env: FEDMQ_UPDATE_HWM, default: 256]")
    var updateHwm: Int?

    @Option(help: "Bytes of updates the update channel holds toward the aggregator, with --model-parameters (a stalled aggregator costs this much broker memory at most, whatever the model). [env: FEDMQ_UPDATE_QUEUE_BYTES, default: 16777216 (16 MiB)]")
    var updateQueueBytes: Int?

    @Option(help: "Updates held per trainer connection (a trainer has one in flight; a stalled aggregator backs up into the trainers, which then wait). [env: FEDMQ_UPDATES_PER_TRAINER, default: 2]")
    var updatesPerTrainer: Int?

    @Option(help: "Control channel high-water mark in messages. [env: FEDMQ_CONTROL_HWM, default: 1000]")
    var controlHwm: Int?

    @Option(help: "libzmq I/O threads (they read and write every connection; the broker moves each message twice; thread 0 serves the aggregator side). [env: FEDMQ_IO_THREADS, default: 3]")
    var ioThreads: Int?

    @Option(help: "Largest accepted model or update frame in bytes (ZMQ_MAXMSGSIZE); a bigger one drops the sender's connection and is never forwarded. [env: FEDMQ_MAX_MESSAGE_BYTES, default: from --model-parameters (8 × parameters + 128 KiB), else 1 GiB]")
    var maxMessageBytes: Int?

    @Option(help: "Number of float32 parameters of the run's model (the aggregator logs it at start; cnn 21840, mlp 199210); sets the default --max-message-bytes. The broker does not build models, so it takes the size, not the architecture. [env: FEDMQ_MODEL_PARAMETERS]")
    var modelParameters: Int?

    @Option(help: "CURVE secret key of the broker (40 Z85 characters); enables encryption. [env: FEDMQ_CURVE_SECRET_KEY]")
    var curveSecretKey: String?

    @Option(help: "File holding the broker's secret key, e.g. keys/broker.key. [env: FEDMQ_CURVE_SECRET_KEY_FILE]")
    var curveSecretKeyFile: String?

    @Option(help: "Comma-separated Z85 public keys of the clients allowed to connect (needs a CURVE secret key; include the aggregator unless --aggregator-keys is given). [env: FEDMQ_ALLOWED_KEYS]")
    var allowedKeys: String?

    @Option(help: "File listing the allowed public keys, one per line, '#' comments (keygen's allowed_keys). [env: FEDMQ_ALLOWED_KEYS_FILE]")
    var allowedKeysFile: String?

    @Option(help: "Comma-separated public keys admitted on the aggregator-side ports (model-in, updates-out, control-out), instead of the allowed keys. [env: FEDMQ_AGGREGATOR_KEYS]")
    var aggregatorKeys: String?

    @Option(help: "File listing the aggregator-side keys, e.g. keys/aggregator.pub. [env: FEDMQ_AGGREGATOR_KEYS_FILE]")
    var aggregatorKeysFile: String?

    @Option(help: "Seconds the aggregator holding the lease may stay silent before another aggregator may take over (2…3600; a holder whose connection closed is replaced at once). [env: FEDMQ_AGGREGATOR_LEASE_SECONDS, default: 3]")
    var aggregatorLeaseSeconds: Int?

    @Option(help: "Seconds between statistics log lines. [env: FEDMQ_STATS_INTERVAL, default: 30]")
    var statsInterval: Int?

    @Option(help: "Log level. [env: FEDMQ_LOG_LEVEL, default: info]")
    var logLevel: Logger.Level?

    @OptionGroup(title: "Metrics")
    var metrics: MetricsOptions

    mutating func validate() throws {
        _ = try makeConfiguration()
        _ = try resolvedLogLevel()
    }

    func run() async throws {
        let logger = ServiceCommand.logger(label: "fedmq.broker", level: try resolvedLogLevel())
        let files = FileDescriptorLimit.raiseToHardLimit()
        logger.info("open-file limit", metadata: ["soft": "\(files.soft)", "hard": "\(files.hard)"])
        let export = try metrics.export(logger: logger)
        let service = try BrokerService(configuration: try makeConfiguration(), metricsFactory: export?.factory, logger: logger)
        let lists = KeyLists(allowedKeys: allowedKeys, allowedKeysFile: allowedKeysFile,
                             aggregatorKeys: aggregatorKeys, aggregatorKeysFile: aggregatorKeysFile)
        let reload: (@Sendable () async -> Void)? = service.configuration.curveSecretKey == nil ? nil : { @Sendable in
            Self.reloadKeys(lists, of: service, logger: logger)
        }
        try await ServiceCommand.run(service, endsRunWhenDone: false, logger: logger, onHangup: reload,
                                     alongside: export.map { [$0.server] } ?? [])
    }

    /// SIGHUP: reads the key lists again (flags, files, environment) and hands them to the
    /// running broker; a list that does not read or parse leaves the keys in force unchanged.
    private static func reloadKeys(_ lists: KeyLists, of service: BrokerService, logger: Logger) {
        do {
            let (allowed, aggregator) = try lists.read(EnvironmentValues())
            try service.reloadKeys(allowedClientKeys: allowed, aggregatorKeys: aggregator)
        } catch {
            logger.error("SIGHUP: keys not reloaded, the previous ones stay in force", metadata: ["error": "\(error)"])
        }
    }

    /// Flags, else environment variables, else `BrokerConfiguration` defaults; validated.
    private func makeConfiguration() throws -> BrokerConfiguration {
        let env = EnvironmentValues()
        var configuration = BrokerConfiguration()
        configuration.bindHost = bind ?? env.string("FEDMQ_BIND") ?? configuration.bindHost
        var ports = configuration.ports
        ports.modelIn = try modelInPort ?? env.int("FEDMQ_MODEL_IN_PORT") ?? ports.modelIn
        ports.modelOut = try modelOutPort ?? env.int("FEDMQ_MODEL_OUT_PORT") ?? ports.modelOut
        ports.updatesIn = try updatesInPort ?? env.int("FEDMQ_UPDATES_IN_PORT") ?? ports.updatesIn
        ports.updatesOut = try updatesOutPort ?? env.int("FEDMQ_UPDATES_OUT_PORT") ?? ports.updatesOut
        ports.controlIn = try controlInPort ?? env.int("FEDMQ_CONTROL_IN_PORT") ?? ports.controlIn
        ports.controlOut = try controlOutPort ?? env.int("FEDMQ_CONTROL_OUT_PORT") ?? ports.controlOut
        configuration.ports = ports
        configuration.modelHighWaterMark = try modelHwm ?? env.int("FEDMQ_MODEL_HWM") ?? configuration.modelHighWaterMark
        configuration.updateHighWaterMark = try updateHwm ?? env.int("FEDMQ_UPDATE_HWM") ?? configuration.updateHighWaterMark
        configuration.controlHighWaterMark = try controlHwm ?? env.int("FEDMQ_CONTROL_HWM") ?? configuration.controlHighWaterMark
        configuration.ioThreads = try ioThreads ?? env.int("FEDMQ_IO_THREADS") ?? configuration.ioThreads
        let parameterCount = try modelParameters ?? env.int("FEDMQ_MODEL_PARAMETERS")
        if let count = parameterCount, count <= 0 { throw ValidationError("--model-parameters must be > 0, got \(count)") }
        let needed = parameterCount.map(MessageSizeLimit.messageBytes(parameterCount:))
        if let bytes = try maxMessageBytes ?? env.int("FEDMQ_MAX_MESSAGE_BYTES") {
            if let needed, bytes < needed {
                throw ValidationError("--max-message-bytes \(bytes) is smaller than the \(needed) bytes an update of a model of "
                                      + "\(parameterCount ?? 0) parameters may take: the broker would drop every update with its "
                                      + "connection; raise it to at least \(needed) or leave it unset")
            }
            configuration.maxMessageSize = bytes
        } else if let needed {
            configuration.maxMessageSize = needed
        }
        configuration.modelParameters = parameterCount
        configuration.updateQueueBytes = try updateQueueBytes ?? env.int("FEDMQ_UPDATE_QUEUE_BYTES") ?? configuration.updateQueueBytes
        configuration.updatesPerTrainer = try updatesPerTrainer ?? env.int("FEDMQ_UPDATES_PER_TRAINER") ?? configuration.updatesPerTrainer
        if let seconds = try statsInterval ?? env.int("FEDMQ_STATS_INTERVAL") {
            guard seconds > 0 else { throw ValidationError("--stats-interval must be > 0 seconds, got \(seconds)") }
            configuration.statisticsInterval = .seconds(seconds)
        }
        if let seconds = try aggregatorLeaseSeconds ?? env.int("FEDMQ_AGGREGATOR_LEASE_SECONDS") {
            configuration.aggregatorLeaseTimeout = .seconds(seconds)
        }
        try readKeys(into: &configuration, env)
        do {
            try configuration.validate()
        } catch {
            throw ValidationError(error.message)
        }
        return configuration
    }

    /// The CURVE secret key and the key lists, each inline or from a file.
    private func readKeys(into configuration: inout BrokerConfiguration, _ env: EnvironmentValues) throws {
        try validating {
            if let secret = try env.valueOrFile(curveSecretKey, file: curveSecretKeyFile, variable: "FEDMQ_CURVE_SECRET_KEY") {
                configuration.curveSecretKey = try CurveKeyList.key(secret, what: "--curve-secret-key")
            }
            (configuration.allowedClientKeys, configuration.aggregatorKeys) = try KeyLists(
                allowedKeys: allowedKeys, allowedKeysFile: allowedKeysFile,
                aggregatorKeys: aggregatorKeys, aggregatorKeysFile: aggregatorKeysFile).read(env)
        }
    }

    private func resolvedLogLevel() throws -> Logger.Level {
        try ServiceCommand.logLevel(flag: logLevel)
    }
}

