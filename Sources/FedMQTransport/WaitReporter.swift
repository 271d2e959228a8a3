// A trainer whose broker is down, or an aggregator no trainer reaches, used to wait in
// silence, forever, even at debug level. This type decides when such a wait deserves a log
// line: first after a few seconds, then less and less often (5 s, 10 s, 20 s … at most every
// 5 min), so a wait that lasts hours neither goes unnoticed nor floods the log. It holds no
// clock and no socket: time is passed in as monotonic seconds, as `LogThrottle` and
// `AggregatorEngine` take it, so tests drive it with plain numbers.

/// When to report a wait that is under way, and how long until the next report.
///
/// Call `check(now:)` as often as convenient while waiting: the first call starts the wait;
/// a call returns the seconds waited so far when a report is due (log then), nil otherwise.
/// The interval between reports doubles after each one, up to `maximumInterval`. `reset()`
/// ends the wait (what it waited for arrived); the next `check` starts a new one.
public struct WaitReporter: Sendable, Equatable {
    /// Seconds of waiting before the first report.
    public let firstReport: Double
    /// Longest interval between two reports, seconds.
    public let maximumInterval: Double
    /// Reports made during the current wait.
    public private(set) var reports = 0
    /// When the current wait started (nil: no wait under way).
    public private(set) var started: Double?
    /// When the next report is due.
    private var due = 0.0
    /// The interval that follows the next report.
    private var interval = 0.0

    /// - Parameters:
    ///   - firstReport: seconds of silence before the first report (> 0).
    ///   - maximumInterval: cap of the doubling interval between reports (≥ `firstReport`).
    public init(firstReport: Double = 5, maximumInterval: Double = 300) {
        precondition(firstReport > 0 && maximumInterval >= firstReport)
        self.firstReport = firstReport
        self.maximumInterval = maximumInterval
    }

    /// Whether to report the wait at `now`: nil to stay silent, else the seconds waited since
    /// the wait started. The first call after `init` or `reset()` starts the wait at `now`.
    public mutating func check(now: Double) -> Double? {
        guard let started else {
            started = now
            due = now + firstReport
            interval = min(maximumInterval, firstReport * 2)
            return nil
        }
        guard now >= due else { return nil }
        reports += 1
        due = now + interval
        interval = min(maximumInterval, interval * 2)
        return now - started
    }

    /// Seconds from `now` until the next report (0 when one is due; `firstReport` before the
    /// wait has started).
    public func secondsToNextReport(now: Double) -> Double {
        started == nil ? firstReport : max(0, due - now)
    }

    /// The wait is over: the next `check` starts a new one, reported after `firstReport` again.
    public mutating func reset() {
        started = nil
        reports = 0
    }
}
