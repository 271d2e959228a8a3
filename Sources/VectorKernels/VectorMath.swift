/// Elementwise kernels over flat Float32 vectors: the aggregator's and optimizers' inner loops.
///
/// All functions take `count` elements from each pointer (no strides); vectors may be of any
/// length (SIMD body of 32 floats per step, 8-float steps, then a scalar tail). In-place
/// outputs may alias the input only where stated. Reductions accumulate in 32 Float lanes
/// (pairwise-like, far more accurate than a single running sum) and return Float.
public enum VectorMath {
    // MARK: Updates

    /// `y += a · x` over `count` elements (BLAS saxpy). `x` and `y` may be the same vector.
    public static func axpy(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        let va = SIMD8<Float>(repeating: a)
        update(y, from: x, count: count, { $0.addingProduct(va, $1) }, { $0 + a * $1 })
    }

    /// `y = a · x + b · y` over `count` elements (e.g. momentum buffers, FedAsync mixing).
    public static func axpby(
        _ a: Float, _ x: UnsafePointer<Float>, _ b: Float, _ y: UnsafeMutablePointer<Float>, count: Int
    ) {
        let va = SIMD8<Float>(repeating: a), vb = SIMD8<Float>(repeating: b)
        update(y, from: x, count: count, { ($0 * vb).addingProduct(va, $1) }, { b * $0 + a * $1 })
    }

    /// `y += x` over `count` elements.
    public static func add(_ x: UnsafePointer<Float>, to y: UnsafeMutablePointer<Float>, count: Int) {
        update(y, from: x, count: count, { $0 + $1 }, { $0 + $1 })
    }

    /// `y = a · x` over `count` elements (`x` and `y` may be the same vector).
    public static func scaledCopy(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        let va = SIMD8<Float>(repeating: a)
        update(y, from: x, count: count, { _, x in va * x }, { _, x in a * x })
    }

    /// `x *= a` in place over `count` elements.
    public static func scale(_ x: UnsafeMutablePointer<Float>, by a: Float, count: Int) {
        scaledCopy(a, UnsafePointer(x), x, count: count)
    }

    /// Sets `count` elements of `x` to `value`.
    public static func fill(_ x: UnsafeMutablePointer<Float>, with value: Float, count: Int) {
        x.update(repeating: value, count: count)
    }

    /// Copies `count` elements from `x` to `y` (memmove semantics: they may overlap).
    public static func copy(_ x: UnsafePointer<Float>, to y: UnsafeMutablePointer<Float>, count: Int) {
        UnsafeMutableRawPointer(y).copyMemory(from: x, byteCount: count * MemoryLayout<Float>.stride)
    }

    // MARK: Reductions

