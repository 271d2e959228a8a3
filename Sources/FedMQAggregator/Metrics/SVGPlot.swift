import Foundation

/// Minimal inline-SVG charts (640×240) with axis ranges labelled.
enum SVGPlot {
    static let width = 640.0, height = 240.0, margin = 40.0

    /// A polyline through `points` (x, y).
    static func line(_ points: [(Double, Double)], yLabel: String) -> String {
        guard !points.isEmpty else { return "<p>(no data)</p>" }
        let (sx, sy, frame) = scales(points, yLabel: yLabel)
        let path = points.map { String(format: "%.1f,%.1f", sx($0.0), sy($0.1)) }.joined(separator: " ")
        return svg(frame + "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" points=\"\(path)\"/>")
    }

    /// Vertical bars at integer x.
    static func bars(_ points: [(Double, Double)], yLabel: String) -> String {
        guard !points.isEmpty else { return "<p>(no data)</p>" }
        let (sx, sy, frame) = scales(points + [(Double(points.count), 0)], yLabel: yLabel)
        let w = max(1, sx(1) - sx(0) - 1)
        let rects = points.map {
            String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#ff7f0e\"/>",
                   sx($0.0), sy($0.1), w, sy(0) - sy($0.1))
        }.joined()
        return svg(frame + rects)
    }

    private static func scales(_ points: [(Double, Double)], yLabel: String)
        -> ((Double) -> Double, (Double) -> Double, String)
    {
        let x0 = points.map(\.0).min()!, x1 = max(points.map(\.0).max()!, x0 + 1e-9)
        let y0 = min(0, points.map(\.1).min()!), y1 = max(points.map(\.1).max()!, y0 + 1e-9)
        let sx = { (x: Double) in margin + (x - x0) / (x1 - x0) * (width - 2 * margin) }
        let sy = { (y: Double) in height - margin - (y - y0) / (y1 - y0) * (height - 2 * margin) }
        let bottom = height - margin, right = width - margin
        let frame = "<line x1=\"\(n(margin))\" y1=\"\(n(bottom))\" x2=\"\(n(right))\" y2=\"\(n(bottom))\" stroke=\"#444\"/>"
            + "<line x1=\"\(n(margin))\" y1=\"\(n(margin))\" x2=\"\(n(margin))\" y2=\"\(n(bottom))\" stroke=\"#444\"/>"
            + text(margin, bottom + 14, label(x0)) + text(right, bottom + 14, label(x1), anchor: "end")
            + text(margin - 2, bottom, label(y0), anchor: "end") + text(margin - 2, margin + 4, label(y1), anchor: "end")
            + text(4, 14, RunReport.escape(yLabel))
        return (sx, sy, frame)
    }

    private static func svg(_ body: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\">\(body)</svg>"
    }

    private static func label(_ v: Double) -> String { String(format: "%.3g", v) }

    private static func n(_ v: Double) -> String { String(format: "%.0f", v) }

    private static func text(_ x: Double, _ y: Double, _ s: String, anchor: String = "start") -> String {
        "<text x=\"\(n(x))\" y=\"\(n(y))\" font-size=\"11\" text-anchor=\"\(anchor)\">\(s)</text>"
    }
}
