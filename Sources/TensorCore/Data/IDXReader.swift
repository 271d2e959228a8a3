/// Reads IDX files (the MNIST format), gzip-compressed or plain: a big-endian magic
/// `0x00 0x00 0x08 rank` (unsigned bytes), `rank` big-endian UInt32 extents, then the bytes.
public enum IDXReader {
    /// Magic of an image file: unsigned bytes, rank 3 (`count × rows × columns`).
    public static let imageMagic: UInt32 = 0x0000_0803
    /// Magic of a label file: unsigned bytes, rank 1 (`count`).
    public static let labelMagic: UInt32 = 0x0000_0801

    /// Images as `count × rows × columns` bytes, row-major.
    public struct Images: Sendable, Equatable {
        public let count: Int
        public let rows: Int
        public let columns: Int
        public let pixels: [UInt8]
    }

    /// Reads an image file (magic 0x00000803).
    public static func readImages(path: String) throws(DataError) -> Images {
        let (dims, payload) = try read(path: path, magic: imageMagic)
        return Images(count: dims[0], rows: dims[1], columns: dims[2], pixels: payload)
    }

    /// Reads a label file (magic 0x00000801); one byte per label.
    public static func readLabels(path: String) throws(DataError) -> [UInt8] {
        try read(path: path, magic: labelMagic).payload
    }

    /// Reads a file with the given magic and returns its extents and data bytes.
    static func read(path: String, magic: UInt32) throws(DataError) -> (dims: [Int], payload: [UInt8]) {
        let bytes = try CompressedFile.read(path)
        guard bytes.count >= 4 else {
            throw DataError(.truncated, "\(path) has \(bytes.count) bytes, too few for an IDX magic number")
        }
        let found = bigEndianUInt32(bytes, at: 0)
        guard found == magic else {
            throw DataError(.badMagic, "\(path) starts with magic 0x\(hex(found)), expected 0x\(hex(magic))")
        }
        let rank = Int(magic & 0xFF)
        let headerLength = 4 + 4 * rank
        guard bytes.count >= headerLength else {
            throw DataError(.truncated, "\(path) has \(bytes.count) bytes, shorter than its \(headerLength)-byte IDX header")
        }
        let dims = (0..<rank).map { Int(bigEndianUInt32(bytes, at: 4 + 4 * $0)) }
        // Each extent < 2^32, so the product of at most three fits in Int only if checked.
        var expected = 1
        for extent in dims {
            let (product, overflow) = expected.multipliedReportingOverflow(by: extent)
            guard !overflow else { throw DataError(.badDimensions, "\(path) has extents \(dims) too large") }
            expected = product
        }
        let available = bytes.count - headerLength
        guard available >= expected else {
            throw DataError(.truncated, "\(path) extents \(dims) need \(expected) bytes, only \(available) present")
        }
        guard available == expected else {
            throw DataError(.badDimensions, "\(path) has \(available - expected) bytes beyond extents \(dims)")
        }
        return (dims, Array(bytes[headerLength...]))
    }

    private static func bigEndianUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        bytes[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }
}
