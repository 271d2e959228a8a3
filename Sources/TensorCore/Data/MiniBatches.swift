import SafeTensorsFormat

/// Iterates a dataset in seeded shuffled mini-batches, copying each batch into
/// caller-owned buffers so steady-state training allocates nothing per batch.
///
/// ```
/// var batches = try MiniBatches(dataset: train, batchSize: 64, seed: 7)
/// var x = Tensor.zeros([64, 1, 28, 28]); var y: [Int32] = []
/// batches.startEpoch(0)
/// while let n = batches.next(into: &x, labels: &y) { … }   // x: [n, 1, 28, 28], y: n labels
/// ```
public struct MiniBatches: Sendable {
    /// The samples drawn from.
    public let dataset: Dataset
    /// The shuffle and batch boundaries.
    public let sampler: BatchSampler
    private var order: [Int] = []
    private var nextBatch = 0

    public init(dataset: Dataset, batchSize: Int, dropLast: Bool = false, seed: UInt64) throws(DataError) {
        self.dataset = dataset
        self.sampler = try BatchSampler(count: dataset.count, batchSize: batchSize, dropLast: dropLast, seed: seed)
        startEpoch(0)
    }

    /// Batches per epoch.
    public var batchesPerEpoch: Int { sampler.batchesPerEpoch }

    /// Reshuffles for epoch `epoch` and rewinds to its first batch.
    public mutating func startEpoch(_ epoch: Int) {
        sampler.shuffle(&order, epoch: epoch)
        nextBatch = 0
    }

    /// Copies the next batch of the current epoch into `images` (`[n] + sampleShape`) and
    /// `labels` (`n` entries) and returns `n`, or returns nil when the epoch is exhausted.
    /// `images` is only reallocated when its shape differs from `[n] + sampleShape`.
    public mutating func next(into images: inout Tensor, labels: inout [Int32]) -> Int? {
        guard nextBatch < sampler.batchesPerEpoch else { return nil }
        let positions = sampler.range(ofBatch: nextBatch)
        nextBatch += 1
        let size = dataset.sampleSize
        if images.shape.first != positions.count || !images.shape.dropFirst().elementsEqual(dataset.sampleShape) {
            images = Tensor.zeros([positions.count] + dataset.sampleShape)
        }
        labels.removeAll(keepingCapacity: true)
        images.withUnsafeMutableBufferPointer { destination in
            dataset.images.withUnsafeBufferPointer { source in
                for (row, position) in positions.enumerated() {
                    let index = order[position]
                    (destination.baseAddress! + row * size).update(from: source.baseAddress! + index * size, count: size)
                    labels.append(dataset.labels[index])
                }
            }
        }
        return positions.count
    }
}
