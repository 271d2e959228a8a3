// A plot draws several named curves (accuracy and loss, one curve per rejection reason); each
// keeps its name for the legend and its points in data units.

/// One named curve (or set of bars) of an `SVGPlot`, in data units.
public struct PlotSeries: Sendable {
    /// Legend text.
    public var name: String
    /// (x, y) points in drawing order; non-finite ones are skipped when drawn.
    public var points: [(x: Double, y: Double)]

    public init(name: String, points: [(x: Double, y: Double)]) {
        self.name = name
        self.points = points
    }

    /// The points with both coordinates finite.
    var finitePoints: [(x: Double, y: Double)] { points.filter { $0.x.isFinite && $0.y.isFinite } }
}
