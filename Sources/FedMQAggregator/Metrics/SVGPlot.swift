// The report and the live page draw the same plots, as inline SVG made here (no script, no
// server needed to read them): round ticks on both axes, grid lines, axis titles with units
// and a legend when there is more than one curve.
import Foundation

/// A line or bar chart rendered as one `<svg>` element that scales to its container's width.
public struct SVGPlot: Sendable {
    /// How the series are drawn.
    public enum Style: Sendable { case lines, bars }

    public var title: String
    /// Axis titles, with units, e.g. "time (s)", "accuracy (%)".
    public var xTitle: String
    public var yTitle: String
    public var series: [PlotSeries]
    public var style: Style = .lines
    /// Whether the y axis reaches 0 (counts and rates); false fits it to the data (loss).
    public var yFromZero = true
    /// Whether x and y values are whole numbers (versions, counts): no ticks between them.
    public var integerX = false
    public var integerY = false
    /// Shown in place of the curves while no series has a point.
    public var emptyText = "no data yet"

    static let width = 480.0, height = 270.0
    static let left = 58.0, right = 14.0, bottom = 42.0
    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]

    public init(title: String, xTitle: String, yTitle: String, series: [PlotSeries], style: Style = .lines, yFromZero: Bool = true) {
        (self.title, self.xTitle, self.yTitle, self.series, self.style, self.yFromZero) = (title, xTitle, yTitle, series, style, yFromZero)
    }

    /// Points drawn, over all series (the `data-points` attribute of the element).
    public var pointCount: Int { series.reduce(0) { $0 + $1.finitePoints.count } }

    /// The `<svg>` element; a framed "no data yet" when no series has a finite point.
    public func svg() -> String {
        let top = series.count > 1 ? 44.0 : 28.0
        let frame = Frame(plot: self, top: top)
        var body = text(Self.left, 17, RunReport.escape(title), size: 14, weight: "bold")
        body += frame.grid() + frame.axisTitles(x: xTitle, y: yTitle)
        if pointCount == 0 {
            body += text(frame.midX, frame.midY, RunReport.escape(emptyText), size: 13, anchor: "middle", color: "#888")
        } else {
            for (index, s) in series.enumerated() {
                let color = Self.palette[index % Self.palette.count]
                body += style == .bars ? frame.bars(s, color: color) : frame.line(s, color: color)
            }
        }
        if series.count > 1 { body += legend() }
        return "<svg class=\"plot\" data-points=\"\(pointCount)\" viewBox=\"0 0 \(Int(Self.width)) \(Int(Self.height))\" "
            + "xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"\(RunReport.escape(title))\">\(body)</svg>"
    }

    private func legend() -> String {
        var x = Self.left
        return series.enumerated().map { index, s in
            let color = Self.palette[index % Self.palette.count]
            defer { x += 26 + Double(s.name.count) * 6.2 }
            return "<rect x=\"\(f(x))\" y=\"27\" width=\"14\" height=\"4\" fill=\"\(color)\"/>"
                + text(x + 18, 33, RunReport.escape(s.name), size: 11)
        }.joined()
    }

    /// Scales and the decorations that depend on them.
    private struct Frame {
        let xTicks: AxisTicks, yTicks: AxisTicks
        let top: Double
        let barWidth: Double

        init(plot: SVGPlot, top: Double) {
            let points = plot.series.flatMap(\.finitePoints)
            let bars = plot.style == .bars
            // Bars are centred on their x and need half a bar of room on each side.
            xTicks = AxisTicks(covering: points.map(\.x) + (bars ? points.map { $0.x + 1 } : []), target: 7,
                               integers: plot.integerX || bars)
            yTicks = AxisTicks(covering: points.map(\.y), target: 6, includingZero: plot.yFromZero || bars, integers: plot.integerY)
            self.top = top
            barWidth = bars ? max(1, (SVGPlot.width - SVGPlot.left - SVGPlot.right) / max(1, xTicks.upper - xTicks.lower) - 1) : 0
        }

        var plotBottom: Double { SVGPlot.height - SVGPlot.bottom }
        var plotRight: Double { SVGPlot.width - SVGPlot.right }
        var midX: Double { (SVGPlot.left + plotRight) / 2 }
        var midY: Double { (top + plotBottom) / 2 }

        func x(_ v: Double) -> Double {
            SVGPlot.left + (v - xTicks.lower) / (xTicks.upper - xTicks.lower) * (plotRight - SVGPlot.left)
        }

        func y(_ v: Double) -> Double {
            plotBottom - (v - yTicks.lower) / (yTicks.upper - yTicks.lower) * (plotBottom - top)
        }

        func grid() -> String {
            var out = ""
            for v in yTicks.values {
                out += line(SVGPlot.left, y(v), plotRight, y(v), color: v == 0 ? "#999" : "#e4e4e4")
                out += text(SVGPlot.left - 5, y(v) + 4, yTicks.label(v), size: 11, anchor: "end")
            }
            for v in xTicks.values {
                out += line(x(v), top, x(v), plotBottom, color: "#e4e4e4")
                // Bars are labelled under their middle (bar i spans i…i+1), lines at the tick.
                let at = barWidth > 0 ? v + 0.5 : v
                if at < xTicks.upper || barWidth == 0 {
                    out += text(x(at), plotBottom + 15, xTicks.label(v), size: 11, anchor: "middle")
                }
            }
            return out + "<rect x=\"\(f(SVGPlot.left))\" y=\"\(f(top))\" width=\"\(f(plotRight - SVGPlot.left))\" "
                + "height=\"\(f(plotBottom - top))\" fill=\"none\" stroke=\"#888\"/>"
        }

        func axisTitles(x xTitle: String, y yTitle: String) -> String {
            text(midX, SVGPlot.height - 6, RunReport.escape(xTitle), size: 12, anchor: "middle")
                + "<text transform=\"translate(14 \(f(midY))) rotate(-90)\" font-size=\"12\" text-anchor=\"middle\">"
                + "\(RunReport.escape(yTitle))</text>"
        }

        func line(_ s: PlotSeries, color: String) -> String {
            let points = s.finitePoints
            let path = points.map { "\(f(x($0.x))),\(f(y($0.y)))" }.joined(separator: " ")
            var out = "<polyline data-series=\"\(RunReport.escape(s.name))\" fill=\"none\" stroke=\"\(color)\" "
                + "stroke-width=\"2\" stroke-linejoin=\"round\" points=\"\(path)\"/>"
            if points.count <= 40 {  // few points: mark each (a single one would not show at all)
                out += points.map { "<circle cx=\"\(f(x($0.x)))\" cy=\"\(f(y($0.y)))\" r=\"2.5\" fill=\"\(color)\"/>" }.joined()
            }
            return out
        }

        func bars(_ s: PlotSeries, color: String) -> String {
            s.finitePoints.map { p in
                "<rect x=\"\(f(x(p.x + 0.5) - barWidth / 2))\" y=\"\(f(y(p.y)))\" width=\"\(f(barWidth))\" "
                    + "height=\"\(f(y(0) - y(p.y)))\" fill=\"\(color)\"/>"
            }.joined()
        }

        private func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, color: String) -> String {
            "<line x1=\"\(f(x1))\" y1=\"\(f(y1))\" x2=\"\(f(x2))\" y2=\"\(f(y2))\" stroke=\"\(color)\"/>"
        }
    }
}

/// A coordinate with one decimal.
private func f(_ v: Double) -> String { String(format: "%.1f", v) }

private func text(_ x: Double, _ y: Double, _ s: String, size: Int, anchor: String = "start", weight: String = "normal",
                  color: String = "#222") -> String {
    "<text x=\"\(f(x))\" y=\"\(f(y))\" font-size=\"\(size)\" font-weight=\"\(weight)\" text-anchor=\"\(anchor)\" fill=\"\(color)\">\(s)</text>"
}
