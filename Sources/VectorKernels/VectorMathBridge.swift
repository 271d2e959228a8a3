
/// Array-level helpers over `VectorMath` used throughout Federation.
package enum VectorMathBridge {
    /// Euclidean norm of `x`.
    package static func norm(_ x: [Float]) -> Float { VectorMath.sumOfSquares(x).squareRoot() }

    /// Whether every element is finite.
    package static func allFinite(_ x: [Float]) -> Bool {
        // Inf − Inf and NaN propagate through a sum of x·0: one pass, no branches per element.
        x.withUnsafeBufferPointer { p in
            guard let base = p.baseAddress else { return true }
            let raw = UnsafeRawPointer(base)
            var acc = SIMD8<Float>(repeating: 0)
            var i = 0
            while i + 8 <= p.count {
                acc += raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) * 0
                i += 8
            }
            var tail: Float = 0
            while i < p.count { tail += p[i] * 0; i += 1 }
            return acc.sum() == 0 && tail == 0
        }
    }
}
