#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78, initial value and final XOR
/// 0xFFFFFFFF) — the checksum of every federation payload, as used by iSCSI and ext4.
///
/// On x86-64 the SSE 4.2 `crc32` instruction, eight bytes per step in three interleaved chains
/// (the package is built for haswell, which has it); elsewhere table-driven slicing-by-8, eight bytes per step through
/// eight 256-entry tables. `CRC32C.checksum(Array("123456789".utf8)) == 0xE3069283`.
public enum CRC32C {
    /// The CRC-32C of `bytes`.
    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { checksum(UnsafeRawBufferPointer($0)) }
    }

    /// The CRC-32C of the bytes in `buffer`.
    public static func checksum(_ buffer: UnsafeRawBufferPointer) -> UInt32 {
        ~update(0xFFFF_FFFF, buffer)
    }

    /// Continues a running (non-finalised) CRC over `buffer`; start from 0xFFFFFFFF and
    /// complement the result when done.
    public static func update(_ state: UInt32, _ buffer: UnsafeRawBufferPointer) -> UInt32 {
        #if arch(x86_64)
        return instructionUpdate(state, buffer)
        #else
        return tableUpdate(state, buffer)
        #endif
    }

    #if arch(x86_64)
    /// `update` through the SSE 4.2 `crc32` instruction (three interleaved chains for the
    /// bulk, see `chunked`).
    static func instructionUpdate(_ state: UInt32, _ buffer: UnsafeRawBufferPointer) -> UInt32 {
        let count = buffer.count
        guard count > 0, let base = buffer.baseAddress else { return state }
        let bulk = chunked(state, base, count: count) { _, _ in }
        var crc = UInt64(bulk.state)
        var i = bulk.consumed
        while i + 8 <= count {
            crc = _mm_crc32_u64(crc, base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            i += 8
        }
        var crc32 = UInt32(truncatingIfNeeded: crc)
        while i < count {
            crc32 = _mm_crc32_u8(crc32, base.load(fromByteOffset: i, as: UInt8.self))
            i += 1
        }
        return crc32
    }
    #endif

    /// `update` through the slicing-by-8 tables (the portable path, and the reference the
    /// instruction path is tested against).
    public static func tableUpdate(_ state: UInt32, _ buffer: UnsafeRawBufferPointer) -> UInt32 {
        var crc = state
        let count = buffer.count
        guard count > 0, let base = buffer.baseAddress else { return crc }
        var i = 0
        tables.withUnsafeBufferPointer { t in
            while i + 8 <= count {
                let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                let lo = UInt32(truncatingIfNeeded: word) ^ crc
                let hi = UInt32(truncatingIfNeeded: word >> 32)
                crc = t[7 * 256 + Int(lo & 0xFF)] ^ t[6 * 256 + Int((lo >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((lo >> 16) & 0xFF)] ^ t[4 * 256 + Int(lo >> 24)]
                    ^ t[3 * 256 + Int(hi & 0xFF)] ^ t[2 * 256 + Int((hi >> 8) & 0xFF)]
                    ^ t[1 * 256 + Int((hi >> 16) & 0xFF)] ^ t[Int(hi >> 24)]
                i += 8
            }
            while i < count {
                crc = t[Int((crc ^ UInt32(base.load(fromByteOffset: i, as: UInt8.self))) & 0xFF)] ^ (crc >> 8)
                i += 1
            }
        }
        return crc
    }

    /// Eight 256-entry tables, flattened: table k maps a byte to its CRC after k further zero bytes.
    private static let tables: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 8 * 256)
        for n in 0..<256 {
            var c = UInt32(n)
            for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
            t[n] = c
        }
        for k in 1..<8 {
            for n in 0..<256 {
                let prev = t[(k - 1) * 256 + n]
                t[k * 256 + n] = (prev >> 8) ^ t[Int(prev & 0xFF)]
            }
        }
        return t
    }()
}
