import CoreMetrics
import FedMQTransport
import Foundation
import Logging
import SafeTensorsFormat
import TensorCore
import ZeroMQ

/// Many lightweight trainers in one process against a real broker and aggregator: each has
/// its own ZeroMQ sockets (SUB for models, PUSH for updates, DEALER for control) and identity,
/// registers, follows the model versions and sends a real-sized, valid update (seeded small
/// values, on the newest version it holds) every `updateInterval` seconds. Reports update
/// rates, publish → receipt latency (the aggregator stamps each model with its publish time;
/// receipts are stamped on the same machine's clock) and the resident memory of watched
/// processes. Trainers validate headers and read the publish time but skip CRC and decoding
/// of models, so one process can play a thousand of them.
public final class LoadGenerator: Sendable {
    public let configuration: LoadGeneratorConfiguration
    private let layout: ParameterLayout
    private let logger: Logger
    private let metrics: LoadGeneratorMetrics?

    /// - Parameter metricsFactory: where to export Prometheus-style metrics (`fedmq_loadgen_*`); nil: none.
    /// - Throws: `ConfigurationError` for invalid settings, `ModelError` for an unknown model.
    public init(configuration: LoadGeneratorConfiguration, metricsFactory: (any MetricsFactory)? = nil, logger: Logger) throws {
        try configuration.validate()
        self.configuration = configuration
        metrics = metricsFactory.map(LoadGeneratorMetrics.init(factory:))
        layout = try ModelArchitecture.named(configuration.modelName).layout
        self.logger = logger
    }

    /// Starts the trainers, waits until all are registered and hold a model (or the setup
    /// timeout passes), measures for `duration` seconds, then says goodbye and reports.
    public func run() async throws -> LoadReport {
        let limit = FileDescriptorLimit.raiseToHardLimit()
        let context = try Context(ioThreads: 2, maxSockets: 3 * configuration.trainers + 64)
        let phase = LoadPhase()
        let workers = try makeWorkers(context: context, phase: phase)
        let threads = workers.enumerated().map { index, worker in SocketThread(name: "loadgen-\(index)") { worker.run() } }
        var memory = MemorySampler(configuration.watchedProcesses)
        let clock = ContinuousClock()
        let setupDeadline = clock.now + .seconds(configuration.setupTimeout)
        while phase.ready < configuration.trainers, clock.now < setupDeadline {
            metrics?.readyTrainers.record(phase.ready)
            try await Task.sleep(for: .milliseconds(100))
        }
        let ready = phase.ready
        metrics?.readyTrainers.record(ready)
        memory.sample()
        let readyMemory = memory.latest
        logger.notice("load generator measuring", metadata: ["ready": "\(ready)", "trainers": "\(configuration.trainers)"])
        phase.set(.measuring)
        let start = clock.now
        while clock.now - start < .seconds(configuration.duration) {
            memory.sample()
            try await Task.sleep(for: .milliseconds(250))
        }
        memory.sample()
        let seconds = (clock.now - start) / .seconds(1)
        phase.set(.done)
        for thread in threads { await thread.finished() }
        if let failure = workers.compactMap(\.failure).first { throw LoadGeneratorError(failure) }
        var report = report(workers, ready: ready, seconds: seconds, memory: memory, limit: limit.soft)
        report.readyResidentBytes = readyMemory
        return report
    }

    private func makeWorkers(context: Context, phase: LoadPhase) throws -> [LoadWorker] {
        var g = SeededGenerator(seed: configuration.seed)
        let delta = (0..<layout.count).map { _ in (g.nextUnitFloat() - 0.5) * 1e-4 }
        let trainers = try (0..<configuration.trainers).map { index in
            try SimulatedTrainer(index: index, identity: "\(configuration.identityPrefix)-\(index)", context: context,
                                 configuration: configuration, layout: layout)
        }
        let count = min(configuration.threads, trainers.count)
        return (0..<count).map { w in
            LoadWorker(trainers: trainers.filter { $0.index % count == w }, configuration: configuration, layout: layout,
                       delta: delta, phase: phase, seed: configuration.seed &+ UInt64(w) &+ 1, metrics: metrics)
        }
    }

    private func report(_ workers: [LoadWorker], ready: Int, seconds: Double, memory: MemorySampler, limit: UInt64) -> LoadReport {
        let receipts = workers.flatMap(\.receipts)
        let latencies = receipts.map { Double($0.receivedMicroseconds - $0.publishedMicroseconds) / 1000 }
        var lastByBroadcast: [BroadcastKey: (latest: Int64, count: Int)] = [:]
        for r in receipts {
            let key = BroadcastKey(version: r.version, published: r.publishedMicroseconds)
            let entry = lastByBroadcast[key] ?? (r.receivedMicroseconds, 0)
            lastByBroadcast[key] = (max(entry.latest, r.receivedMicroseconds), entry.count + 1)
        }
        let lastLatencies = lastByBroadcast.map { Double($0.value.latest - $0.key.published) / 1000 }
        let delivered = lastByBroadcast.values.map { Double($0.count) / Double(max(ready, 1)) }
        return LoadReport(
            trainers: configuration.trainers, readyTrainers: ready, seconds: seconds,
            updatesSent: workers.reduce(0) { $0 + $1.updatesSent }, updatesBlocked: workers.reduce(0) { $0 + $1.updatesBlocked },
            modelReceipts: receipts.count, broadcasts: lastByBroadcast.count,
            receiptLatencyP50: LoadReport.quantile(latencies, 0.5), receiptLatencyP99: LoadReport.quantile(latencies, 0.99),
            lastSubscriberLatencyP50: LoadReport.quantile(lastLatencies, 0.5),
            lastSubscriberLatencyP99: LoadReport.quantile(lastLatencies, 0.99),
            deliveredFraction: delivered.isEmpty ? 0 : delivered.reduce(0, +) / Double(delivered.count),
            receiptsWithoutTimestamp: workers.reduce(0) { $0 + $1.receiptsWithoutTimestamp },
            stoppedTrainers: workers.reduce(0) { $0 + $1.stoppedTrainers },
            peakResidentBytes: memory.peaks, readyResidentBytes: [:], fileDescriptorLimit: limit)
    }

    private struct BroadcastKey: Hashable {
        var version: UInt64
        var published: Int64
    }
}

/// Peak resident memory of the watched processes and of this one.
struct MemorySampler {
    private let processes: [(name: String, pid: Int32)]
    private(set) var peaks: [String: Int] = [:]
    private(set) var latest: [String: Int] = [:]

    init(_ processes: [(name: String, pid: Int32)]) {
        self.processes = processes + [("loadgen", getpid())]
    }

    mutating func sample() {
        for (name, pid) in processes {
            guard let bytes = ProcessMemory.residentBytes(pid: pid) else { continue }
            peaks[name] = max(peaks[name] ?? 0, bytes)
            latest[name] = bytes
        }
    }
}

/// A load generator failure (a socket error on a worker thread).
public struct LoadGeneratorError: Error, Sendable, CustomStringConvertible {
    public let code = "loadgen_failed"
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
