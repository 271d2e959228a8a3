// The aggregator's Prometheus metrics (through swift-metrics, whatever backend the executable
// chose). The counts are not kept twice: the engine's RunCounters stay the one record (they
// feed metrics.jsonl and checkpoints), and `observe` turns their growth since the last call
// into counter increments, on the intake thread between polls, so updates pay nothing extra.
// Bounded labels only: rejection reasons (a closed enum), never trainer ids.
import CoreMetrics
import FedMQProtocol

/// Metrics of one aggregator; owned by its intake thread (not `Sendable`). Public for the
/// intake benchmark (`fedmq bench federation`), which measures what exporting costs.
public final class AggregatorMetrics {
    private let version: Gauge
    private let accepted: Counter
    private let clipped: Counter
    private let rejected: [String: Counter]
    private let bytesIn: Counter
    private let bytesOut: Counter
    private let staleness: Recorder
    private let liveTrainers: Gauge
    private let registeredTrainers: Gauge
    private let bufferFill: Gauge
    private let roundDuration: CoreMetrics.Timer
    private let checkpointDuration: CoreMetrics.Timer
    private let evaluatedVersion: Gauge
    private let accuracy: Gauge
    private let loss: Gauge
    /// Central DP: ε spent so far at the configured δ (exported only when central DP is on).
    private let privacyEpsilon: Gauge
    /// The counters as of the last `observe`: what has been exported.
    private var exported = RunCounters()
    private var lastVersionAt: Double?

    /// Metrics named `fedmq_aggregator_*`, made by `factory`.
    public init(factory: any MetricsFactory) {
        func counter(_ name: String, _ dimensions: [(String, String)] = []) -> Counter {
            Counter(label: "fedmq_aggregator_" + name, dimensions: dimensions, factory: factory)
        }
        func gauge(_ name: String) -> Gauge { Gauge(label: "fedmq_aggregator_" + name, factory: factory) }
        func timer(_ name: String) -> CoreMetrics.Timer { CoreMetrics.Timer(label: "fedmq_aggregator_" + name, factory: factory) }
        version = gauge("version")
        accepted = counter("updates_accepted_total")
        clipped = counter("updates_clipped_total")
        rejected = Dictionary(uniqueKeysWithValues: RejectionReason.allCases.map {
            ($0.rawValue, counter("messages_rejected_total", [("reason", $0.rawValue)]))
        })
        bytesIn = counter("received_bytes_total")
        bytesOut = counter("sent_bytes_total")
        staleness = Recorder(label: "fedmq_aggregator_update_staleness_versions", factory: factory)
        liveTrainers = gauge("live_trainers")
        registeredTrainers = gauge("registered_trainers")
        bufferFill = gauge("buffered_updates")
        roundDuration = timer("round_duration_seconds")
        checkpointDuration = timer("checkpoint_duration_seconds")
        evaluatedVersion = gauge("evaluated_version")
        accuracy = gauge("evaluation_accuracy_ratio")
        loss = gauge("evaluation_loss")
        privacyEpsilon = gauge("privacy_epsilon")
    }

    /// Exports the engine's state: counters grow by what `engine.counters` gained since the
    /// last call; gauges take the current values.
    public func observe(_ engine: AggregatorEngine) {
        let counters = engine.counters
        version.record(Double(engine.version))
        liveTrainers.record(Double(engine.registry.liveCount))
        registeredTrainers.record(Double(engine.registry.records.count))
        bufferFill.record(Double((engine.strategy as? FedBuff)?.pendingUpdates ?? (engine.strategy as? SyncFedAvg)?.pendingUpdates ?? 0))
        if let spent = engine.privacySpent { privacyEpsilon.record(spent) }
        guard counters != exported else { return }
        Self.grow(accepted, from: exported.updatesAccepted, to: counters.updatesAccepted)
        Self.grow(clipped, from: exported.updatesClipped, to: counters.updatesClipped)
        Self.grow(bytesIn, from: exported.bytesIn, to: counters.bytesIn)
        Self.grow(bytesOut, from: exported.bytesOut, to: counters.bytesOut)
        for (reason, count) in counters.rejected {
            guard let counter = rejected[reason] else { continue }
            Self.grow(counter, from: exported.rejected[reason] ?? 0, to: count)
        }
        exportStaleness(counters.staleness)
        exported = counters
    }

    /// A new version at `now` (seconds): the time since the previous one is a round's duration.
    func versionMade(now: Double) {
        if let lastVersionAt { roundDuration.recordSeconds(max(0, now - lastVersionAt)) }
        lastVersionAt = now
    }

    /// A checkpoint took `duration`.
    func checkpointWritten(in duration: Duration) {
        checkpointDuration.recordNanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }

    /// The test-set evaluation of `version`.
    func evaluated(version: UInt64, _ result: EvaluationResult) {
        evaluatedVersion.record(Double(version))
        accuracy.record(result.accuracy)
        loss.record(result.loss)
    }

    /// Records each staleness value accepted since the last export (a restore restarts the
    /// histogram: then everything in it is new).
    private func exportStaleness(_ histogram: StalenessHistogram) {
        let before = histogram.total >= exported.staleness.total ? exported.staleness.buckets : []
        for (value, count) in histogram.buckets.enumerated() {
            let new = count - min(count, value < before.count ? before[value] : 0)
            for _ in 0..<new { staleness.record(Int64(value)) }
        }
    }

    private static func grow(_ counter: Counter, from old: UInt64, to new: UInt64) {
        if new > old { counter.increment(by: Int64(new - old)) }
    }
}