    /// `Σ x[i] · y[i]` over `count` elements.
    public static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
        reduce(x, y, count: count, { $0.addingProduct($1, $2) }, { $0 + $1 * $2 })
    }

    /// `Σ x[i]²` over `count` elements.
    public static func sumOfSquares(_ x: UnsafePointer<Float>, count: Int) -> Float {
        reduce(x, x, count: count, { acc, v, _ in acc.addingProduct(v, v) }, { acc, v, _ in acc + v * v })
    }

    /// Euclidean norm `√(Σ x[i]²)` over `count` elements.
    public static func norm(_ x: UnsafePointer<Float>, count: Int) -> Float {
        sumOfSquares(x, count: count).squareRoot()
    }

    /// `Σ x[i]` over `count` elements.
    public static func sum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        reduce(x, x, count: count, { acc, v, _ in acc + v }, { acc, v, _ in acc + v })
    }

    // MARK: Array conveniences

    /// `y += a · x` over whole arrays of equal length.
    public static func axpy(_ a: Float, _ x: [Float], _ y: inout [Float]) {
        precondition(x.count == y.count, "axpy length mismatch \(x.count) vs \(y.count)")
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                guard let xb = xp.baseAddress, let yb = yp.baseAddress else { return }
                axpy(a, xb, yb, count: xp.count)
            }
        }
    }

    /// `y = a · x + b · y` over whole arrays of equal length.
    public static func axpby(_ a: Float, _ x: [Float], _ b: Float, _ y: inout [Float]) {
        precondition(x.count == y.count, "axpby length mismatch \(x.count) vs \(y.count)")
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                guard let xb = xp.baseAddress, let yb = yp.baseAddress else { return }
                axpby(a, xb, b, yb, count: xp.count)
            }
        }
    }

    /// `x *= a` over a whole array.
    public static func scale(_ x: inout [Float], by a: Float) {
        x.withUnsafeMutableBufferPointer { xp in
            guard let xb = xp.baseAddress else { return }
            scale(xb, by: a, count: xp.count)
        }
    }

    /// `Σ x[i] · y[i]` over whole arrays of equal length.
    public static func dot(_ x: [Float], _ y: [Float]) -> Float {
        precondition(x.count == y.count, "dot length mismatch \(x.count) vs \(y.count)")
        return x.withUnsafeBufferPointer { xp in
            y.withUnsafeBufferPointer { yp in
                guard let xb = xp.baseAddress, let yb = yp.baseAddress else { return 0 }
                return dot(xb, yb, count: xp.count)
            }
        }
    }

    /// `Σ x[i]²` over a whole array.
    public static func sumOfSquares(_ x: [Float]) -> Float {
        x.withUnsafeBufferPointer { xp in
            guard let xb = xp.baseAddress else { return 0 }
            return sumOfSquares(xb, count: xp.count)
        }
    }

    // MARK: Drivers

    /// `y[i] = f(y[i], x[i])`, 32 floats per step, then 8, then scalar.
    @inline(__always)
    private static func update(
        _ y: UnsafeMutablePointer<Float>, from x: UnsafePointer<Float>, count: Int,
        _ f: (SIMD8<Float>, SIMD8<Float>) -> SIMD8<Float>,
        _ scalar: (Float, Float) -> Float
    ) {
        var i = 0
        while i + 32 <= count {
            let y0 = f(SIMDMemory.load8(y + i), SIMDMemory.load8(x + i))
            let y1 = f(SIMDMemory.load8(y + i + 8), SIMDMemory.load8(x + i + 8))
            let y2 = f(SIMDMemory.load8(y + i + 16), SIMDMemory.load8(x + i + 16))
            let y3 = f(SIMDMemory.load8(y + i + 24), SIMDMemory.load8(x + i + 24))
            SIMDMemory.store8(y0, y + i)
            SIMDMemory.store8(y1, y + i + 8)
            SIMDMemory.store8(y2, y + i + 16)
            SIMDMemory.store8(y3, y + i + 24)
            i += 32
        }
        while i + 8 <= count {
            SIMDMemory.store8(f(SIMDMemory.load8(y + i), SIMDMemory.load8(x + i)), y + i)
            i += 8
        }
        while i < count {
            y[i] = scalar(y[i], x[i])
            i += 1
        }
    }

    /// `acc = f(acc, x[i], y[i])` over 32 independent lanes, then summed.
    @inline(__always)
    private static func reduce(
        _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int,
        _ f: (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) -> SIMD8<Float>,
        _ scalar: (Float, Float, Float) -> Float
    ) -> Float {
        var s0 = SIMD8<Float>(), s1 = SIMD8<Float>(), s2 = SIMD8<Float>(), s3 = SIMD8<Float>()
        var i = 0
        while i + 32 <= count {
            s0 = f(s0, SIMDMemory.load8(x + i), SIMDMemory.load8(y + i))
            s1 = f(s1, SIMDMemory.load8(x + i + 8), SIMDMemory.load8(y + i + 8))
            s2 = f(s2, SIMDMemory.load8(x + i + 16), SIMDMemory.load8(y + i + 16))
            s3 = f(s3, SIMDMemory.load8(x + i + 24), SIMDMemory.load8(y + i + 24))
            i += 32
        }
        while i + 8 <= count {
            s0 = f(s0, SIMDMemory.load8(x + i), SIMDMemory.load8(y + i))
            i += 8
        }
        var tail: Float = 0
        while i < count {
            tail = scalar(tail, x[i], y[i])
            i += 1
        }
        return ((s0 + s1) + (s2 + s3)).sum() + tail
    }
}
