import FedMQProtocol
import Testing

/// Bit-at-a-time CRC-32C straight from the definition, to check the sliced tables.
private func bitwiseCRC32C(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for b in bytes {
        crc ^= UInt32(b)
        for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
    }
    return ~crc
}

@Test func crc32cKnownVectors() {
    // RFC 3720 appendix B.4 and the common check value.
    #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
    #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
    #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
    #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
    #expect(CRC32C.checksum([]) == 0)
}

@Test func crc32cSlicedMatchesBitwiseAtEveryLengthAndAlignment() {
    let data = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 151 &+ 7) }
    for start in 0..<9 {
        for length in [0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 200] where start + length <= data.count {
            let slice = Array(data[start..<(start + length)])
            #expect(CRC32C.checksum(slice) == bitwiseCRC32C(slice))
        }
    }
}

@Test func crc32cPortableTablesMatchBitwiseToo() {
    // `checksum` takes the crc32 instruction on x86-64; the table path must stay right for
    // other architectures.
    let data = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 97 &+ 3) }
    for start in 0..<9 {
        for length in [0, 1, 7, 8, 9, 63, 64, 65, 200] where start + length <= data.count {
            let slice = Array(data[start..<(start + length)])
            let crc = slice.withUnsafeBytes { ~CRC32C.tableUpdate(0xFFFF_FFFF, $0) }
            #expect(crc == bitwiseCRC32C(slice))
        }
    }
}
