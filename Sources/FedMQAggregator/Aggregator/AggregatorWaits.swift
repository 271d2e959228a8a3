// An aggregator with no broker, or one that no trainer reaches, used to run on in silence: the
// log said "aggregator running" and nothing more, even at debug level. This type watches the
// two waits that keep a run from starting — a socket (model, update or control) without a
// completed connection to the broker, no registered trainer — and says at a slowing pace (`WaitReporter`) what is awaited, on which endpoint, and the
// likely causes. Time is passed in; the only I/O is the logger (and the host-name lookup of
// `WaitCauses`, done only when a report is due).
import FedMQTransport
import Logging

/// Reports the intake's waits for the broker and for trainers.
struct AggregatorWaits {
    /// What the run is waiting for.
    enum Stage: Equatable {
        /// A socket has never completed its connection (handshake included) to the broker.
        case broker
        /// Connected, but no trainer is registered and live.
        case trainers
    }

    private let configuration: AggregatorConfiguration
    private let logger: Logger
    private var reporter = WaitReporter()
    private var stage: Stage?

    init(configuration: AggregatorConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// The progress of the model, update and control sockets' connections, as
    /// `AggregatorSockets.progress` keeps it.
    typealias Progress = (models: ConnectionProgress, updates: ConnectionProgress, control: ConnectionProgress)

    /// The stage to report given the intake's state: nil when nothing blocks the run.
    static func stage(_ progress: Progress, liveTrainers: Int) -> Stage? {
        if ![progress.models, progress.updates, progress.control].allSatisfy(\.handshaken) { return .broker }
        return liveTrainers == 0 ? .trainers : nil
    }

    /// Called on every pass of the intake loop at `now` (monotonic seconds); logs when a
    /// report of the current wait is due.
    mutating func observe(_ progress: Progress, liveTrainers: Int, now: Double) {
        let current = Self.stage(progress, liveTrainers: liveTrainers)
        if current != stage {
            reporter.reset()
            stage = current
        }
        guard let current, let waited = reporter.check(now: now) else { return }
        let sockets = [("model", configuration.modelEndpoint, progress.models),
                       ("update", configuration.updateEndpoint, progress.updates),
                       ("control", configuration.controlEndpoint, progress.control)]
        let missing = sockets.filter { !$0.2.handshaken }
        let curve = configuration.curve != nil
        let (message, endpoint, causes): (Logger.Message, String, [String]) = switch current {
        case .broker:
            ("no connection to the broker yet", missing[0].1,
             WaitCauses.of(waitOn: missing[0].1, curve: curve, progress: missing[0].2))
        case .trainers:
            ("no trainer has registered yet", configuration.controlEndpoint, [
                "no trainer is running, or the trainers cannot reach the broker (see their logs)",
                "the trainers' CURVE setting differs from the broker's, or their keys are not admitted",
                "the trainers were given another --run-id than \(configuration.runID)",
            ])
        }
        var metadata: Logger.Metadata = [
            "endpoint": "\(endpoint)", "waited_seconds": "\(Int(waited))",
            "next_report_seconds": "\(Int(reporter.secondsToNextReport(now: now).rounded()))",
            "likely_causes": "\(WaitCauses.text(causes))",
        ]
        if current == .broker {
            metadata["not_connected"] = "\(missing.map { "\($0.0) \($0.1) (\($0.2.summary))" }.joined(separator: ", "))"
        }
        logger.warning(message, metadata: metadata)
    }
}
