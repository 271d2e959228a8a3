/// Single-precision matrix multiply on row-major matrices.
///
/// A blocked GEMM in the GotoBLAS/BLIS style: op(B) is cut into `kc × nc` blocks and op(A)
/// into `mc × kc` blocks, and a 5 × 16 AVX2/FMA micro-kernel (`GemmMicroKernel`) computes each
/// tile of C. Panels are packed into per-thread buffers reused across calls (no allocation once
/// warm) only where that pays: op(A) is read in place when alpha = 1 (the kernel takes row and
/// depth strides), op(B) when it is not transposed and small or shallow (see `inPlaceB…`), and
/// `A·Bᵀ` with long k goes to a packing-free dot-product kernel (`GemmDotKernel`); ragged edge
/// panels are always packed with zero padding. Single-threaded; safe to call from several
/// threads at once.
public enum Gemm {
    /// Rows of C per micro-tile.
    static let mr = 5
    /// Columns of C per micro-tile (two 8-float vectors).
    static let nr = 16
    /// Depth of one packed block (floats along k).
    static let kc = 256
    /// Rows of op(A) per packed block (multiple of `mr`; `mc × kc` floats stay in L2).
    static let mc = 120
    /// Columns of op(B) per packed block (multiple of `nr`).
    static let nc = 2048
    /// A non-transposed B is read in place instead of packed when C has at most this many rows
    /// (each B panel is reused by too few A panels to repay the copy) ...
    static let inPlaceBMaxRows = 4 * mr
    /// ... or when the depth is at most this (an in-place panel is then only a few cache lines
    /// and stays in L1 while every A panel passes over it).
    static let inPlaceBMaxDepth = 64
    /// `A · Bᵀ` with depth `k ≥ dotMinDepth` (horizontal sums amortised) and B small enough to
    /// stay in L2 (`n·k ≤ dotMaxBCount` floats) goes to `GemmDotKernel`, which needs no packing.
    static let dotMinDepth = 256
    static let dotMaxBCount = 1 << 15

