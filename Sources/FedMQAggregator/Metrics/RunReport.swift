import Foundation

/// A self-contained HTML page summarising a run: accuracy and loss over time, staleness
/// histogram, rejection counts — inline SVG, no scripts, no server.
public enum RunReport {
    /// The HTML for `records` (in time order) under `title`.
    public static func html(title: String, records: [MetricsRecord]) -> String {
        let evaluated = records.filter { $0.testAccuracy != nil }
        let accuracy = evaluated.map { ($0.wallTime, $0.testAccuracy! * 100) }
        let loss = records.compactMap { r in r.testLoss.map { (r.wallTime, $0) } }
        let last = records.last
        let meanStaleness = records.map { ($0.wallTime, $0.stalenessMean) }
        let histogram = (last?.stalenessHistogram ?? []).enumerated().map { (Double($0.offset), Double($0.element)) }
        var rows = ""
        for (reason, count) in (last?.rejected ?? [:]).sorted(by: { $0.key < $1.key }) {
            rows += "<tr><td>\(escape(reason))</td><td>\(count)</td></tr>"
        }
        let summary = last.map {
            """
            <p>Final version \($0.version) after \(String(format: "%.1f", $0.wallTime)) s; \
            best accuracy \(String(format: "%.2f", (evaluated.compactMap(\.testAccuracy).max() ?? 0) * 100)) %; \
            \($0.updatesAccepted) updates accepted; mean staleness \(String(format: "%.2f", $0.stalenessMean)); \
            \($0.bytesIn) bytes in, \($0.bytesOut) bytes out.</p>
            """
        } ?? "<p>No records.</p>"
        return """
            <!DOCTYPE html>
            <html><head><meta charset="utf-8"><title>\(escape(title))</title>
            <style>body{font-family:sans-serif;max-width:760px;margin:2em auto}td{padding:0 1em}</style></head>
            <body><h1>\(escape(title))</h1>\(summary)
            <h2>Test accuracy (%) over time (s)</h2>\(SVGPlot.line(accuracy, yLabel: "accuracy %"))
            <h2>Test loss over time (s)</h2>\(SVGPlot.line(loss, yLabel: "loss"))
            <h2>Staleness of accepted updates (versions)</h2>\(SVGPlot.bars(histogram, yLabel: "updates"))
            <h2>Mean staleness so far over time (s)</h2>\(SVGPlot.line(meanStaleness, yLabel: "mean staleness"))
            <h2>Rejections</h2><table>\(rows.isEmpty ? "<tr><td>none</td></tr>" : rows)</table>
            </body></html>
            """
    }

    /// Writes the report for the JSON-lines file `metricsPath` to `outputPath`.
    public static func write(metricsPath: String, to outputPath: String, title: String) throws {
        try html(title: title, records: MetricsWriter.read(path: metricsPath))
            .write(toFile: outputPath, atomically: true, encoding: .utf8)
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
