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
        return [
            SVGPlot(title: "Test accuracy over time", xTitle: timeTitle, yTitle: "accuracy (%)",
                    series: [PlotSeries(name: "accuracy", points: accuracy.map { (t($0.0), $0.1) })], yFromZero: false),
            SVGPlot(title: "Test accuracy by version", xTitle: "global model version", yTitle: "accuracy (%)",
                    series: [PlotSeries(name: "accuracy", points: accuracy.map { (Double($0.0.version), $0.1) })], yFromZero: false),
            SVGPlot(title: "Test loss over time", xTitle: timeTitle, yTitle: "cross-entropy loss",
                    series: [PlotSeries(name: "loss", points: loss.map { (t($0.0), $0.1) })], yFromZero: false),
            SVGPlot(title: "Test loss by version", xTitle: "global model version", yTitle: "cross-entropy loss",
                    series: [PlotSeries(name: "loss", points: loss.map { (Double($0.0.version), $0.1) })], yFromZero: false),
            SVGPlot(title: "Global version over time", xTitle: timeTitle, yTitle: "version",
                    series: [PlotSeries(name: "version", points: records.map { (t($0), Double($0.version)) })]),
            SVGPlot(title: "Updates per second", xTitle: timeTitle, yTitle: "updates / s", series: rates),
            SVGPlot(title: "Mean staleness of accepted updates", xTitle: timeTitle, yTitle: "staleness (versions)",
                    series: [PlotSeries(name: "mean so far", points: records.map { (t($0), $0.stalenessMean) })]),
            SVGPlot(title: "Staleness of accepted updates", xTitle: "staleness (versions; last bar: that or more)",
                    yTitle: "updates", series: [PlotSeries(name: "updates", points: histogram)], style: .bars),
            rejectionPlot,
            SVGPlot(title: "Live trainers", xTitle: timeTitle, yTitle: "trainers",
                    series: [PlotSeries(name: "live", points: records.map { (t($0), Double($0.liveTrainers)) })]),
        ]
    }

    private var rejectionPlot: SVGPlot {
        var plot = SVGPlot(title: "Rejections over time (cumulative)", xTitle: timeTitle, yTitle: "messages rejected",
                           series: rejections)
        plot.emptyText = records.isEmpty ? plot.emptyText : "no rejections"
        return plot
    }

    /// Accepted and rejected messages per second between consecutive records.
    var rates: [PlotSeries] {
        var accepted: [(x: Double, y: Double)] = [], rejected: [(x: Double, y: Double)] = []
        for (a, b) in zip(records, records.dropFirst()) where b.wallTime > a.wallTime {
            let dt = b.wallTime - a.wallTime
            accepted.append((t(b), max(0, Double(b.updatesAccepted) - Double(a.updatesAccepted)) / dt))
            rejected.append((t(b), max(0, Double(total(b.rejected)) - Double(total(a.rejected))) / dt))
        }
        return [PlotSeries(name: "accepted", points: accepted), PlotSeries(name: "rejected", points: rejected)]
    }

    /// The latest staleness histogram, without its empty tail.
    var histogram: [(x: Double, y: Double)] {
        let buckets = records.last?.stalenessHistogram ?? []
        let used = (buckets.lastIndex { $0 > 0 } ?? -1) + 1
        return buckets.prefix(used).enumerated().map { (Double($0.offset), Double($0.element)) }
    }

    /// One cumulative curve per rejection reason seen.
    var rejections: [PlotSeries] {
        let reasons = Set(records.flatMap(\.rejected.keys)).sorted()
        return reasons.map { reason in
            PlotSeries(name: reason, points: records.map { (t($0), Double($0.rejected[reason] ?? 0)) })
        }
    }

    private func total(_ counts: [String: UInt64]) -> UInt64 { counts.values.reduce(0, +) }
}
