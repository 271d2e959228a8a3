// The per-trainer table of the live page and the report, as HTML. With thousands of trainers
// the page shows the first rows by id and says how many are left out (the JSON has them all).
import Foundation

/// Renders `TrainerRow`s as an HTML table.
enum TrainerTable {
    /// Most rows shown.
    static let rowLimit = 500

    static let header = ["id", "identity", "shard", "shard size (samples)", "state", "updates accepted",
                         "mean staleness (versions)", "last seen (s ago)", "update interval (s)", "samples per update"]

    /// The table, or a sentence saying why there is none.
    static func html(_ rows: [TrainerRow]?) -> String {
        guard let rows else {
            return "<p class=\"note\">Per-trainer figures are kept by the aggregator and written when it ends the run; "
                + "this report was drawn from metrics.jsonl alone (the run was interrupted).</p>"
        }
        guard !rows.isEmpty else { return "<p class=\"note\">No trainer has registered yet.</p>" }
        let shown = rows.sorted { $0.id < $1.id }.prefix(rowLimit)
        let head = "<tr>" + header.map { "<th>\($0)</th>" }.joined() + "</tr>"
        let body = shown.map(row).joined(separator: "\n")
        let more = rows.count > shown.count ? "<p class=\"note\">… and \(rows.count - shown.count) more (all in /api/live.json).</p>" : ""
        return "<table class=\"trainers\" data-rows=\"\(rows.count)\"><thead>\(head)</thead><tbody>\n\(body)\n</tbody></table>\(more)"
    }

    private static func row(_ r: TrainerRow) -> String {
        let cells = [
            "\(r.id)", RunReport.escape(r.identity ?? "(anonymous)"), "\(r.shard)", r.shardSize.map(String.init) ?? "–",
            r.live ? "live" : "gone", "\(r.updatesAccepted)", format(r.meanStaleness, "%.2f"), format(r.lastSeenAgo, "%.1f"),
            format(r.updateInterval, "%.2f"), r.samplesPerUpdate > 0 ? "\(r.samplesPerUpdate)" : "–",
        ]
        return "<tr class=\"\(r.live ? "live" : "gone")\">" + cells.map { "<td>\($0)</td>" }.joined() + "</tr>"
    }

    private static func format(_ value: Double?, _ pattern: String) -> String {
        value.map { String(format: pattern, $0) } ?? "–"
    }
}
