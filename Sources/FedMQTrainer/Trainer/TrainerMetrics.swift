// A trainer's Prometheus metrics (swift-metrics API; the executable picks the backend): what
// an operator asks of one trainer — is it training, how fast, is it keeping the emulated
// device's pace, which model does it hold. Recorded once per local round, never per batch.
import CoreMetrics

/// Metrics of one trainer; used by its trainer thread.
struct TrainerMetrics {
    private let roundDuration: CoreMetrics.Timer
    private let samplesPerSecond: Gauge
    private let updatesSent: Counter
    private let behindPace: Gauge
    private let behindPaceTotal: FloatingPointCounter
    private let modelVersion: Gauge
    private let trainingLoss: Gauge

    init(factory: any MetricsFactory) {
        roundDuration = CoreMetrics.Timer(label: "fedmq_trainer_local_round_duration_seconds", factory: factory)
        samplesPerSecond = Gauge(label: "fedmq_trainer_samples_per_second", factory: factory)
        updatesSent = Counter(label: "fedmq_trainer_updates_sent_total", factory: factory)
        behindPace = Gauge(label: "fedmq_trainer_behind_pace_seconds", factory: factory)
        behindPaceTotal = FloatingPointCounter(label: "fedmq_trainer_behind_pace_seconds_total", factory: factory)
        modelVersion = Gauge(label: "fedmq_trainer_model_version", factory: factory)
        trainingLoss = Gauge(label: "fedmq_trainer_training_loss", factory: factory)
    }

    /// A local round's update left for the broker.
    func sent(_ result: LocalResult) {
        roundDuration.recordSeconds(result.seconds)
        if result.seconds > 0 { samplesPerSecond.record(Double(result.sampleCount) / result.seconds) }
        updatesSent.increment()
        behindPace.record(result.secondsBehindPace)
        behindPaceTotal.increment(by: result.secondsBehindPace)
        trainingLoss.record(Double(result.meanLoss))
    }

    /// A new global model version was adopted.
    func adopted(version: UInt64) {
        modelVersion.record(Double(version))
    }
}
