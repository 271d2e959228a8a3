/// Unaligned 8-lane loads and stores used by the kernels (compile to `vmovups` on AVX2).
package enum SIMDMemory {
    /// Loads 8 consecutive floats starting at `p` (no alignment needed).
    @inline(__always)
    @inlinable package static func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    /// Loads 8 consecutive floats starting at `p` (no alignment needed).
    @inline(__always)
    @inlinable package static func load8(_ p: UnsafeMutablePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    /// Stores `v` to 8 consecutive floats starting at `p` (no alignment needed).
    @inline(__always)
    @inlinable package static func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
    }
}
