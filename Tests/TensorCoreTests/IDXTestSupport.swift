import Foundation
import TensorCore

/// Helpers shared by the data tests: IDX byte images and gzip framing built by hand,
/// so tests need neither external tools nor a zlib import.
enum IDXTestSupport {
    /// A fresh temporary directory; the caller removes it.
    static func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("idx-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// An IDX file of unsigned bytes: magic `0x0000 08 rank`, big-endian extents, data.
    static func idx(dims: [Int], data: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = [0, 0, 0x08, UInt8(dims.count)]
        for d in dims { bytes += withUnsafeBytes(of: UInt32(d).bigEndian) { Array($0) } }
        return bytes + data
    }

    /// A valid gzip member holding `data` in stored (uncompressed) deflate blocks.
    static func gzip(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x1F, 0x8B, 0x08, 0, 0, 0, 0, 0, 0, 0xFF]
        var start = 0
        repeat {
            let end = min(start + 65_535, data.count)
            let length = UInt16(end - start)
            out.append(end == data.count ? 1 : 0)
            out += withUnsafeBytes(of: length.littleEndian) { Array($0) }
            out += withUnsafeBytes(of: (~length).littleEndian) { Array($0) }
            out += data[start..<end]
            start = end
        } while start < data.count
        out += withUnsafeBytes(of: crc32(data).littleEndian) { Array($0) }
        out += withUnsafeBytes(of: UInt32(truncatingIfNeeded: data.count).littleEndian) { Array($0) }
        return out
    }

    /// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320).
    static func crc32(_ data: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    /// Seeded pseudo-random bytes.
    static func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var g = SeededGenerator(seed: seed)
        return (0..<count).map { _ in UInt8(truncatingIfNeeded: g.next() >> 56) }
    }
}

