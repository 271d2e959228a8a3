/// GEMM for `C = alpha · A · Bᵀ + beta · C` (A `m×k`, B `n×k`, both row-major) by dot products.
///
/// Both operands are read in place along their contiguous rows, so nothing is packed: the right
/// choice when m is small and k is long (a convolution's weight gradient `dY · colsᵀ`), where
/// packing the transposed B would cost as much as the product. A 4 × 3 block of C is computed
/// at a time with twelve `SIMD8<Float>` accumulators over 8-float steps of k; ragged edges reuse
/// the last row/column (computed, not stored) so no kernel variant is needed.
enum GemmDotKernel {
    static let rows = 4
    static let cols = 3

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
            for j in stride(from: 0, to: n, by: cols) {
                let b0 = b + j * ldb
                let b1 = b + min(j + 1, n - 1) * ldb
                let b2 = b + min(j + 2, n - 1) * ldb
                let block = dots(k: k, a0, a1, a2, a3, b0, b1, b2)
                store(block, rows: min(rows, m - i), cols: min(cols, n - j),
                      alpha: alpha, beta: beta, c: c + i * ldc + j, ldc: ldc)
            }
        }
    }

    /// The 12 dot products `a_r · b_s` over `k` elements, row-major (`r·3 + s`).
    @inline(never)
    private static func dots(
        k: Int,
        _ a0: UnsafePointer<Float>, _ a1: UnsafePointer<Float>,
        _ a2: UnsafePointer<Float>, _ a3: UnsafePointer<Float>,
        _ b0: UnsafePointer<Float>, _ b1: UnsafePointer<Float>, _ b2: UnsafePointer<Float>
    ) -> (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>) {
        var s00 = SIMD8<Float>(), s01 = SIMD8<Float>(), s02 = SIMD8<Float>()
        var s10 = SIMD8<Float>(), s11 = SIMD8<Float>(), s12 = SIMD8<Float>()
        var s20 = SIMD8<Float>(), s21 = SIMD8<Float>(), s22 = SIMD8<Float>()
        var s30 = SIMD8<Float>(), s31 = SIMD8<Float>(), s32 = SIMD8<Float>()
        var p = 0
        while p + 8 <= k {
            let x0 = SIMDMemory.load8(b0 + p), x1 = SIMDMemory.load8(b1 + p), x2 = SIMDMemory.load8(b2 + p)
            var y = SIMDMemory.load8(a0 + p)
            s00 = s00.addingProduct(y, x0); s01 = s01.addingProduct(y, x1); s02 = s02.addingProduct(y, x2)
            y = SIMDMemory.load8(a1 + p)
            s10 = s10.addingProduct(y, x0); s11 = s11.addingProduct(y, x1); s12 = s12.addingProduct(y, x2)
            y = SIMDMemory.load8(a2 + p)
            s20 = s20.addingProduct(y, x0); s21 = s21.addingProduct(y, x1); s22 = s22.addingProduct(y, x2)
            y = SIMDMemory.load8(a3 + p)
            s30 = s30.addingProduct(y, x0); s31 = s31.addingProduct(y, x1); s32 = s32.addingProduct(y, x2)
            p += 8
        }
        // Column s of the block, as one vector over the 4 rows, plus the scalar tail of k.
        var col0 = SIMD4<Float>(s00.sum(), s10.sum(), s20.sum(), s30.sum())
        var col1 = SIMD4<Float>(s01.sum(), s11.sum(), s21.sum(), s31.sum())
        var col2 = SIMD4<Float>(s02.sum(), s12.sum(), s22.sum(), s32.sum())
        while p < k {
            let y = SIMD4<Float>(a0[p], a1[p], a2[p], a3[p])
            col0 = col0.addingProduct(y, SIMD4(repeating: b0[p]))
            col1 = col1.addingProduct(y, SIMD4(repeating: b1[p]))
            col2 = col2.addingProduct(y, SIMD4(repeating: b2[p]))
            p += 1
        }
        return (col0, col1, col2)
    }

    /// Writes the live `rows × cols` part of a block: `C = alpha · dots + beta · C`.
    @inline(__always)
    private static func store(
        _ block: (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>), rows: Int, cols: Int,
        alpha: Float, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        for r in 0..<rows {
            let out = c + r * ldc
            for s in 0..<cols {
                let column = s == 0 ? block.0 : (s == 1 ? block.1 : block.2)
                let value = alpha * column[r]
                out[s] = beta == 0 ? value : value + beta * out[s]
            }
        }
    }
}
