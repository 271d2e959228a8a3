import ArgumentParser
import CommandSupport
import FedMQTools
import FedMQTransport
import Foundation
import Logging

/// `fedmq loadgen`: many lightweight trainers in one process against a running broker and
/// aggregator.
struct LoadGenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loadgen",
        abstract: "Simulate many trainers (own sockets and identity each) against a running broker and aggregator.",
        discussion: """
            Each simulated trainer registers, follows the model versions and sends a real-sized, valid update every --interval seconds on the newest version it holds (no training). Reports updates/s, publish → receipt latency of models (p50, p99, to the last trainer) and the peak resident memory of the --watch processes.

            Every option falls back to its FEDMQ_* environment variable, then to the default. The open-file limit is raised to the hard limit at start; each trainer needs about 6 descriptors here (3 sockets, 3 connections) and 3 in the broker (see docs/PERFORMANCE.md for thousands of trainers).

            \(ModelHelp.grammar)
            """
    )

    @Option(help: "Simulated trainers. [env: FEDMQ_LOADGEN_TRAINERS, default: 10]") var trainers: Int?
    @Option(help: "\(ModelHelp.option) It sets the update size. [env: FEDMQ_MODEL, default: cnn]") var model: String?
    @OptionGroup(title: "Broker") var broker: BrokerEndpointOptions<TrainerSide>
    @Option(help: "Run id to join. [env: FEDMQ_RUN_ID, default: learnt from the first model broadcast]") var runId: UInt64?
    @Option(help: "Seconds between two updates of one trainer. [env: FEDMQ_LOADGEN_INTERVAL, default: 1]") var interval: Double?
    @Option(help: "Seconds measured once every trainer is ready. [env: FEDMQ_LOADGEN_DURATION, default: 10]") var duration: Double?
    @Option(help: "Seconds allowed for all trainers to register and get a model. [env: FEDMQ_LOADGEN_SETUP_TIMEOUT, default: 60]") var setupTimeout: Double?
    @Option(help: "Threads driving the trainers. [env: FEDMQ_LOADGEN_THREADS, default: 2]") var threads: Int?
    @Option(help: "Seed of update values and send times. [env: FEDMQ_SEED, default: 0]") var seed: UInt64?
    @Option(help: "Identity prefix of the trainers (unique per run against one aggregator). [env: FEDMQ_LOADGEN_IDENTITY, default: loadgen-<pid>]") var identityPrefix: String?
    @Option(help: "Process whose peak RSS to report, as name=pid (repeatable; the variable takes a comma-separated list). [env: FEDMQ_LOADGEN_WATCH]") var watch: [String] = []
    @OptionGroup(title: "Encryption (one key pair for every simulated trainer)") var curve: CurveClientOptions
    @Flag(help: "Print the report as one JSON object instead of text.") var json = false
    @Option(help: "Log level. [env: FEDMQ_LOG_LEVEL, default: info]") var logLevel: Logger.Level?
    @OptionGroup(title: "Metrics") var metrics: MetricsOptions

    mutating func validate() throws {
        _ = try makeConfiguration()
        _ = try ServiceCommand.logLevel(flag: logLevel)
    }

    func run() async throws {
        let logger = ServiceCommand.logger(label: "fedmq.loadgen", level: try ServiceCommand.logLevel(flag: logLevel))
        let export = try metrics.export(logger: logger)
        let generator = try LoadGenerator(configuration: try makeConfiguration(), metricsFactory: export?.factory, logger: logger)
        let report = if let export { try await export.serving(logger: logger) { try await generator.run() } } else { try await generator.run() }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(report.summary)
        }
    }

    private func makeConfiguration() throws -> LoadGeneratorConfiguration {
        let env = EnvironmentValues()
        var c = LoadGeneratorConfiguration()
        c.trainers = try trainers ?? env.int("FEDMQ_LOADGEN_TRAINERS") ?? c.trainers
        c.modelName = model ?? env.string("FEDMQ_MODEL") ?? c.modelName
        (c.modelEndpoint, c.updateEndpoint, c.controlEndpoint) = try broker.endpoints(env)
        c.runID = try runId ?? env.value("FEDMQ_RUN_ID")
        c.updateInterval = try interval ?? env.value("FEDMQ_LOADGEN_INTERVAL") ?? c.updateInterval
        c.duration = try duration ?? env.value("FEDMQ_LOADGEN_DURATION") ?? c.duration
        c.setupTimeout = try setupTimeout ?? env.value("FEDMQ_LOADGEN_SETUP_TIMEOUT") ?? c.setupTimeout
        c.threads = try threads ?? env.int("FEDMQ_LOADGEN_THREADS") ?? c.threads
        c.seed = try seed ?? env.value("FEDMQ_SEED") ?? c.seed
        c.identityPrefix = identityPrefix ?? env.string("FEDMQ_LOADGEN_IDENTITY") ?? "loadgen-\(getpid())"
        let watched = watch.isEmpty ? (env.string("FEDMQ_LOADGEN_WATCH")?.split(separator: ",").map(String.init) ?? []) : watch
        c.watchedProcesses = try watched.map { entry in
            let parts = entry.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let pid = Int32(parts[1]), pid > 0 else {
                throw ValidationError("--watch expects name=pid, got '\(entry)'")
            }
            return (String(parts[0]), pid)
        }
        try validating {
            c.curve = try curve.clientKeys(env)
            try c.validate()
        }
        return c
    }
}
