// The browser test reads figures back from the DOM Chromium rendered: the version shown, how
// many points each plot drew, the trainer table's rows. The page marks them with data-*
// attributes (data-version, data-points, data-rows, data-refreshes) for this.
import Foundation

/// A live page or report as the browser rendered it (its serialised DOM).
struct RenderedPage {
    let dom: String

    /// The version in the summary line.
    var version: UInt64? { attribute("data-version", in: tag(containing: "id=\"summary\"")).flatMap { UInt64($0) } }

    /// How many times the live page's script swapped in a newer rendering.
    var refreshes: Int? { attribute("data-refreshes", in: tag(containing: "id=\"live\"")).flatMap { Int($0) } }

    /// Number of plots.
    var plotCount: Int { dom.components(separatedBy: "<svg class=\"plot\"").count - 1 }

    /// Points drawn by the plot titled `title`.
    func points(ofPlot title: String) -> Int? {
        attribute("data-points", in: tag(containing: "aria-label=\"\(title)\"")).flatMap { Int($0) }
    }

    /// The cells of each row of the trainer table.
    var trainerRows: [[String]] {
        guard let table = dom.range(of: "<table class=\"trainers\""),
              let end = dom.range(of: "</table>", range: table.upperBound..<dom.endIndex) else { return [] }
        let body = dom[table.lowerBound..<end.lowerBound]
        return body.components(separatedBy: "<tr class=\"").dropFirst().map { row in
            row.components(separatedBy: "<td>").dropFirst().map { $0.components(separatedBy: "</td>")[0] }
        }
    }

    /// Updates accepted per trainer (the table's sixth column).
    var updatesPerTrainer: [UInt64] { trainerRows.compactMap { $0.count > 5 ? UInt64($0[5]) : nil } }

    /// The opening tag that contains `marker`.
    private func tag(containing marker: String) -> Substring? {
        guard let hit = dom.range(of: marker),
              let start = dom.range(of: "<", options: .backwards, range: dom.startIndex..<hit.lowerBound),
              let end = dom.range(of: ">", range: hit.upperBound..<dom.endIndex) else { return nil }
        return dom[start.lowerBound..<end.upperBound]
    }

    private func attribute(_ name: String, in tag: Substring?) -> String? {
        guard let tag, let start = tag.range(of: "\(name)=\"") else { return nil }
        return tag[start.upperBound...].components(separatedBy: "\"").first
    }
}
