import TensorCore

/// Measures GFLOP/s of `Gemm.sgemm` (and, when available, the system's OpenBLAS) on one thread.
public enum GemmBenchmark {
    /// A function with `Gemm.sgemm`'s arguments, so that other implementations can be timed alike.
    public typealias Kernel = @Sendable (
        _ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
        _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
        _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int
    ) -> Void

    /// FedMQ's kernel as a `Kernel`.
    public static let fedmq: Kernel = { ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc in
        Gemm.sgemm(transA: ta, transB: tb, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                   b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }

    /// Best GFLOP/s of `kernel` on `shape` (C overwritten, beta = 0), random operands from `seed`.
    public static func gflops(_ shape: GemmShape, kernel: Kernel = fedmq, seed: UInt64 = 1) -> Double {
        var g = SeededGenerator(seed: seed)
        let a = (0..<(shape.m * shape.k)).map { _ in g.nextUnitFloat() - 0.5 }
        let b = (0..<(shape.k * shape.n)).map { _ in g.nextUnitFloat() - 0.5 }
        var c = [Float](repeating: 0, count: shape.m * shape.n)
        let lda = shape.transA ? shape.m : shape.k
        let ldb = shape.transB ? shape.k : shape.n
        let seconds = a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { cp in
                    BenchmarkClock.bestSecondsPerCall {
                        kernel(shape.transA, shape.transB, shape.m, shape.n, shape.k, 1,
                               ap.baseAddress!, lda, bp.baseAddress!, ldb, 0, cp.baseAddress!, shape.n)
                    }
                }
            }
        }
        return shape.flops / seconds / 1e9
    }
}
