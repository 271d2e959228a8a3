import TensorCore
import Testing

/// One GEMM problem with random operands, checked against a Double-accumulated triple loop.
private struct GemmCase {
    var transA: Bool, transB: Bool
    var m: Int, n: Int, k: Int
    var alpha: Float = 1, beta: Float = 0
    /// Extra elements per row beyond the minimum stride (non-unit strides).
    var pad = 0
    var nanInC = false
    var seed: UInt64 = 1

    /// Largest error relative to the magnitude of the terms, over all of C (and C's padding intact).
    func maxRelativeError() -> Double {
        var g = SeededGenerator(seed: seed)
        let (aRows, aCols) = transA ? (k, m) : (m, k)
        let (bRows, bCols) = transB ? (n, k) : (k, n)
        let lda = aCols + pad, ldb = bCols + pad, ldc = n + pad
        let a = (0..<(max(aRows, 1) * lda)).map { _ in g.nextUnitFloat() * 2 - 1 }
        let b = (0..<(max(bRows, 1) * ldb)).map { _ in g.nextUnitFloat() * 2 - 1 }
        var c = (0..<(m * ldc)).map { _ in nanInC ? Float.nan : g.nextUnitFloat() * 2 - 1 }
        let original = c
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { cp in
                    Gemm.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                               a: ap.baseAddress!, lda: lda, b: bp.baseAddress!, ldb: ldb,
                               beta: beta, c: cp.baseAddress!, ldc: ldc)
                }
            }
        }
        var worst = 0.0
        for i in 0..<m {
            for j in 0..<(n + pad) {
                let idx = i * ldc + j
                guard j < n else {
                    // Padding between rows of C must be left alone.
                    if c[idx].bitPattern != original[idx].bitPattern { return .infinity }
                    continue
                }
                var sum = 0.0, magnitude = 0.0
                for p in 0..<k {
                    let av = Double(transA ? a[p * lda + i] : a[i * lda + p])
                    let bv = Double(transB ? b[j * ldb + p] : b[p * ldb + j])
                    sum += av * bv
                    magnitude += abs(av * bv)
                }
                let old = beta == 0 ? 0 : Double(beta) * Double(original[idx])
                let expected = Double(alpha) * sum + old
                let scale = abs(Double(alpha)) * magnitude + abs(old) + 1e-6
                guard c[idx].isFinite else { return .infinity }
                worst = max(worst, abs(Double(c[idx]) - expected) / scale)
            }
        }
        return worst
    }
}

private let tolerance = 1e-5

@Test("GEMM matches the triple loop for odd sizes", arguments: [false, true], [false, true])
func gemmOddSizes(transA: Bool, transB: Bool) {
    let sizes = [1, 2, 4, 5, 6, 7, 11, 15, 16, 17, 37]
    for m in sizes {
        for n in sizes {
            for k in [1, 3, 16, 37] {
                let error = GemmCase(transA: transA, transB: transB, m: m, n: n, k: k,
                                     seed: UInt64(m * 10_000 + n * 100 + k)).maxRelativeError()
                #expect(error < tolerance, "m=\(m) n=\(n) k=\(k): relative error \(error)")
            }
        }
    }
}

@Test("GEMM with non-unit strides and alpha/beta", arguments: [false, true], [false, true])
func gemmStridesAlphaBeta(transA: Bool, transB: Bool) {
    let scalars: [(Float, Float)] = [(1, 0), (0.5, 1), (-2, 0.25), (1, -1)]
    for (alpha, beta) in scalars {
        for (m, n, k) in [(7, 19, 5), (30, 33, 29), (1, 40, 2)] {
            let error = GemmCase(transA: transA, transB: transB, m: m, n: n, k: k,
                                 alpha: alpha, beta: beta, pad: 3).maxRelativeError()
            #expect(error < tolerance, "alpha=\(alpha) beta=\(beta) m=\(m) n=\(n) k=\(k): \(error)")
        }
    }
}

@Test("beta = 0 overwrites C even when it holds NaN", arguments: [false, true], [false, true])
func gemmBetaZeroIgnoresNaN(transA: Bool, transB: Bool) {
    for (m, n, k) in [(6, 16, 4), (11, 21, 9), (40, 5, 3)] {
        let error = GemmCase(transA: transA, transB: transB, m: m, n: n, k: k,
                             pad: 2, nanInC: true).maxRelativeError()
        #expect(error < tolerance, "m=\(m) n=\(n) k=\(k): \(error)")
    }
}

@Test("GEMM across packing block boundaries (k > 256, m > 120, n > 2048)")
func gemmLargeBlocks() {
    let shapes = [(130, 40, 300, false, false), (25, 50, 520, true, true), (7, 2100, 3, false, false),
                  (40, 2060, 5, false, true), (133, 37, 270, true, false)]
    // alpha = 1 reads op(A) in place, other alphas pack it.
    for (m, n, k, ta, tb) in shapes {
        for alpha in [Float(1), 0.75] {
            let error = GemmCase(transA: ta, transB: tb, m: m, n: n, k: k, alpha: alpha, beta: 0.5)
                .maxRelativeError()
            #expect(error < tolerance, "m=\(m) n=\(n) k=\(k) alpha=\(alpha): \(error)")
        }
    }
}

@Test("k = 0 or alpha = 0 only scales C by beta")
func gemmDegenerate() {
    for (alpha, k) in [(Float(1), 0), (Float(0), 4)] {
        for beta in [Float(0), 0.5] {
            let error = GemmCase(transA: false, transB: true, m: 5, n: 9, k: k, alpha: alpha, beta: beta,
                                 pad: 1, nanInC: beta == 0).maxRelativeError()
            #expect(error < tolerance, "alpha=\(alpha) k=\(k) beta=\(beta): \(error)")
        }
    }
}

@Test("A·Bᵀ with long k and ragged m, n (in-place dot-product path)")
func gemmLongDepthNT() {
    for (m, n, k) in [(1, 1, 256), (5, 4, 263), (10, 25, 576), (13, 7, 300)] {
        for (alpha, beta, nan) in [(Float(1), Float(0), true), (0.5, -1.5, false)] {
            let error = GemmCase(transA: false, transB: true, m: m, n: n, k: k, alpha: alpha, beta: beta,
                                 pad: 2, nanInC: nan).maxRelativeError()
            #expect(error < tolerance, "m=\(m) n=\(n) k=\(k) alpha=\(alpha) beta=\(beta): \(error)")
        }
    }
}

@Test("concurrent GEMMs on several threads use separate scratch and stay correct")
func gemmConcurrent() async {
    let errors = await withTaskGroup(of: Double.self) { group in
        for t in 0..<8 {
            group.addTask {
                GemmCase(transA: t % 2 == 1, transB: t % 3 == 0, m: 20 + t, n: 30 + 3 * t, k: 70 + 5 * t,
                         alpha: 1, beta: 0.5, seed: UInt64(100 + t)).maxRelativeError()
            }
        }
        var all: [Double] = []
        for await e in group { all.append(e) }
        return all
    }
    #expect(errors.count == 8 && errors.allSatisfy { $0 < tolerance }, "\(errors)")
}
