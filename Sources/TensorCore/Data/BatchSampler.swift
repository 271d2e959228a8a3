/// Seeded shuffled mini-batch order over `count` samples.
///
/// Each epoch's order is a Fisher–Yates shuffle driven by `SeededGenerator(seed:).derived(epoch)`,
/// so it depends only on `(seed, epoch)`, never on what was sampled before.
public struct BatchSampler: Sendable, Equatable {
    /// Number of samples to draw from.
    public let count: Int
    /// Samples per batch (the last batch may be smaller unless `dropLast`).
    public let batchSize: Int
    /// Whether an incomplete final batch is skipped.
    public let dropLast: Bool
    /// Base seed of every epoch's shuffle.
    public let seed: UInt64

    /// `count ≥ 0` and `batchSize > 0` are required.
    public init(count: Int, batchSize: Int, dropLast: Bool = false, seed: UInt64) throws(DataError) {
        guard count >= 0, batchSize > 0 else {
            throw DataError(.badDimensions, "batch size \(batchSize) must be positive and sample count \(count) non-negative")
        }
        self.count = count
        self.batchSize = batchSize
        self.dropLast = dropLast
        self.seed = seed
    }

    /// Batches per epoch.
    public var batchesPerEpoch: Int {
        dropLast ? count / batchSize : (count + batchSize - 1) / batchSize
    }

    /// Overwrites `order` (resized to `count` if needed) with epoch `epoch`'s permutation of `0..<count`.
    public func shuffle(_ order: inout [Int], epoch: Int) {
        if order.count != count { order = Array(0..<count) } else {
            for i in 0..<count { order[i] = i }
        }
        var generator = SeededGenerator(seed: seed).derived(UInt64(truncatingIfNeeded: epoch))
        var i = count - 1
        while i > 0 {
            // Multiply-high maps 64 random bits to 0...i without division; bias ≤ 2^-32 here.
            let j = Int(generator.next().multipliedFullWidth(by: UInt64(i + 1)).high)
            order.swapAt(i, j)
            i -= 1
        }
    }

    /// Epoch `epoch`'s permutation of `0..<count`.
    public func order(epoch: Int) -> [Int] {
        var order: [Int] = []
        shuffle(&order, epoch: epoch)
        return order
    }

    /// Positions in the epoch order covered by batch `batch` (`0..<batchesPerEpoch`).
    public func range(ofBatch batch: Int) -> Range<Int> {
        precondition(batch >= 0 && batch < batchesPerEpoch, "batch \(batch) outside 0..<\(batchesPerEpoch)")
        return batch * batchSize..<min((batch + 1) * batchSize, count)
    }
}
