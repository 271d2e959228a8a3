/// Rectified linear unit over flat buffers: `y = max(x, 0)`.
public enum ReLUOp {
    /// `y = max(x, 0)` elementwise over `count` values (`y` may alias `x`).
    public static func forward(_ x: UnsafePointer<Float>, output y: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { y[i] = max(x[i], 0) }
    }

    /// `dx = dy` where the forward output `y` was positive, else 0 (overwrites `dx`).
    public static func backward(
        output y: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>,
        inputGradient dx: UnsafeMutablePointer<Float>, count: Int
    ) {
        for i in 0..<count { dx[i] = y[i] > 0 ? dy[i] : 0 }
    }
}
