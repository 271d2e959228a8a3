/// Elementwise kernels over flat Float32 vectors: the aggregator's and optimizers' inner loops.
public enum VectorMath {
    /// `y += a · x` over `count` elements (BLAS saxpy). Reference implementation.
    public static func axpy(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { y[i] += a * x[i] }
    }

    /// `y += a · x` over whole arrays of equal length.
    public static func axpy(_ a: Float, _ x: [Float], _ y: inout [Float]) {
        precondition(x.count == y.count, "axpy length mismatch \(x.count) vs \(y.count)")
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                axpy(a, xp.baseAddress!, yp.baseAddress!, count: x.count)
            }
        }
    }
}
