import FedMQAggregator
import Foundation

/// The live one-line summary of a run: version, latest test accuracy, accepted updates per
/// second and elapsed time, from the aggregator's metrics records.
public struct RunProgress: Sendable, Equatable {
    /// Latest global version seen.
    public private(set) var version: UInt64 = 0
    /// Latest test accuracy and the version it was measured at.
    public private(set) var accuracy: (value: Double, version: UInt64)? = nil
    /// Highest test accuracy so far and the version it was measured at.
    public private(set) var best: (value: Double, version: UInt64)? = nil
    /// Accepted updates per second over the aggregator's run so far.
    public private(set) var updatesPerSecond = 0.0

    public init() {}

    /// Folds in newly read records (in file order).
    public mutating func absorb(_ records: [MetricsRecord]) {
        for record in records {
            version = max(version, record.version)
            if let a = record.testAccuracy {
                accuracy = (a, record.version)
                if a > (best?.value ?? -1) { best = (a, record.version) }
            }
            if record.wallTime > 0 { updatesPerSecond = Double(record.updatesAccepted) / record.wallTime }
        }
    }

    /// E.g. `v 42 | acc 0.8312 (v 40) | 12.5 upd/s | 01:23`.
    public func line(elapsed: Double) -> String {
        let acc = accuracy.map { String(format: "acc %.4f (v %llu)", $0.value, $0.version) } ?? "acc –"
        return "v \(version) | \(acc) | \(String(format: "%.1f", updatesPerSecond)) upd/s | \(Self.clock(elapsed))"
    }

    /// `mm:ss`, or `h:mm:ss` from an hour on.
    public static func clock(_ seconds: Double) -> String {
        let s = max(0, Int(seconds))
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%02d:%02d", s / 60, s % 60)
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.version == b.version && a.accuracy?.value == b.accuracy?.value && a.accuracy?.version == b.accuracy?.version
            && a.best?.value == b.best?.value && a.best?.version == b.best?.version && a.updatesPerSecond == b.updatesPerSecond
    }
}
