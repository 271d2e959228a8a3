import VectorKernels

/// Copies blocks of op(A) and op(B) into the contiguous panel layouts the micro-kernel reads.
enum GemmPacking {
    /// Packs `alpha · op(A)[i0 ..< i0+rows, p0 ..< p0+depth]` into panels of `Gemm.mr` rows.
    ///
    /// Panel `q` starts at `dst + q·depth·mr` and holds, for each `p`, the `mr` values of rows
    /// `q·mr ..< q·mr+mr` (rows past `rows` are zero). op(A)[i, p] is `a[i·lda + p]`, or
    /// `a[p·lda + i]` when `trans`.
    static func packA(
        trans: Bool, a: UnsafePointer<Float>, lda: Int,
        i0: Int, rows: Int, p0: Int, depth: Int, alpha: Float,
        into dst: UnsafeMutablePointer<Float>
    ) {
        let mr = Gemm.mr
        var panel = dst
        for i in stride(from: 0, to: rows, by: mr) {
            let live = min(mr, rows - i)
            if trans {
                for p in 0..<depth {
                    let src = a + (p0 + p) * lda + i0 + i
                    let out = panel + p * mr
                    for r in 0..<live { out[r] = alpha * src[r] }
                    for r in live..<mr { out[r] = 0 }
                }
            } else {
                for r in 0..<mr {
                    guard r < live else {
                        for p in 0..<depth { panel[p * mr + r] = 0 }
                        continue
                    }
                    let src = a + (i0 + i + r) * lda + p0
                    for p in 0..<depth { panel[p * mr + r] = alpha * src[p] }
                }
            }
            panel += depth * mr
        }
    }

    /// Packs `op(B)[p0 ..< p0+depth, j0 ..< j0+cols]` into panels of `Gemm.nr` columns.
    ///
    /// Panel `q` starts at `dst + q·depth·nr` and holds, for each `p`, the `nr` values of
    /// columns `q·nr ..< q·nr+nr` (columns past `cols` are zero). op(B)[p, j] is `b[p·ldb + j]`,
    /// or `b[j·ldb + p]` when `trans`.
    static func packB(
        trans: Bool, b: UnsafePointer<Float>, ldb: Int,
        p0: Int, depth: Int, j0: Int, cols: Int,
        into dst: UnsafeMutablePointer<Float>
    ) {
        let nr = Gemm.nr
        var panel = dst
        for j in stride(from: 0, to: cols, by: nr) {
            let live = min(nr, cols - j)
            if trans {
                packTransposedPanel(b: b + (j0 + j) * ldb + p0, ldb: ldb, depth: depth, live: live, into: panel)
            } else if live == nr {
                for p in 0..<depth {
                    let src = b + (p0 + p) * ldb + j0 + j
                    SIMDMemory.store8(SIMDMemory.load8(src), panel + p * nr)
                    SIMDMemory.store8(SIMDMemory.load8(src + 8), panel + p * nr + 8)
                }
            } else {
                for p in 0..<depth {
                    let src = b + (p0 + p) * ldb + j0 + j
                    let out = panel + p * nr
                    for jj in 0..<live { out[jj] = src[jj] }
                    for jj in live..<nr { out[jj] = 0 }
                }
            }
            panel += depth * nr
        }
    }

    /// One B panel from `live` rows of a transposed B (row `jj` at `b + jj·ldb`, `depth` long).
    private static func packTransposedPanel(
        b: UnsafePointer<Float>, ldb: Int, depth: Int, live: Int,
        into panel: UnsafeMutablePointer<Float>
    ) {
        let nr = Gemm.nr
        var start = 0
        if live == nr {
            // Full panels: 8×8 register transposes, then a scalar tail of depth.
            while start + 8 <= depth {
                transpose8x8(b + start, ldb, into: panel + start * nr, nr)
                transpose8x8(b + 8 * ldb + start, ldb, into: panel + start * nr + 8, nr)
                start += 8
            }
        }
        for jj in 0..<live {
            let src = b + jj * ldb
            for p in start..<depth { panel[p * nr + jj] = src[p] }
        }
        if live < nr {
            for p in 0..<depth {
                for jj in live..<nr { panel[p * nr + jj] = 0 }
            }
        }
    }

    /// Writes the transpose of the 8×8 block at `src` (row stride `lds`) to `dst` (row stride `ldd`).
    ///
    /// Three rounds of even/odd unzipping over the 8 rows (vshufps + vpermpd on AVX2).
    @inline(__always)
    private static func transpose8x8(
        _ src: UnsafePointer<Float>, _ lds: Int, into dst: UnsafeMutablePointer<Float>, _ ldd: Int
    ) {
        var v0 = SIMDMemory.load8(src), v1 = SIMDMemory.load8(src + lds)
        var v2 = SIMDMemory.load8(src + 2 * lds), v3 = SIMDMemory.load8(src + 3 * lds)
        var v4 = SIMDMemory.load8(src + 4 * lds), v5 = SIMDMemory.load8(src + 5 * lds)
        var v6 = SIMDMemory.load8(src + 6 * lds), v7 = SIMDMemory.load8(src + 7 * lds)
        for _ in 0..<3 {
            let (e0, o0) = unzip(v0, v1), (e1, o1) = unzip(v2, v3)
            let (e2, o2) = unzip(v4, v5), (e3, o3) = unzip(v6, v7)
            (v0, v1, v2, v3, v4, v5, v6, v7) = (e0, e1, e2, e3, o0, o1, o2, o3)
        }
        SIMDMemory.store8(v0, dst)
        SIMDMemory.store8(v1, dst + ldd)
        SIMDMemory.store8(v2, dst + 2 * ldd)
        SIMDMemory.store8(v3, dst + 3 * ldd)
        SIMDMemory.store8(v4, dst + 4 * ldd)
        SIMDMemory.store8(v5, dst + 5 * ldd)
        SIMDMemory.store8(v6, dst + 6 * ldd)
        SIMDMemory.store8(v7, dst + 7 * ldd)
    }

    /// Even- and odd-indexed elements of the 16 floats `a` then `b`.
    @inline(__always)
    private static func unzip(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> (SIMD8<Float>, SIMD8<Float>) {
        let joined = SIMD16<Float>(lowHalf: a, highHalf: b)
        return (joined.evenHalf, joined.oddHalf)
    }
}
