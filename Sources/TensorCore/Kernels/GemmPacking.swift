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
        for jj in 0..<live {
            let src = b + jj * ldb
            for p in 0..<depth { panel[p * nr + jj] = src[p] }
        }
        if live < nr {
            for p in 0..<depth {
                for jj in live..<nr { panel[p * nr + jj] = 0 }
            }
        }
    }
}
