import Foundation
import TensorCore
import Testing
import VectorKernels

@Suite("Dataset") struct DatasetTests {
    private typealias S = IDXTestSupport

    /// Writes an MNIST-layout `split` of `count` random 28×28 images into `directory`.
    private func writeSplit(_ directory: String, prefix: String, count: Int, gzip: Bool,
                            seed: UInt64) throws -> (pixels: [UInt8], labels: [UInt8]) {
        let pixels = S.randomBytes(count * 784, seed: seed)
        let labels = S.randomBytes(count, seed: seed + 1).map { $0 % 10 }
        let suffix = gzip ? ".gz" : ""
        let wrap = { (bytes: [UInt8]) in gzip ? S.gzip(bytes) : bytes }
        try S.write(wrap(S.idx(dims: [count, 28, 28], data: pixels)), to: "\(directory)/\(prefix)-images-idx3-ubyte\(suffix)")
        try S.write(wrap(S.idx(dims: [count], data: labels)), to: "\(directory)/\(prefix)-labels-idx1-ubyte\(suffix)")
        return (pixels, labels)
    }

    @Test("an MNIST-layout directory loads both splits, normalised as asked")
    func loadsDirectory() throws {
        let directory = try S.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let train = try writeSplit(directory, prefix: "train", count: 12, gzip: true, seed: 10)
        let test = try writeSplit(directory, prefix: "t10k", count: 5, gzip: false, seed: 20)

        let fashion = try FashionMNIST.load(split: .train, directory: directory)
        #expect(fashion.count == 12 && fashion.sampleShape == [1, 28, 28] && fashion.numClasses == 10)
        #expect(fashion.labels == train.labels.map(Int32.init))
        let expected = train.pixels.map { (Float($0) / 255 - 0.2860) / 0.3530 }
        #expect(zip(fashion.images, expected).allSatisfy { abs($0 - $1) < 1e-5 })

        let unit = try FashionMNIST.load(split: .test, directory: directory, normalize: false)
        #expect(unit.count == 5 && unit.labels == test.labels.map(Int32.init))
        #expect(zip(unit.images, test.pixels).allSatisfy { abs($0 - Float($1) / 255) < 1e-6 })

        let raw = try Dataset.loadIDX(directory: directory, split: .test, normalization: nil)
        #expect(raw.images == test.pixels.map(Float.init))
        let mnist = try Dataset.loadIDX(directory: directory, split: .test, normalization: .mnist)
        #expect(abs(mnist.images[0] - (Float(test.pixels[0]) / 255 - 0.1307) / 0.3081) < 1e-5)

        let missing = #expect(throws: DataError.self) { try FashionMNIST.load(split: .train, directory: directory + "/nope") }
        #expect(missing?.code == .io)
    }

    @Test("image/label count mismatch and out-of-range labels are rejected")
    func rejectsInconsistentFiles() throws {
        let directory = try S.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try S.write(S.idx(dims: [3, 28, 28], data: S.randomBytes(3 * 784, seed: 1)), to: directory + "/i")
        try S.write(S.idx(dims: [2], data: [0, 1]), to: directory + "/l2")
        try S.write(S.idx(dims: [3], data: [0, 10, 1]), to: directory + "/l3")
        let count = #expect(throws: DataError.self) { try Dataset.loadIDX(imagesPath: directory + "/i", labelsPath: directory + "/l2") }
        #expect(count?.code == .mismatch)
        let label = #expect(throws: DataError.self) { try Dataset.loadIDX(imagesPath: directory + "/i", labelsPath: directory + "/l3") }
        #expect(label?.code == .mismatch && label?.message.contains("10") == true)
        #expect(throws: DataError.self) { try Dataset(images: [0, 1, 2], labels: [0], sampleShape: [1, 2, 2]) }
        #expect(throws: DataError.self) { try Dataset(images: [], labels: [], sampleShape: [0, 2]) }
    }

    @Test("subset copies the chosen samples in order")
    func subset() throws {
        let images = (0..<5 * 4).map(Float.init)
        let dataset = try Dataset(images: images, labels: [0, 1, 2, 3, 4], sampleShape: [1, 2, 2], numClasses: 5)
        let picked = dataset.subset([3, 0, 3])
        #expect(picked.count == 3 && picked.sampleShape == [1, 2, 2] && picked.numClasses == 5)
        #expect(picked.labels == [3, 0, 3])
        #expect(picked.images == [12, 13, 14, 15, 0, 1, 2, 3, 12, 13, 14, 15])
        #expect(dataset.subset([]).count == 0)
    }

    @Test("CSV datasets load with optional header, CRLF and blank lines; bad lines are rejected")
    func csv() throws {
        let directory = try S.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/data.csv"
        try S.write(Array("label,p0,p1,p2,p3\r\n2,0,255,51,102.0\r\n\n0, 1,2 ,3,4\n".utf8), to: path)
        let raw = try Dataset.loadCSV(path: path, sampleShape: [1, 2, 2], numClasses: 3, normalization: nil)
        #expect(raw.labels == [2, 0])
        #expect(raw.images == [0, 255, 51, 102, 1, 2, 3, 4])
        let normalised = try Dataset.loadCSV(path: path, sampleShape: [1, 2, 2], numClasses: 3)
        #expect(abs(normalised.images[1] - (1 - 0.2860) / 0.3530) < 1e-5)
        try S.write(S.gzip(Array("1,1,2,3,4\n".utf8)), to: path + ".gz")
        #expect(try Dataset.loadCSV(path: path + ".gz", sampleShape: [1, 2, 2], numClasses: 3).labels == [1])

        let bad = ["1,2,3\n", "3,0,0,0,0\n", "1.5,0,0,0,0\n", "1,0,0,0,256\n", "1,0,x,0,0\n", "0,0,0,0,0\nfoo,0,0,0,0\n",
                   "1,0,0,nan,0\n", "1,0,,0,0\n"]
        for text in bad {
            try S.write(Array(text.utf8), to: path)
            let error = #expect(throws: DataError.self, "\(text)") {
                try Dataset.loadCSV(path: path, sampleShape: [1, 2, 2], numClasses: 3)
            }
            #expect(error?.code == .invalidCSV, "\(text): \(String(describing: error))")
        }
    }

    @Test("the installed Fashion-MNIST loads: 60000/10000 samples, labels 0–9, mean ≈ 0, std ≈ 1",
          .enabled(if: FileManager.default.fileExists(atPath: FashionMNIST.defaultDirectory + "/t10k-labels-idx1-ubyte.gz"),
                   "Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)"))
    func realFashionMNIST() throws {
        let test = try FashionMNIST.load(split: .test)
        #expect(test.count == 10_000 && test.images.count == 10_000 * 784)
        let train = try FashionMNIST.load(split: .train)
        #expect(train.count == 60_000 && train.sampleShape == [1, 28, 28])
        for dataset in [train, test] {
            var perClass = [Int](repeating: 0, count: 10)
            for label in dataset.labels { perClass[Int(label)] += 1 }
            #expect(perClass == [Int](repeating: dataset.count / 10, count: 10))
        }
        let n = Double(train.images.count)
        let mean = Double(train.images.withUnsafeBufferPointer { VectorMath.sum($0.baseAddress!, count: $0.count) }) / n
        let meanSquare = Double(VectorMath.sumOfSquares(train.images)) / n
        #expect(abs(mean) < 0.01, "mean \(mean)")
        #expect(abs((meanSquare - mean * mean).squareRoot() - 1) < 0.01, "std")
    }
}
