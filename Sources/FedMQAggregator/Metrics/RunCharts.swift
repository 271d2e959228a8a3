// The plots of a run, derived from its metrics records: the report draws them from
// metrics.jsonl at the end, the live page from the records the aggregator keeps in memory.
// One derivation for both, so the page and the report always show the same figures.
import Foundation

/// Builds the run's plots (accuracy, loss, progress, throughput, staleness, rejections) from
/// metrics records.
public struct RunCharts: Sendable {
    /// The records in time order.
    public let records: [MetricsRecord]
    /// The unit of the time axes, chosen from the run's length.
    let timeUnit: (name: String, seconds: Double)

    /// - Parameter records: metrics records, in any order (sorted by time here).
    public init(records: [MetricsRecord]) {
        self.records = records.filter(\.wallTime.isFinite).sorted { $0.wallTime < $1.wallTime }
        let span = self.records.last?.wallTime ?? 0
        timeUnit = span > 3 * 3600 ? ("h", 3600) : span > 600 ? ("min", 60) : ("s", 1)
    }

    private var timeTitle: String { "time since start (\(timeUnit.name))" }
    private func t(_ r: MetricsRecord) -> Double { r.wallTime / timeUnit.seconds }
    private var evaluated: [MetricsRecord] { records.filter { $0.testAccuracy != nil || $0.testLoss != nil } }

    /// Every plot, in page order (pairs side by side).
    public var plots: [SVGPlot] {
        let accuracy = evaluated.compactMap { r in r.testAccuracy.map { (r, $0 * 100) } }
        let loss = evaluated.compactMap { r in r.testLoss.map { (r, $0) } }
        let byVersion = { (points: [(MetricsRecord, Double)]) in points.map { (Double($0.0.version), $0.1) } }
        let byTime = { (points: [(MetricsRecord, Double)]) in points.map { (self.t($0.0), $0.1) } }
        return [
            plot("Test accuracy over time", x: timeTitle, y: "accuracy (%)", [("accuracy", byTime(accuracy))], fromZero: false),
            plot("Test accuracy by version", x: "global model version", y: "accuracy (%)", [("accuracy", byVersion(accuracy))],
                 fromZero: false, integerX: true),
            plot("Test loss over time", x: timeTitle, y: "cross-entropy loss", [("loss", byTime(loss))], fromZero: false),
            plot("Test loss by version", x: "global model version", y: "cross-entropy loss", [("loss", byVersion(loss))],
                 fromZero: false, integerX: true),
            plot("Global version over time", x: timeTitle, y: "version", [("version", records.map { (t($0), Double($0.version)) })],
                 integerY: true),
            SVGPlot(title: "Updates per second", xTitle: timeTitle, yTitle: "updates / s", series: rates),
            plot("Mean staleness of accepted updates", x: timeTitle, y: "staleness (versions)",
                 [("mean so far", records.map { (t($0), $0.stalenessMean) })]),
            plot("Staleness of accepted updates", x: "staleness (versions; the last bar: that or more)", y: "updates",
                 [("updates", histogram)], integerY: true, style: .bars),
            rejectionPlot,
            plot("Live trainers", x: timeTitle, y: "trainers", [("live", records.map { (t($0), Double($0.liveTrainers)) })], integerY: true),
        ]
    }

    private func plot(_ title: String, x: String, y: String, _ series: [(String, [(x: Double, y: Double)])], fromZero: Bool = true,
                      integerX: Bool = false, integerY: Bool = false, style: SVGPlot.Style = .lines) -> SVGPlot {
        var plot = SVGPlot(title: title, xTitle: x, yTitle: y, series: series.map { PlotSeries(name: $0.0, points: $0.1) },
                           style: style, yFromZero: fromZero)
        (plot.integerX, plot.integerY) = (integerX, integerY)
        return plot
    }

    private var rejectionPlot: SVGPlot {
        plot("Rejections over time (cumulative)", x: timeTitle, y: "messages rejected", rejections.map { ($0.name, $0.points) },
             integerY: true)
    }

    /// Accepted and rejected messages per second, each over at least 1 s and 1/200 of the run
    /// (records come at evaluations and about once a second, some close together).
    var rates: [PlotSeries] {
        var accepted: [(x: Double, y: Double)] = [], rejected: [(x: Double, y: Double)] = []
        guard var anchor = records.first else { return [] }
        let window = max(1, ((records.last?.wallTime ?? 0) - anchor.wallTime) / 200)
        for b in records.dropFirst() where b.wallTime - anchor.wallTime >= window {
            let dt = b.wallTime - anchor.wallTime
            accepted.append((t(b), max(0, Double(b.updatesAccepted) - Double(anchor.updatesAccepted)) / dt))
            rejected.append((t(b), max(0, Double(total(b.rejected)) - Double(total(anchor.rejected))) / dt))
            anchor = b
        }
        return [PlotSeries(name: "accepted", points: accepted), PlotSeries(name: "rejected", points: rejected)]
    }

    /// The latest staleness histogram, without its empty tail.
    var histogram: [(x: Double, y: Double)] {
        let buckets = records.last?.stalenessHistogram ?? []
        let used = (buckets.lastIndex { $0 > 0 } ?? -1) + 1
        return buckets.prefix(used).enumerated().map { (Double($0.offset), Double($0.element)) }
    }

    /// One cumulative curve per rejection reason seen (one flat "rejected" curve when none is).
    var rejections: [PlotSeries] {
        let reasons = Set(records.flatMap(\.rejected.keys)).sorted()
        return (reasons.isEmpty ? ["rejected"] : reasons).map { reason in
            PlotSeries(name: reason, points: records.map { (t($0), Double($0.rejected[reason] ?? 0)) })
        }
    }

    private func total(_ counts: [String: UInt64]) -> UInt64 { counts.values.reduce(0, +) }
}
