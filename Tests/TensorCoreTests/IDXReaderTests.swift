import Foundation
import TensorCore
import Testing

@Suite("IDXReader") struct IDXReaderTests {
    private typealias S = IDXTestSupport

    @Test("plain and gzip IDX files read back exactly", arguments: [false, true])
    func roundTrip(gzip: Bool) throws {
        let directory = try S.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // 70 000 pixel bytes span two stored deflate blocks.
        let pixels = S.randomBytes(50 * 40 * 35, seed: 1)
        let labels = S.randomBytes(50, seed: 2).map { $0 % 10 }
        let wrap = { (bytes: [UInt8]) in gzip ? S.gzip(bytes) : bytes }
        try S.write(wrap(S.idx(dims: [50, 40, 35], data: pixels)), to: directory + "/images")
        try S.write(wrap(S.idx(dims: [50], data: labels)), to: directory + "/labels")

        let images = try IDXReader.readImages(path: directory + "/images")
        #expect(images.count == 50 && images.rows == 40 && images.columns == 35)
        #expect(images.pixels == pixels)
        #expect(try IDXReader.readLabels(path: directory + "/labels") == labels)
    }

    @Test("wrong magic, truncation, trailing bytes, corrupt gzip and missing files are errors")
    func rejectsBadFiles() throws {
        let directory = try S.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let good = S.idx(dims: [4, 3, 3], data: S.randomBytes(36, seed: 3))
        let gz = S.gzip(good)
        var badCRC = gz
        badCRC[badCRC.count - 6] ^= 0xFF
        let cases: [(String, [UInt8], DataError.Code)] = [
            ("labels-as-images", S.idx(dims: [4], data: [1, 2, 3, 4]), .badMagic),
            ("float-type", [0, 0, 0x0D, 3] + good.dropFirst(4), .badMagic),
            ("short-header", Array(good.prefix(10)), .truncated),
            ("empty", [], .truncated),
            ("short-data", Array(good.dropLast(5)), .truncated),
            ("huge-extents", S.idx(dims: [0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF], data: []), .badDimensions),
            ("trailing-bytes", good + [9, 9], .badDimensions),
            ("gzip-bad-crc", badCRC, .corrupt),
            ("gzip-cut", Array(gz.prefix(gz.count / 2)), .corrupt),
            ("gzip-garbage", [0x1F, 0x8B, 0x08, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], .corrupt),
        ]
        for (name, bytes, code) in cases {
            let path = directory + "/" + name
            try S.write(bytes, to: path)
            let error = #expect(throws: DataError.self, "\(name)") { try IDXReader.readImages(path: path) }
            #expect(error?.code == code, "\(name): \(String(describing: error))")
        }
        let missing = #expect(throws: DataError.self) { try IDXReader.readLabels(path: directory + "/absent") }
        #expect(missing?.code == .io)
    }
}
