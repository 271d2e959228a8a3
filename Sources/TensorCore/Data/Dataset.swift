#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A labelled image classification dataset held in memory.
///
/// Sample `i` occupies `images[i * sampleSize ..< (i + 1) * sampleSize]`, row-major in
/// `sampleShape` (`[channels, height, width]`, e.g. `[1, 28, 28]`); its class is `labels[i]`.
public struct Dataset: Sendable, Equatable {
    /// Shape of one sample, `[channels, height, width]`.
    public let sampleShape: [Int]
    /// `count × sampleSize` pixel values, already normalised as requested at load time.
    public let images: [Float]
    /// One class index in `0..<numClasses` per sample.
    public let labels: [Int32]
    /// Number of classes.
    public let numClasses: Int

    /// Number of samples.
    public var count: Int { labels.count }
    /// Scalars per sample (784 for 28×28 greyscale).
    public var sampleSize: Int { sampleShape.reduce(1, *) }

    /// Validates and wraps the arrays: `images.count == labels.count × sampleSize` and every
    /// label in `0..<numClasses`.
    public init(images: [Float], labels: [Int32], sampleShape: [Int] = [1, 28, 28], numClasses: Int = 10) throws(DataError) {
        guard !sampleShape.isEmpty, sampleShape.allSatisfy({ $0 > 0 }), numClasses > 0 else {
            throw DataError(.badDimensions, "sample shape \(sampleShape) or class count \(numClasses) is not positive")
        }
        let sampleSize = sampleShape.reduce(1, *)
        guard images.count == labels.count * sampleSize else {
            throw DataError(.mismatch, "\(images.count) pixel values do not make \(labels.count) samples of \(sampleShape)")
        }
        if let bad = labels.firstIndex(where: { $0 < 0 || Int($0) >= numClasses }) {
            throw DataError(.mismatch, "label \(labels[bad]) of sample \(bad) is outside 0..<\(numClasses)")
        }
        self.init(validatedImages: images, labels: labels, sampleShape: sampleShape, numClasses: numClasses)
    }

    private init(validatedImages images: [Float], labels: [Int32], sampleShape: [Int], numClasses: Int) {
        self.images = images
        self.labels = labels
        self.sampleShape = sampleShape
        self.numClasses = numClasses
    }

    /// The samples at `indices`, in that order (repeats allowed). Indices must be in `0..<count`.
    public func subset(_ indices: [Int]) -> Dataset {
        let size = sampleSize
        let pixels = [Float](unsafeUninitializedCapacity: indices.count * size) { buffer, initialized in
            images.withUnsafeBufferPointer { source in
                for (row, index) in indices.enumerated() {
                    precondition(index >= 0 && index < count, "subset index \(index) outside 0..<\(count)")
                    (buffer.baseAddress! + row * size).update(from: source.baseAddress! + index * size, count: size)
                }
            }
            initialized = indices.count * size
        }
        return Dataset(validatedImages: pixels, labels: indices.map { labels[$0] },
                       sampleShape: sampleShape, numClasses: numClasses)
    }

    /// Loads an image IDX file and a label IDX file (gzip or plain) of equal count.
    /// Pixels are normalised with `normalization`, or kept as raw 0...255 values when nil.
    public static func loadIDX(imagesPath: String, labelsPath: String, normalization: Normalization? = .fashionMNIST,
                               numClasses: Int = 10) throws(DataError) -> Dataset {
        let images = try IDXReader.readImages(path: imagesPath)
        let labels = try IDXReader.readLabels(path: labelsPath)
        guard images.count == labels.count else {
            throw DataError(.mismatch, "\(imagesPath) has \(images.count) images but \(labelsPath) has \(labels.count) labels")
        }
        guard images.rows > 0, images.columns > 0 else {
            throw DataError(.badDimensions, "\(imagesPath) has \(images.rows)×\(images.columns) images")
        }
        let pixels = scaled(images.pixels, normalization)
        return try Dataset(images: pixels, labels: labels.map(Int32.init),
                           sampleShape: [1, images.rows, images.columns], numClasses: numClasses)
    }

    /// Loads `split` from a directory in the MNIST layout (`train-images-idx3-ubyte`,
    /// `train-labels-idx1-ubyte`, `t10k-…`, each optionally `.gz`).
    public static func loadIDX(directory: String, split: DatasetSplit, normalization: Normalization? = .fashionMNIST,
                               numClasses: Int = 10) throws(DataError) -> Dataset {
        let images = try locate(directory, "\(split.filePrefix)-images-idx3-ubyte")
        let labels = try locate(directory, "\(split.filePrefix)-labels-idx1-ubyte")
        return try loadIDX(imagesPath: images, labelsPath: labels, normalization: normalization, numClasses: numClasses)
    }

    /// `pixels` mapped through `normalization` (kept as 0...255 when nil), via a 256-entry table.
    private static func scaled(_ pixels: [UInt8], _ normalization: Normalization?) -> [Float] {
        let table = (0...255).map { normalization?.apply(Float($0)) ?? Float($0) }
        return [Float](unsafeUninitializedCapacity: pixels.count) { buffer, initialized in
            pixels.withUnsafeBufferPointer { source in
                table.withUnsafeBufferPointer { table in
                    // Raw pointers keep this loop fast in unoptimised builds too.
                    guard let from = source.baseAddress, let to = buffer.baseAddress, let lookup = table.baseAddress
                    else { return }
                    for i in 0..<source.count { to[i] = lookup[Int(from[i])] }
                }
            }
            initialized = pixels.count
        }
    }

    /// `directory/name.gz` if it exists, else `directory/name` if it exists.
    private static func locate(_ directory: String, _ name: String) throws(DataError) -> String {
        let base = directory.hasSuffix("/") ? directory + name : directory + "/" + name
        for candidate in [base + ".gz", base] where access(candidate, R_OK) == 0 {
            return candidate
        }
        throw DataError(.io, "neither \(base).gz nor \(base) is readable")
    }
}
