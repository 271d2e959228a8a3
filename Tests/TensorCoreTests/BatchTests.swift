import SafeTensorsFormat
import TensorCore
import Testing

@Suite("Mini-batches") struct BatchTests {
    /// A dataset whose sample `i` has every pixel equal to `i`, so batches reveal their indices.
    private func indexedDataset(_ count: Int) throws -> Dataset {
        let images = (0..<count).flatMap { [Float](repeating: Float($0), count: 4) }
        return try Dataset(images: images, labels: (0..<count).map { Int32($0 % 3) }, sampleShape: [1, 2, 2], numClasses: 3)
    }

    /// All batches of one epoch, as sample indices read back from the pixels.
    private func epoch(_ batches: inout MiniBatches, _ number: Int) -> [[Int]] {
        var images = Tensor.zeros([1])
        var labels: [Int32] = []
        var result: [[Int]] = []
        batches.startEpoch(number)
        while let n = batches.next(into: &images, labels: &labels) {
            #expect(images.shape == [n, 1, 2, 2] && labels.count == n)
            let indices = (0..<n).map { Int(images.storage[$0 * 4]) }
            #expect((0..<n).allSatisfy { row in images.storage[row * 4..<row * 4 + 4].allSatisfy { $0 == Float(indices[row]) } })
            #expect(labels == indices.map { Int32($0 % 3) })
            result.append(indices)
        }
        return result
    }

    @Test("every index appears exactly once per epoch", arguments: [(23, 5, false), (23, 5, true), (20, 5, true), (3, 8, false)])
    func coversEveryIndex(count: Int, batchSize: Int, dropLast: Bool) throws {
        var batches = try MiniBatches(dataset: indexedDataset(count), batchSize: batchSize, dropLast: dropLast, seed: 42)
        for number in 0..<3 {
            let batchesOfEpoch = epoch(&batches, number)
            #expect(batchesOfEpoch.count == batches.batchesPerEpoch)
            #expect(batchesOfEpoch.dropLast().allSatisfy { $0.count == batchSize })
            let seen = batchesOfEpoch.flatMap { $0 }
            #expect(Set(seen).count == seen.count)
            if dropLast {
                #expect(seen.count == count / batchSize * batchSize)
            } else {
                #expect(seen.sorted() == Array(0..<count))
            }
        }
    }

    @Test("same seed and epoch give the same order; other seeds or epochs do not")
    func deterministic() throws {
        let dataset = try indexedDataset(50)
        var a = try MiniBatches(dataset: dataset, batchSize: 8, seed: 7)
        var b = try MiniBatches(dataset: dataset, batchSize: 8, seed: 7)
        var c = try MiniBatches(dataset: dataset, batchSize: 8, seed: 8)
        let a1 = epoch(&a, 1), a0 = epoch(&a, 0)
        #expect(epoch(&b, 0) == a0 && epoch(&b, 1) == a1)
        #expect(epoch(&a, 1) == a1, "order depends only on (seed, epoch)")
        #expect(a0 != a1)
        #expect(epoch(&c, 0) != a0)
        #expect(a0.flatMap { $0 } != Array(0..<50), "shuffled")
        let sampler = try BatchSampler(count: 50, batchSize: 8, seed: 7)
        #expect(sampler.order(epoch: 0) == a0.flatMap { $0 })
    }

    @Test("full batches reuse the caller's buffers")
    func reusesBuffers() throws {
        var batches = try MiniBatches(dataset: indexedDataset(40), batchSize: 10, seed: 1)
        var images = Tensor.zeros([10, 1, 2, 2])
        var labels: [Int32] = []
        labels.reserveCapacity(10)
        let imageBase = images.storage.withUnsafeBufferPointer { $0.baseAddress }
        let labelBase = labels.withUnsafeBufferPointer { $0.baseAddress }
        while batches.next(into: &images, labels: &labels) != nil {
            #expect(images.storage.withUnsafeBufferPointer { $0.baseAddress } == imageBase)
            #expect(labels.withUnsafeBufferPointer { $0.baseAddress } == labelBase)
        }
    }

    @Test("invalid batch sizes are rejected")
    func rejectsBadBatchSize() throws {
        #expect(throws: DataError.self) { try BatchSampler(count: 10, batchSize: 0, seed: 1) }
        #expect(throws: DataError.self) { try MiniBatches(dataset: indexedDataset(4), batchSize: -1, seed: 1) }
        var empty = try MiniBatches(dataset: indexedDataset(0), batchSize: 4, seed: 1)
        #expect(epoch(&empty, 0).isEmpty)
    }
}
