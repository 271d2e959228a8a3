import VectorKernels

/// Batched 2-D convolution (NCHW, PyTorch's cross-correlation) over raw buffers, by `Im2Col` and
/// `Gemm`, one image at a time so the column matrix stays in cache.
///
/// Shapes: input `[batch, channels, height, width]`, weight `[outChannels, channels, kh, kw]`
/// (viewed as `[outChannels, columnRows]`), bias `[outChannels]`, output
/// `[batch, outChannels, outHeight, outWidth]`; the geometry describes one image. `columns` is
/// caller-owned workspace of `geometry.columnRows · geometry.columnCount` floats.
public enum ConvolutionKernel {
    /// `output[n, o] = Σ_c weight[o, c] ⋆ input[n, c] + bias[o]` (overwrites `output`).
    public static func forward(
        input: UnsafePointer<Float>, batch: Int, geometry g: Im2Col.Geometry,
        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, outChannels: Int,
        output: UnsafeMutablePointer<Float>, columns: UnsafeMutablePointer<Float>
    ) {
        let imageSize = g.channels * g.height * g.width
        let positions = g.columnCount
        for n in 0..<batch {
            let out = output + n * outChannels * positions
            if let bias {
                for o in 0..<outChannels { (out + o * positions).update(repeating: bias[o], count: positions) }
            }
            Im2Col.unfold(input + n * imageSize, g, into: columns)
            Gemm.sgemm(transA: false, transB: false, m: outChannels, n: positions, k: g.columnRows,
                       alpha: 1, a: weight, lda: g.columnRows, b: columns, ldb: positions,
                       beta: bias == nil ? 0 : 1, c: out, ldc: positions)
        }
    }

    /// Gradients of `forward` given `outputGradient` (same shape as the output).
    ///
    /// - `weightGradient` `[outChannels, columnRows]` and `biasGradient` `[outChannels]` are
    ///   accumulated into (zero them first to overwrite);
    /// - `inputGradient` (shape of the input) is overwritten; pass nil to skip it (first layer).
    /// - `columnGradient` is workspace like `columns`, needed only with `inputGradient`.
    public static func backward(
        input: UnsafePointer<Float>, batch: Int, geometry g: Im2Col.Geometry,
        weight: UnsafePointer<Float>, outChannels: Int,
        outputGradient: UnsafePointer<Float>,
        weightGradient: UnsafeMutablePointer<Float>, biasGradient: UnsafeMutablePointer<Float>?,
        inputGradient: UnsafeMutablePointer<Float>?,
        columns: UnsafeMutablePointer<Float>, columnGradient: UnsafeMutablePointer<Float>?
    ) {
        let imageSize = g.channels * g.height * g.width
        let positions = g.columnCount
        for n in 0..<batch {
            let dOut = outputGradient + n * outChannels * positions
            if let biasGradient {
                for o in 0..<outChannels { biasGradient[o] += VectorMath.sum(dOut + o * positions, count: positions) }
            }
            Im2Col.unfold(input + n * imageSize, g, into: columns)
            Gemm.sgemm(transA: false, transB: true, m: outChannels, n: g.columnRows, k: positions,
                       alpha: 1, a: dOut, lda: positions, b: columns, ldb: positions,
                       beta: 1, c: weightGradient, ldc: g.columnRows)
            guard let inputGradient else { continue }
            guard let columnGradient else { preconditionFailure("inputGradient needs columnGradient workspace") }
            Gemm.sgemm(transA: true, transB: false, m: g.columnRows, n: positions, k: outChannels,
                       alpha: 1, a: weight, lda: g.columnRows, b: dOut, ldb: positions,
                       beta: 0, c: columnGradient, ldc: positions)
            let dx = inputGradient + n * imageSize
            dx.update(repeating: 0, count: imageSize)
            Im2Col.fold(columnGradient, g, into: dx)
        }
    }
}
