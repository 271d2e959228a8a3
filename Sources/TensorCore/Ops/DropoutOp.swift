/// Inverted dropout: in training, each value is zeroed with probability `p` and the survivors are
/// scaled by `1 / (1 − p)`, so evaluation is the identity.
public enum DropoutOp {
    /// Draws `mask` (0 or `1/(1−p)` per element, from `generator`) and writes `y = x ⊙ mask`.
    public static func forward(
        _ x: UnsafePointer<Float>, output y: UnsafeMutablePointer<Float>, mask: UnsafeMutablePointer<Float>,
        count: Int, probability p: Float, generator: inout SeededGenerator
    ) {
        let keep: Float = p < 1 ? 1 / (1 - p) : 0
        for i in 0..<count {
            mask[i] = generator.nextUnitFloat() < p ? 0 : keep
            y[i] = x[i] * mask[i]
        }
    }

    /// `dx = dy ⊙ mask` (overwrites `dx`).
    public static func backward(
        mask: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>,
        inputGradient dx: UnsafeMutablePointer<Float>, count: Int
    ) {
        for i in 0..<count { dx[i] = dy[i] * mask[i] }
    }
}
