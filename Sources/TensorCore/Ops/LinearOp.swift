import VectorKernels

/// Fully connected layer maths over raw row-major buffers: `y = x·Wᵀ + b`, W `[out, in]` (PyTorch).
///
/// Shapes: x `[batch, inFeatures]`, weight `[outFeatures, inFeatures]`, bias `[outFeatures]`,
/// y `[batch, outFeatures]`.
public enum LinearOp {
    /// `y = x·Wᵀ + b` (overwrites `y`).
    public static func forward(
        _ x: UnsafePointer<Float>, batch: Int, inFeatures: Int, outFeatures: Int,
        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, output y: UnsafeMutablePointer<Float>
    ) {
        if let bias {
            for row in 0..<batch { (y + row * outFeatures).update(from: bias, count: outFeatures) }
        }
        Gemm.sgemm(transA: false, transB: true, m: batch, n: outFeatures, k: inFeatures,
                   alpha: 1, a: x, lda: inFeatures, b: weight, ldb: inFeatures,
                   beta: bias == nil ? 0 : 1, c: y, ldc: outFeatures)
    }

    /// Gradients of `forward` given `dy` `[batch, outFeatures]`.
    ///
    /// `weightGradient` `[out, in]` and `biasGradient` `[out]` are accumulated into;
    /// `inputGradient` `[batch, in]` is overwritten (nil skips it).
    public static func backward(
        _ x: UnsafePointer<Float>, batch: Int, inFeatures: Int, outFeatures: Int,
        weight: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>,
        weightGradient: UnsafeMutablePointer<Float>, biasGradient: UnsafeMutablePointer<Float>?,
        inputGradient: UnsafeMutablePointer<Float>?
    ) {
        Gemm.sgemm(transA: true, transB: false, m: outFeatures, n: inFeatures, k: batch,
                   alpha: 1, a: dy, lda: outFeatures, b: x, ldb: inFeatures,
                   beta: 1, c: weightGradient, ldc: inFeatures)
        if let biasGradient {
            for row in 0..<batch { VectorMath.add(dy + row * outFeatures, to: biasGradient, count: outFeatures) }
        }
        if let inputGradient {
            Gemm.sgemm(transA: false, transB: false, m: batch, n: inFeatures, k: outFeatures,
                       alpha: 1, a: dy, lda: outFeatures, b: weight, ldb: inFeatures,
                       beta: 0, c: inputGradient, ldc: inFeatures)
        }
    }
}
