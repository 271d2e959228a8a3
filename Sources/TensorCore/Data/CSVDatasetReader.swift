/// Reads user datasets stored as CSV (optionally gzip-compressed): one sample per line,
/// `label,p0,p1,…,pN` with pixels in 0...255; an optional first header line
/// (e.g. `label,pixel0,…`) is skipped; blank lines are ignored.
enum CSVDatasetReader {
    static func read(path: String, sampleShape: [Int], numClasses: Int,
                     normalization: Normalization?) throws(DataError) -> Dataset {
        let bytes = try CompressedFile.read(path)
        let sampleSize = sampleShape.reduce(1, *)
        var images: [Float] = []
        var labels: [Int32] = []
        var lineNumber = 0
        var lineStart = 0
        while lineStart < bytes.count {
            let lineEnd = bytes[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            lineNumber += 1
            var fields = bytes[lineStart..<lineEnd].split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
            lineStart = lineEnd + 1
            if let last = fields.last, last.last == UInt8(ascii: "\r") { fields[fields.count - 1] = last.dropLast() }
            if fields.count == 1 && fields[0].allSatisfy({ $0 == UInt8(ascii: " ") }) { continue }
            if lineNumber == 1, let first = fields.first, number(first) == nil { continue }
            let where_ = "\(path) line \(lineNumber)"
            guard fields.count == 1 + sampleSize else {
                throw DataError(.invalidCSV, "\(where_) has \(fields.count) fields, expected a label and \(sampleSize) pixels")
            }
            guard let label = number(fields[0]), label == label.rounded(), label >= 0, label < Float(numClasses) else {
                throw DataError(.invalidCSV, "\(where_): label is not an integer in 0..<\(numClasses)")
            }
            labels.append(Int32(label))
            for (column, field) in fields.dropFirst().enumerated() {
                guard let pixel = number(field), pixel >= 0, pixel <= 255 else {
                    throw DataError(.invalidCSV, "\(where_) pixel \(column): not a number in 0...255")
                }
                images.append(normalization?.apply(pixel) ?? pixel)
            }
        }
        return try Dataset(images: images, labels: labels, sampleShape: sampleShape, numClasses: numClasses)
    }

    /// The finite number in `field` (surrounding spaces allowed), or nil.
    private static func number(_ field: ArraySlice<UInt8>) -> Float? {
        let trimmed = field.drop { $0 == UInt8(ascii: " ") }.reversed().drop { $0 == UInt8(ascii: " ") }.reversed()
        guard !trimmed.isEmpty else { return nil }
        if trimmed.count <= 9, trimmed.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
            return Float(trimmed.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) })
        }
        guard let value = Float(String(decoding: trimmed, as: UTF8.self)), value.isFinite else { return nil }
        return value
    }
}

extension Dataset {
    /// Loads a CSV dataset (see `CSVDatasetReader`): `label,p0,…` per line, pixels 0...255,
    /// normalised with `normalization` (raw values when nil).
    public static func loadCSV(path: String, sampleShape: [Int] = [1, 28, 28], numClasses: Int = 10,
                               normalization: Normalization? = .fashionMNIST) throws(DataError) -> Dataset {
        guard !sampleShape.isEmpty, sampleShape.allSatisfy({ $0 > 0 }) else {
            throw DataError(.badDimensions, "sample shape \(sampleShape) is not positive")
        }
        return try CSVDatasetReader.read(path: path, sampleShape: sampleShape, numClasses: numClasses,
                                         normalization: normalization)
    }
}
