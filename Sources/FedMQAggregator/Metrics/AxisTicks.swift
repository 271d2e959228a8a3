// Plots with only their two end values labelled cannot be read: an axis needs round tick
// values (0, 0.2, 0.4 … rather than 0, 0.87) at a spacing people read at a glance. This picks
// them with steps of 1, 2 or 5 times a power of ten, the way plotting libraries do.
import Foundation

/// Round tick values covering a data range, with steps of 1, 2 or 5 × 10ⁿ.
public struct AxisTicks: Sendable, Equatable {
    /// The axis starts here (a tick, at or below the smallest value).
    public let lower: Double
    /// The axis ends here (a tick, at or above the largest value).
    public let upper: Double
    /// Distance between ticks (1, 2 or 5 × 10ⁿ).
    public let step: Double
    /// The tick values from `lower` to `upper`, ascending.
    public let values: [Double]

    /// Ticks covering `values` (non-finite ones ignored), about `target` of them (≥ 2).
    /// With `includingZero` the axis reaches 0 too; `integers` keeps the step ≥ 1 (counts,
    /// versions). No finite value gives the axis 0…1; a single value (or all equal) gets an
    /// axis around it.
    public init(covering values: [Double], target: Int = 6, includingZero: Bool = false, integers: Bool = false) {
        let finite = values.filter(\.isFinite) + (includingZero ? [0] : [])
        var low = finite.min() ?? 0, high = finite.max() ?? 1
        if high - low <= max(abs(high), abs(low)) * 1e-12 {
            let pad = low == 0 ? 1 : abs(low) * 0.1
            (low, high) = (low == 0 ? 0 : low - pad, high + pad)
        }
        let step = max(Self.niceStep(for: (high - low) / Double(max(1, target - 1))), integers ? 1 : 0)
        let first = (low / step).rounded(.down), last = (high / step).rounded(.up)
        self.step = step
        self.values = stride(from: first, through: last, by: 1).map { Self.clean($0 * step, step: step) }
        self.lower = self.values.first ?? low
        self.upper = self.values.last ?? high
    }

    /// The 1, 2 or 5 × 10ⁿ nearest to `raw` (raw > 0), so the tick count stays near the target.
    static func niceStep(for raw: Double) -> Double {
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        let fraction = raw / magnitude
        let nice: Double = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10
        return nice * magnitude
    }

    /// `value` with the float noise of `k × step` removed (0.6000000000000001 → 0.6).
    private static func clean(_ value: Double, step: Double) -> Double {
        let digits = max(0, -Int(log10(step).rounded(.down)) + 1)
        let scale = pow(10, Double(min(digits, 15)))
        return (value * scale).rounded() / scale
    }

    /// A tick's label with the decimals the step needs ("0.2", "1500"; units sit in the axis
    /// title); very large or very small values in exponent form.
    public func label(_ value: Double) -> String {
        let decimals = max(0, -Int(log10(step).rounded(.down)))
        if abs(value) >= 1e6 || (value != 0 && abs(value) < 1e-4) { return String(format: "%.1e", value) }
        return String(format: "%.\(min(decimals, 6))f", value == 0 ? 0 : value)
    }
}
