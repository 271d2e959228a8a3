import Foundation

/// Row-wise log-softmax over `[rows, classes]`: `y = x − max(x) − log Σ exp(x − max(x))`.
public enum LogSoftmaxOp {
    /// Overwrites `y` with the log-probabilities of each row of `x`.
    public static func forward(_ x: UnsafePointer<Float>, rows: Int, classes: Int, output y: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            let xr = x + r * classes, yr = y + r * classes
            var largest = -Float.infinity
            for c in 0..<classes { largest = max(largest, xr[c]) }
            var sum: Float = 0
            for c in 0..<classes { sum += expf(xr[c] - largest) }
            let shift = largest + logf(sum)
            for c in 0..<classes { yr[c] = xr[c] - shift }
        }
    }

    /// `dx = dy − exp(y) · Σ dy` per row, from the forward output `y` (overwrites `dx`).
    public static func backward(
        output y: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>,
        inputGradient dx: UnsafeMutablePointer<Float>, rows: Int, classes: Int
    ) {
        for r in 0..<rows {
            let yr = y + r * classes, dyr = dy + r * classes, dxr = dx + r * classes
            var total: Float = 0
            for c in 0..<classes { total += dyr[c] }
            for c in 0..<classes { dxr[c] = dyr[c] - expf(yr[c]) * total }
        }
    }
}
