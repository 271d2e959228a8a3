#if arch(x86_64)
import _Builtin_intrinsics.intel

/// Three independent `crc32` chains over consecutive thirds of a block, joined with
/// `CRC32CShift`: the instruction has a latency of three cycles but can start one per cycle,
/// so a single chain uses a third of it.
extension CRC32C {
    /// Block thirds: long ones for the bulk, short ones for what is left.
    static let longShift = CRC32CShift(length: 8192)
    static let shortShift = CRC32CShift(length: 256)

    /// Runs the raw register `state` over the whole 32-byte chunks of `count` bytes at `base`,
    /// calling `visit(offset, stream)` once per chunk (stream 0, 1 or 2: independent work can
    /// go to independent accumulators). Returns the register and the bytes consumed
    /// (`count` rounded down to a multiple of 32).
    @inline(__always)
    static func chunked(_ state: UInt32, _ base: UnsafeRawPointer, count: Int,
                        _ visit: (_ offset: Int, _ stream: Int) -> Void) -> (state: UInt32, consumed: Int) {
        var crc = state
        var i = 0
        blocks(&crc, base, &i, count, longShift, visit)
        blocks(&crc, base, &i, count, shortShift, visit)
        var c = UInt64(crc)
        while i + 32 <= count {
            c = words(c, base + i)
            visit(i, 0)
            i += 32
        }
        return (UInt32(truncatingIfNeeded: c), i)
    }

    /// Whole blocks of three `shift.length`-byte thirds from `i` on.
    @inline(__always)
    private static func blocks(_ crc: inout UInt32, _ base: UnsafeRawPointer, _ i: inout Int, _ count: Int,
                               _ shift: CRC32CShift, _ visit: (Int, Int) -> Void) {
        let n = shift.length
        while i + 3 * n <= count {
            var (c0, c1, c2) = (UInt64(crc), UInt64(0), UInt64(0))
            var j = i
            while j < i + n {
                c0 = words(c0, base + j)
                visit(j, 0)
                c1 = words(c1, base + j + n)
                visit(j + n, 1)
                c2 = words(c2, base + j + 2 * n)
                visit(j + 2 * n, 2)
                j += 32
            }
            let joined = shift(UInt32(truncatingIfNeeded: c0)) ^ UInt32(truncatingIfNeeded: c1)
            crc = shift(joined) ^ UInt32(truncatingIfNeeded: c2)
            i += 3 * n
        }
    }

    /// The register after the 32 bytes at `p`.
    @inline(__always)
    private static func words(_ c: UInt64, _ p: UnsafeRawPointer) -> UInt64 {
        var c = _mm_crc32_u64(c, p.loadUnaligned(as: UInt64.self))
        c = _mm_crc32_u64(c, p.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        c = _mm_crc32_u64(c, p.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
        return _mm_crc32_u64(c, p.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
    }
}
#endif
