// The run's report, read by people after the run and opened from disk: one HTML file with
// everything inline. The live page shows the same body while the run goes on.
import Foundation

/// A self-contained HTML page summarising a run: a summary line, plots with readable axes
/// (accuracy and loss against time and version, progress, throughput, staleness, rejections,
/// live trainers) and the per-trainer table — inline SVG and CSS, no script, no server.
/// The live page shows the same body (`body(_:)`), refreshed while the run goes on.
public enum RunReport {
    /// The HTML page for `records` (any order) under `title`; `trainers` nil when unknown.
    public static func html(title: String, records: [MetricsRecord], trainers: [TrainerRow]? = nil, stopReason: String? = nil) -> String {
        html(LiveSnapshot(title: title, records: records, trainers: trainers, stopReason: stopReason))
    }

    /// The HTML page of `snapshot`.
    public static func html(_ snapshot: LiveSnapshot) -> String {
        page(title: snapshot.title, body: body(snapshot))
    }

    /// A complete page around `body` (the report's style sheet, `extraHead` in the head).
    static func page(title: String, body: String, extraHead: String = "") -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
        <title>\(escape(title))</title>
        <style>\(style)</style>\(extraHead)</head>
        <body>\(body)</body></html>
        """
    }

    /// The page's content without `<html>`/`<head>`: what the live page swaps in on each refresh.
    public static func body(_ snapshot: LiveSnapshot) -> String {
        let charts = RunCharts(records: snapshot.records)
        let plots = charts.plots.map { "<figure>\($0.svg())</figure>" }.joined(separator: "\n")
        return """
            <h1>\(escape(snapshot.title))</h1>
            \(summary(snapshot, records: charts.records))
            <div class="plots">
            \(plots)
            </div>
            <h2>Rejections by reason</h2>\(rejectionTable(charts.records.last?.rejected ?? [:]))
            <h2>Trainers</h2>\(TrainerTable.html(snapshot.trainers))
            <p class="note">Update interval: mean seconds between two accepted updates of a trainer — its local round \
            time plus its wait for a model and the transit. The trainer's own local round time is not carried by the \
            wire protocol; each trainer measures it (its log, and its metrics endpoint when it serves one). Updates \
            accepted and staleness count from the start of this aggregator process.</p>
            """
    }

    private static func summary(_ s: LiveSnapshot, records: [MetricsRecord]) -> String {
        guard let last = records.last else { return "<p id=\"summary\" data-version=\"\(s.version)\">No records yet.</p>" }
        let evaluated = records.filter { $0.testAccuracy != nil }
        let best = evaluated.max { ($0.testAccuracy ?? 0) < ($1.testAccuracy ?? 0) }
        let state = s.stopReason.map { "Stopped: \(escape($0))." } ?? "Running."
        let accuracy = best.map {
            "best accuracy <b>\(percent($0.testAccuracy))</b> (version \($0.version)), latest \(percent(evaluated.last?.testAccuracy))"
        } ?? "not evaluated yet"
        return """
            <p id="summary" data-version="\(s.version)">\(state) Version <b class="version">\(s.version)</b> after \
            \(String(format: "%.1f", s.runSeconds)) s; \(accuracy); \(last.updatesAccepted) updates accepted, \
            \(last.rejected.values.reduce(0, +)) rejected; mean staleness \(String(format: "%.2f", last.stalenessMean)) versions; \
            \(last.liveTrainers) live trainers; \(bytes(last.bytesIn)) in, \(bytes(last.bytesOut)) out.</p>
            """
    }

    private static func rejectionTable(_ rejected: [String: UInt64]) -> String {
        guard !rejected.isEmpty else { return "<p class=\"note\">None.</p>" }
        let rows = rejected.sorted { $0.key < $1.key }.map { "<tr><td>\(escape($0.key))</td><td>\($0.value)</td></tr>" }
        return "<table class=\"rejections\"><thead><tr><th>reason</th><th>messages</th></tr></thead><tbody>"
            + rows.joined() + "</tbody></table>"
    }

    private static func percent(_ fraction: Double?) -> String {
        fraction.map { String(format: "%.2f %%", $0 * 100) } ?? "–"
    }

    private static func bytes(_ n: UInt64) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var value = Double(n), unit = 0
        while value >= 1000 && unit < units.count - 1 { value /= 1000; unit += 1 }
        return unit == 0 ? "\(n) B" : String(format: "%.1f %@", value, units[unit])
    }

    /// Shared by the report and the live page.
    static let style = """
        body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:1.5em auto;max-width:1180px;\
        padding:0 1em;color:#222;background:#fafafa}
        h1{font-size:1.45em;margin:.2em 0}h2{font-size:1.15em;margin:1.2em 0 .4em}
        .plots{display:grid;grid-template-columns:repeat(auto-fill,minmax(440px,1fr));gap:12px}
        figure{margin:0;background:#fff;border:1px solid #ddd;border-radius:6px;padding:6px}
        svg.plot{width:100%;height:auto;display:block;font-family:inherit}
        table{border-collapse:collapse;background:#fff;font-size:.9em}
        th,td{border:1px solid #ddd;padding:3px 9px;text-align:right}th{background:#f0f0f0}
        td:nth-child(2),.rejections td:first-child{text-align:left}tr.gone td{color:#999}
        .note{color:#555;font-size:.88em;max-width:70em}#status{color:#555;font-size:.88em}
        """

    /// Writes the report for the JSON-lines file `metricsPath` to `outputPath`.
    public static func write(metricsPath: String, to outputPath: String, title: String, trainers: [TrainerRow]? = nil,
                             stopReason: String? = nil) throws {
        try html(title: title, records: MetricsWriter.read(path: metricsPath), trainers: trainers, stopReason: stopReason)
            .write(toFile: outputPath, atomically: true, encoding: .utf8)
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
