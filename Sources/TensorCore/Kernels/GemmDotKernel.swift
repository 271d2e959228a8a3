import VectorKernels

/// GEMM for `C = alpha · A · Bᵀ + beta · C` (A `m×k`, B `n×k`, both row-major) by dot products.
///
/// Both operands are read in place along their contiguous rows, so nothing is packed: the right
/// choice when k is long and B small (a convolution's weight gradient `dY · colsᵀ`, a linear
/// layer's forward `x · Wᵀ`), where packing the transposed B would cost a large share of the
/// product. A 5 × 2 block of C is computed at a time with ten `SIMD8<Float>` accumulators over
/// 8-float steps of k (5 rows like `GemmMicroKernel`, for the models' row counts); ragged edges
/// reuse the last row/column (computed, not stored), so no kernel variant is needed.
enum GemmDotKernel {
    static let rows = 5
    static let cols = 2

    static func multiply(
        m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        for i in stride(from: 0, to: m, by: rows) {
            let a0 = a + i * lda
            let a1 = a + min(i + 1, m - 1) * lda
            let a2 = a + min(i + 2, m - 1) * lda
            let a3 = a + min(i + 3, m - 1) * lda
            let a4 = a + min(i + 4, m - 1) * lda
            for j in stride(from: 0, to: n, by: cols) {
                let b0 = b + j * ldb
                let b1 = b + min(j + 1, n - 1) * ldb
                let block = dots(k: k, a0, a1, a2, a3, a4, b0, b1)
                store(block, rows: min(rows, m - i), cols: min(cols, n - j),
                      alpha: alpha, beta: beta, c: c + i * ldc + j, ldc: ldc)
            }
        }
    }

    /// The 10 dot products `a_r · b_s` over `k` elements: lanes 0...4 of `.0` for `b0`, of `.1` for `b1`.
    @inline(never)
    private static func dots(
        k: Int,
        _ a0: UnsafePointer<Float>, _ a1: UnsafePointer<Float>, _ a2: UnsafePointer<Float>,
        _ a3: UnsafePointer<Float>, _ a4: UnsafePointer<Float>,
        _ b0: UnsafePointer<Float>, _ b1: UnsafePointer<Float>
    ) -> (SIMD8<Float>, SIMD8<Float>) {
        var s00 = SIMD8<Float>(), s01 = SIMD8<Float>()
        var s10 = SIMD8<Float>(), s11 = SIMD8<Float>()
        var s20 = SIMD8<Float>(), s21 = SIMD8<Float>()
        var s30 = SIMD8<Float>(), s31 = SIMD8<Float>()
        var s40 = SIMD8<Float>(), s41 = SIMD8<Float>()
        var p = 0
        while p + 8 <= k {
            let x0 = SIMDMemory.load8(b0 + p), x1 = SIMDMemory.load8(b1 + p)
            var y = SIMDMemory.load8(a0 + p)
            s00 = s00.addingProduct(y, x0); s01 = s01.addingProduct(y, x1)
            y = SIMDMemory.load8(a1 + p)
            s10 = s10.addingProduct(y, x0); s11 = s11.addingProduct(y, x1)
            y = SIMDMemory.load8(a2 + p)
            s20 = s20.addingProduct(y, x0); s21 = s21.addingProduct(y, x1)
            y = SIMDMemory.load8(a3 + p)
            s30 = s30.addingProduct(y, x0); s31 = s31.addingProduct(y, x1)
            y = SIMDMemory.load8(a4 + p)
            s40 = s40.addingProduct(y, x0); s41 = s41.addingProduct(y, x1)
            p += 8
        }
        // One vector per column of the block, lane r = row r, plus the scalar tail of k.
        var col0 = SIMD8<Float>(s00.sum(), s10.sum(), s20.sum(), s30.sum(), s40.sum(), 0, 0, 0)
        var col1 = SIMD8<Float>(s01.sum(), s11.sum(), s21.sum(), s31.sum(), s41.sum(), 0, 0, 0)
        while p < k {
            let y = SIMD8<Float>(a0[p], a1[p], a2[p], a3[p], a4[p], 0, 0, 0)
            col0 = col0.addingProduct(y, SIMD8(repeating: b0[p]))
            col1 = col1.addingProduct(y, SIMD8(repeating: b1[p]))
            p += 1
        }
        return (col0, col1)
    }

    /// Writes the live `rows × cols` part of a block: `C = alpha · dots + beta · C`.
    @inline(__always)
    private static func store(
        _ block: (SIMD8<Float>, SIMD8<Float>), rows: Int, cols: Int,
        alpha: Float, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        for r in 0..<rows {
            let out = c + r * ldc
            for s in 0..<cols {
                let value = alpha * (s == 0 ? block.0 : block.1)[r]
                out[s] = beta == 0 ? value : value + beta * out[s]
            }
        }
    }
}
