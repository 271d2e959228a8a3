#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif
import VectorKernels

/// One pass over a received payload: the CRC-32C of every byte, and for the F32 tensor data
/// also the copy into the model's flat vector and the sum of squares — what used to be four
/// passes (CRC, copy, finite check, norm).
///
/// Feed the payload in order: `checksum(_:)` for bytes that are only checksummed (the
/// safetensors header, gaps), `copy(from:to:count:)` for tensor data. The sum of squares also
/// answers the finite check: it is finite exactly when every element is finite and no square
/// overflows (`isFiniteCertain`); otherwise the caller checks the elements themselves.
struct PayloadScan {
    /// Raw CRC register (initial 0xFFFFFFFF, not yet complemented).
    private var state: UInt32 = 0xFFFF_FFFF
    private var squares0 = SIMD8<Float>(), squares1 = SIMD8<Float>(), squares2 = SIMD8<Float>()
    private var squaresTail: Float = 0

    /// The CRC-32C of the bytes fed so far.
    var checksum: UInt32 { ~state }
    /// Σ x² over the floats copied so far (summation order: by stream, not by index).
    var sumOfSquares: Float { ((squares0 + squares1) + squares2).sum() + squaresTail }
    /// Whether every float copied is certainly finite (the sum of squares is).
    var isFiniteCertain: Bool { sumOfSquares.isFinite }

    /// Checksums `bytes` without copying them.
    mutating func checksum(_ bytes: UnsafeRawBufferPointer) {
        state = CRC32C.update(state, bytes)
    }

    /// Checksums the `count` little-endian floats (4 × `count` bytes, any alignment) at
    /// `source`, copies them to `destination` and adds their squares.
    mutating func copy(from source: UnsafeRawPointer, to destination: UnsafeMutablePointer<Float>, count: Int) {
        #if arch(x86_64)
        let bytes = count * 4
        let target = UnsafeMutableRawPointer(destination)
        var (s0, s1, s2) = (squares0, squares1, squares2)
        let bulk = CRC32C.chunked(state, source, count: bytes) { offset, stream in
            let v = source.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            target.storeBytes(of: v, toByteOffset: offset, as: SIMD8<Float>.self)
            if stream == 0 { s0 = s0.addingProduct(v, v) } else if stream == 1 { s1 = s1.addingProduct(v, v) } else { s2 = s2.addingProduct(v, v) }
        }
        (squares0, squares1, squares2) = (s0, s1, s2)
        state = copyTail(from: source, to: target, range: bulk.consumed..<bytes, crc: bulk.state)
        #else
        state = CRC32C.update(state, UnsafeRawBufferPointer(start: source, count: count * 4))
        UnsafeMutableRawPointer(destination).copyMemory(from: source, byteCount: count * 4)
        squaresTail += VectorMath.sumOfSquares(destination, count: count)
        #endif
    }

    #if arch(x86_64)
    /// The floats in `range` (bytes, fewer than a chunk) one at a time.
    private mutating func copyTail(from source: UnsafeRawPointer, to target: UnsafeMutableRawPointer,
                                   range: Range<Int>, crc: UInt32) -> UInt32 {
        var crc = crc
        for offset in stride(from: range.lowerBound, to: range.upperBound, by: 4) {
            let bits = source.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
            crc = _mm_crc32_u32(crc, bits)
            let value = Float(bitPattern: UInt32(littleEndian: bits))
            target.storeBytes(of: value, toByteOffset: offset, as: Float.self)
            squaresTail += value * value
        }
        return crc
    }
    #endif
}