    /// `C = alpha · op(A) · op(B) + beta · C`, all row-major.
    ///
    /// - op(A) is `m×k` (A is `m×k` with row stride `lda`, or `k×m` when `transA`),
    ///   op(B) is `k×n` (B is `k×n` with row stride `ldb`, or `n×k` when `transB`),
    ///   C is `m×n` with row stride `ldc`. With `beta == 0`, C is overwritten (NaNs in C ignored).
    /// - Strides are in elements; C must not overlap A or B.
    public static func sgemm(
        transA: Bool, transB: Bool,
        m: Int, n: Int, k: Int,
        alpha: Float,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        precondition(m >= 0 && n >= 0 && k >= 0, "sgemm: negative size m=\(m) n=\(n) k=\(k)")
        precondition(lda >= max(1, transA ? m : k), "sgemm: lda \(lda) too small")
        precondition(ldb >= max(1, transB ? k : n), "sgemm: ldb \(ldb) too small")
        precondition(ldc >= max(1, n), "sgemm: ldc \(ldc) too small")
        if m == 0 || n == 0 { return }
        if k == 0 || alpha == 0 {
            scale(c, ldc: ldc, m: m, n: n, by: beta)
            return
        }
        if !transA && transB && k >= dotMinDepth && n * k <= dotMaxBCount {
            GemmDotKernel.multiply(m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                                   beta: beta, c: c, ldc: ldc)
            return
        }
        blocked(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }

    /// The packed, cache-blocked product (see the type's documentation); arguments as `sgemm`.
    private static func blocked(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        let scratch = GemmScratch.current
        scratch.reserve(a: min(mc, roundUp(m, mr)) * min(kc, k), b: min(kc, k) * min(nc, roundUp(n, nr)))
        let inPlaceB = !transB && (m <= inPlaceBMaxRows || k <= inPlaceBMaxDepth)
        for j0 in stride(from: 0, to: n, by: nc) {
            let cols = min(nc, n - j0)
            for p0 in stride(from: 0, to: k, by: kc) {
                let depth = min(kc, k - p0)
                let panels = BPanels(inPlace: inPlaceB, b: b + p0 * ldb + j0, ldb: ldb,
                                     packed: UnsafePointer(scratch.packedB), depth: depth, cols: cols)
                if inPlaceB {
                    // Only the ragged last panel needs a zero-padded copy.
                    if panels.full < cols {
                        GemmPacking.packB(trans: false, b: b, ldb: ldb, p0: p0, depth: depth,
                                          j0: j0 + panels.full, cols: cols - panels.full, into: scratch.packedB)
                    }
                } else {
                    GemmPacking.packB(trans: transB, b: b, ldb: ldb, p0: p0, depth: depth,
                                      j0: j0, cols: cols, into: scratch.packedB)
                }
                for i0 in stride(from: 0, to: m, by: mc) {
                    let rows = min(mc, m - i0)
                    let aPanels = APanels(inPlace: alpha == 1, trans: transA, a: a, lda: lda, i0: i0, p0: p0,
                                          packed: UnsafePointer(scratch.packedA), depth: depth, rows: rows)
                    // In place, only the ragged last panel needs a zero-padded copy.
                    let packFrom = aPanels.inPlace ? aPanels.full : 0
                    if packFrom < rows {
                        GemmPacking.packA(trans: transA, a: a, lda: lda, i0: i0 + packFrom, rows: rows - packFrom,
                                          p0: p0, depth: depth, alpha: alpha, into: scratch.packedA)
                    }
                    for j in stride(from: 0, to: cols, by: nr) {
                        let (panel, panelStride) = panels.panel(at: j)
                        multiplyPanel(
                            depth: depth, a: aPanels, rows: rows,
                            b: panel, bStride: panelStride, cols: min(nr, cols - j),
                            c: c + i0 * ldc + j0 + j, ldc: ldc, beta: p0 == 0 ? beta : 1, tile: scratch.tile)
                    }
                }
            }
        }
    }

    /// Where each `nr`-column panel of one `depth × cols` block of op(B) lives: in place in B
    /// (row stride `ldb`) for the full panels when `inPlace`, otherwise packed (row stride `nr`).
    private struct BPanels {
        let inPlace: Bool
        let b: UnsafePointer<Float>, ldb: Int
        let packed: UnsafePointer<Float>
        let depth: Int
        /// Columns covered by full panels.
        let full: Int

        init(inPlace: Bool, b: UnsafePointer<Float>, ldb: Int, packed: UnsafePointer<Float>, depth: Int, cols: Int) {
            self.inPlace = inPlace
            self.b = b
            self.ldb = ldb
            self.packed = packed
            self.depth = depth
            self.full = cols / Gemm.nr * Gemm.nr
        }

        /// The panel starting at column `j` of the block and its row stride.
        @inline(__always)
        func panel(at j: Int) -> (UnsafePointer<Float>, Int) {
            if !inPlace { return (packed + (j / Gemm.nr) * depth * Gemm.nr, Gemm.nr) }
            return j < full ? (b + j, ldb) : (packed, Gemm.nr)
        }
    }

    /// Where each `mr`-row panel of one `rows × depth` block of op(A) lives: in place in A for the
    /// full panels when `inPlace` (only possible with alpha = 1), otherwise packed.
    ///
    /// A panel is read by the micro-kernel as `a[r·rowStride + p·depthStride]`: packed panels have
    /// strides (1, `mr`); in place, op(A)[i, p] is `a[i·lda + p]`, or `a[p·lda + i]` when `trans`.
    private struct APanels {
        let inPlace: Bool
        let a: UnsafePointer<Float>
        let rowStride: Int, depthStride: Int
        let packed: UnsafePointer<Float>
        let depth: Int
        /// Rows covered by full panels.
        let full: Int

        init(inPlace: Bool, trans: Bool, a: UnsafePointer<Float>, lda: Int, i0: Int, p0: Int,
             packed: UnsafePointer<Float>, depth: Int, rows: Int) {
            self.inPlace = inPlace
            self.a = trans ? a + p0 * lda + i0 : a + i0 * lda + p0
            (rowStride, depthStride) = trans ? (1, lda) : (lda, 1)
            self.packed = packed
            self.depth = depth
            self.full = rows / Gemm.mr * Gemm.mr
        }

        /// The panel starting at row `i` of the block and its (row, depth) strides.
        @inline(__always)
        func panel(at i: Int) -> (UnsafePointer<Float>, Int, Int) {
            if inPlace && i < full { return (a + i * rowStride, rowStride, depthStride) }
            let q = inPlace ? 0 : i / Gemm.mr
            return (packed + q * depth * Gemm.mr, 1, Gemm.mr)
        }
    }

    /// Runs the micro-kernel down one column panel of C (`rows × cols`, `cols ≤ nr`).
    @inline(__always)
    private static func multiplyPanel(
        depth: Int, a aPanels: APanels, rows: Int,
        b: UnsafePointer<Float>, bStride: Int, cols: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int, beta: Float,
        tile: UnsafeMutablePointer<Float>
    ) {
        for i in stride(from: 0, to: rows, by: mr) {
            let live = min(mr, rows - i)
            let (a, aRowStride, aDepthStride) = aPanels.panel(at: i)
            let cTile = c + i * ldc
            if cols == nr {
                GemmMicroKernel.run(kc: depth, a: a, aRowStride: aRowStride, aDepthStride: aDepthStride,
                                    b: b, bStride: bStride, c: cTile, ldc: ldc, rows: live, beta: beta)
            } else {
                GemmMicroKernel.run(kc: depth, a: a, aRowStride: aRowStride, aDepthStride: aDepthStride,
                                    b: b, bStride: bStride, c: tile, ldc: nr, rows: live, beta: 0)
                for r in 0..<live {
                    let out = cTile + r * ldc
                    let src = tile + r * nr
                    if beta == 0 {
                        for j in 0..<cols { out[j] = src[j] }
                    } else {
                        for j in 0..<cols { out[j] = src[j] + beta * out[j] }
                    }
                }
            }
        }
    }

    /// `C = beta · C` (zeros when `beta == 0`, ignoring NaNs).
    private static func scale(_ c: UnsafeMutablePointer<Float>, ldc: Int, m: Int, n: Int, by beta: Float) {
        if beta == 1 { return }
        for i in 0..<m {
            let row = c + i * ldc
            if beta == 0 {
                row.update(repeating: 0, count: n)
            } else {
                for j in 0..<n { row[j] *= beta }
            }
        }
    }

    @inline(__always)
    private static func roundUp(_ x: Int, _ multiple: Int) -> Int {
        (x + multiple - 1) / multiple * multiple
    }
}
