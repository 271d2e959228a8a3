/// Single-precision matrix multiply on row-major matrices.
public enum Gemm {
    /// `C = alpha · op(A) · op(B) + beta · C`, all row-major.
    ///
    /// - op(A) is `m×k` (A is `m×k` with row stride `lda`, or `k×m` when `transA`),
    ///   op(B) is `k×n` (B is `k×n` with row stride `ldb`, or `n×k` when `transB`),
    ///   C is `m×n` with row stride `ldc`. With `beta == 0`, C is overwritten (NaNs in C ignored).
    /// - Reference implementation; the fast kernel replaces the body, not the signature.
    public static func sgemm(
        transA: Bool, transB: Bool,
        m: Int, n: Int, k: Int,
        alpha: Float,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        for i in 0..<m {
            for j in 0..<n {
                var sum: Float = 0
                for p in 0..<k {
                    let av = transA ? a[p * lda + i] : a[i * lda + p]
                    let bv = transB ? b[j * ldb + p] : b[p * ldb + j]
                    sum += av * bv
                }
                let old = beta == 0 ? 0 : beta * c[i * ldc + j]
                c[i * ldc + j] = alpha * sum + old
            }
        }
    }
}
