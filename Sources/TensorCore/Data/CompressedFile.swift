import CZlib

/// Reads whole files through zlib, which inflates gzip files and passes plain files through.
enum CompressedFile {
    /// Every (decompressed) byte of the file at `path`.
    static func read(_ path: String) throws(DataError) -> [UInt8] {
        guard let file = gzopen(path, "rb") else {
            throw DataError(.io, "cannot open \(path)")
        }
        defer { gzclose_r(file) }
        gzbuffer(file, 1 << 17)
        // Grow a raw buffer geometrically; copy into an Array once at the end.
        var capacity = 1 << 16
        var length = 0
        var buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            if length == capacity {
                let larger = UnsafeMutableRawPointer.allocate(byteCount: capacity * 2, alignment: 16)
                larger.copyMemory(from: buffer, byteCount: length)
                buffer.deallocate()
                buffer = larger
                capacity *= 2
            }
            let request = UInt32(min(capacity - length, 1 << 30))
            let got = gzread(file, buffer + length, request)
            guard got >= 0 else { throw corruption(file, path) }
            if got == 0 { break }
            length += Int(got)
        }
        var status: Int32 = 0
        _ = gzerror(file, &status)
        guard status == Z_OK || status == Z_STREAM_END else { throw corruption(file, path) }
        let source = buffer
        return [UInt8](unsafeUninitializedCapacity: length) { destination, initialized in
            if length > 0 { UnsafeMutableRawPointer(destination.baseAddress!).copyMemory(from: source, byteCount: length) }
            initialized = length
        }
    }

    private static func corruption(_ file: gzFile, _ path: String) -> DataError {
        var status: Int32 = 0
        let message = gzerror(file, &status).map { String(cString: $0) } ?? "unknown error"
        if status == Z_ERRNO { return DataError(.io, "reading \(path) failed") }
        return DataError(.corrupt, "\(path) is not a valid gzip stream: \(message)")
    }
}
