import VectorKernels

/// The register-blocked inner kernel of `Gemm`: one `mr × nr` (5 × 16) tile of C.
///
/// Ten `SIMD8<Float>` accumulators stay in ymm registers for the whole `k` loop; each
/// step loads two 8-float vectors of B, broadcasts five scalars of A and issues ten
/// `vfmadd231ps` (checked with `swiftc -Ounchecked -target-cpu haswell -emit-assembly`).
/// Five rows rather than the classic six: the models' row counts (10 and 20 channels, 50, 200,
/// 250 features, batch 64) are multiples of 5 or close above one, so edge tiles waste little,
/// and ten accumulators still cover the FMA latency (4 cycles × 2 pipes).
enum GemmMicroKernel {
    /// `C[r, 0..<16] = Σ_p a[r·aRowStride + p·aDepthStride] · b[p·bStride + 0..<16] + beta · C[r, 0..<16]`
    /// for `r < rows`.
    ///
    /// - Parameters:
    ///   - kc: depth of the product (number of `p` steps), ≥ 0.
    ///   - a: A panel, 5 rows × `kc`: packed (strides 1, 5) or read in place from A.
    ///   - b: B panel, `kc` rows of 16 floats, row `p` at `p·bStride`.
    ///   - c: top-left of the C tile; row `r` starts at `r·ldc`; 16 columns are written.
    ///   - rows: rows of the tile to store, 1...5 (the product is always computed for 5).
    ///   - beta: 0 overwrites C (NaNs in C ignored), 1 accumulates, otherwise scales.
    @inline(never)
    static func run(
        kc: Int,
        a: UnsafePointer<Float>, aRowStride: Int, aDepthStride: Int,
        b: UnsafePointer<Float>, bStride: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int,
        rows: Int, beta: Float
    ) {
        var c00 = SIMD8<Float>(), c01 = SIMD8<Float>()
        var c10 = SIMD8<Float>(), c11 = SIMD8<Float>()
        var c20 = SIMD8<Float>(), c21 = SIMD8<Float>()
        var c30 = SIMD8<Float>(), c31 = SIMD8<Float>()
        var c40 = SIMD8<Float>(), c41 = SIMD8<Float>()
        let a0 = a, a1 = a + aRowStride, a2 = a + 2 * aRowStride, a3 = a + 3 * aRowStride, a4 = a + 4 * aRowStride
        var ap = 0
        var bp = b
        for _ in 0..<kc {
            let b0 = SIMDMemory.load8(bp)
            let b1 = SIMDMemory.load8(bp + 8)
            var av = SIMD8<Float>(repeating: a0[ap])
            c00 = c00.addingProduct(av, b0); c01 = c01.addingProduct(av, b1)
            av = SIMD8<Float>(repeating: a1[ap])
            c10 = c10.addingProduct(av, b0); c11 = c11.addingProduct(av, b1)
            av = SIMD8<Float>(repeating: a2[ap])
            c20 = c20.addingProduct(av, b0); c21 = c21.addingProduct(av, b1)
            av = SIMD8<Float>(repeating: a3[ap])
            c30 = c30.addingProduct(av, b0); c31 = c31.addingProduct(av, b1)
            av = SIMD8<Float>(repeating: a4[ap])
            c40 = c40.addingProduct(av, b0); c41 = c41.addingProduct(av, b1)
            ap += aDepthStride
            bp += bStride
        }
        storeRow(c00, c01, c, beta)
        if rows > 1 { storeRow(c10, c11, c + ldc, beta) }
        if rows > 2 { storeRow(c20, c21, c + 2 * ldc, beta) }
        if rows > 3 { storeRow(c30, c31, c + 3 * ldc, beta) }
        if rows > 4 { storeRow(c40, c41, c + 4 * ldc, beta) }
    }

    /// Writes 16 accumulated values to `c` according to `beta` (see `run`).
    @inline(__always)
    private static func storeRow(_ lo: SIMD8<Float>, _ hi: SIMD8<Float>, _ c: UnsafeMutablePointer<Float>, _ beta: Float) {
        if beta == 0 {
            SIMDMemory.store8(lo, c)
            SIMDMemory.store8(hi, c + 8)
        } else if beta == 1 {
            SIMDMemory.store8(SIMDMemory.load8(c) + lo, c)
            SIMDMemory.store8(SIMDMemory.load8(c + 8) + hi, c + 8)
        } else {
            let vb = SIMD8<Float>(repeating: beta)
            SIMDMemory.store8(lo.addingProduct(vb, SIMDMemory.load8(c)), c)
            SIMDMemory.store8(hi.addingProduct(vb, SIMDMemory.load8(c + 8)), c + 8)
        }
    }
}
