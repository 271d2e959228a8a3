/// How a supervised run ended.
public enum RunOutcome: Sendable, Equatable {
    /// The aggregator met its stop condition and exited cleanly.
    case finished
    /// SIGINT/SIGTERM reached the launcher.
    case interrupted
    /// A child failed (message names it and its exit status).
    case failed(String)

    /// The launcher's exit status: 0, 130 (interrupted) or 1.
    public var exitCode: Int32 {
        switch self {
        case .finished: 0
        case .interrupted: 130
        case .failed: 1
        }
    }
}
