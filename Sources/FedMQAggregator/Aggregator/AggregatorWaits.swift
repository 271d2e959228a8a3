// An aggregator with no broker, or one that no trainer reaches, used to run on in silence: the
// log said "aggregator running" and nothing more, even at debug level. This type watches the
// two waits that keep a run from starting — no connection to the broker, no registered trainer
// — and says at a slowing pace (`WaitReporter`) what is awaited, on which endpoint, and the
// likely causes. Time is passed in; the only I/O is the logger (and the host-name lookup of
// `WaitCauses`, done only when a report is due).
import FedMQTransport
import Logging

/// Reports the intake's waits for the broker and for trainers.
struct AggregatorWaits {
    /// What the run is waiting for.
    enum Stage: Equatable {
        /// The model socket has never connected to the broker.
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

    /// The stage to report given the intake's state: nil when nothing blocks the run.
    static func stage(brokerConnections: Int, liveTrainers: Int) -> Stage? {
        if brokerConnections == 0 { return .broker }
        return liveTrainers == 0 ? .trainers : nil
    }

    /// Called on every pass of the intake loop at `now` (monotonic seconds); logs when a
    /// report of the current wait is due.
    mutating func observe(brokerConnections: Int, liveTrainers: Int, now: Double) {
        let current = Self.stage(brokerConnections: brokerConnections, liveTrainers: liveTrainers)
        if current != stage {
            reporter.reset()
            stage = current
        }
        guard let current, let waited = reporter.check(now: now) else { return }
        let curve = configuration.curve != nil
        let (message, endpoint, causes): (Logger.Message, String, [String]) = switch current {
        case .broker:
            ("no connection to the broker yet", configuration.modelEndpoint,
             WaitCauses.of(waitOn: configuration.modelEndpoint, curve: curve))
        case .trainers:
            ("no trainer has registered yet", configuration.controlEndpoint, [
                "no trainer is running, or the trainers cannot reach the broker (see their logs)",
                "the trainers' CURVE setting differs from the broker's, or their keys are not admitted",
                "the trainers were given another --run-id than \(configuration.runID)",
                "CURVE mismatch between this aggregator and the broker (the connection opens, the handshake fails)",
            ])
        }
        logger.warning(message, metadata: [
            "endpoint": "\(endpoint)", "waited_seconds": "\(Int(waited))",
            "next_report_seconds": "\(Int(reporter.secondsToNextReport(now: now).rounded()))",
            "likely_causes": "\(WaitCauses.text(causes))",
        ])
    }
}
