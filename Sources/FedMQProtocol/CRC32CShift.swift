/// Moves a raw CRC-32C register past `length` zero bytes: `shift(c) = c · x^(8·length) mod P`
/// (reflected), through four 256-entry tables (the map is linear over GF(2), so each byte of
/// `c` is looked up on its own and the results XORed).
///
/// This is what lets independent CRC chains over consecutive pieces of a buffer be joined:
/// with raw registers, `crc(s, A‖B) = shift_|B|(crc(s, A)) ⊕ crc(0, B)`.
struct CRC32CShift: Sendable {
    /// Bytes the register is moved past.
    let length: Int
    private let tables: [UInt32]

    init(length: Int) {
        self.length = length
        let power = Self.xPower(bits: 8 * length)
        var tables = [UInt32](repeating: 0, count: 4 * 256)
        for k in 0..<4 {
            for b in 0..<256 { tables[k * 256 + b] = Self.multiply(power, UInt32(b) << (8 * k)) }
        }
        self.tables = tables
    }

    /// `register · x^(8·length) mod P`.
    @inline(__always)
    func callAsFunction(_ register: UInt32) -> UInt32 {
        tables.withUnsafeBufferPointer { t in
            t[Int(register & 0xFF)] ^ t[256 + Int((register >> 8) & 0xFF)]
                ^ t[512 + Int((register >> 16) & 0xFF)] ^ t[768 + Int(register >> 24)]
        }
    }

    /// `x^bits mod P`, reflected (x⁰ is bit 31).
    static func xPower(bits: Int) -> UInt32 {
        var p: UInt32 = 1 << 31
        for _ in 0..<bits { p = p & 1 != 0 ? (p >> 1) ^ 0x82F6_3B78 : p >> 1 }
        return p
    }

    /// `a · b mod P` for reflected polynomials (zlib's `multmodp`).
    static func multiply(_ a: UInt32, _ b: UInt32) -> UInt32 {
        var (m, p, b) = (UInt32(1) << 31, UInt32(0), b)
        while m != 0 {
            if a & m != 0 { p ^= b }
            m >>= 1
            b = b & 1 != 0 ? (b >> 1) ^ 0x82F6_3B78 : b >> 1
        }
        return p
    }
}
