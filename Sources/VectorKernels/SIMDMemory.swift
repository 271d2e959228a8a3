/// Unaligned 8-lane loads and stores used by the kernels (compile to `vmovups` on AVX2).
/// Public and `@inlinable` so that TensorCore's GEMM and pooling loops inline them: a call per
/// eight floats made them four times slower.
public enum SIMDMemory {
    /// Loads 8 consecutive floats starting at `p` (no alignment needed).
    @inline(__always)
    @inlinable public static func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    /// Loads 8 consecutive floats starting at `p` (no alignment needed).
    @inline(__always)
    @inlinable public static func load8(_ p: UnsafeMutablePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    /// Stores `v` to 8 consecutive floats starting at `p` (no alignment needed).
    @inline(__always)
    @inlinable public static func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
    }
}
