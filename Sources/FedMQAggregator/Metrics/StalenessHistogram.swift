/// Counts of accepted updates by staleness, with a running mean.
public struct StalenessHistogram: Sendable, Codable, Equatable {
    /// Bucket i counts staleness i; the last bucket counts everything ≥ its index.
    public private(set) var buckets: [UInt64]
    public private(set) var total: UInt64 = 0
    private var sum: Double = 0

    /// A histogram with `bucketCount` buckets (≥ 1).
    public init(bucketCount: Int = 32) {
        buckets = [UInt64](repeating: 0, count: max(1, bucketCount))
    }

    public mutating func record(_ staleness: UInt64) {
        buckets[Int(min(staleness, UInt64(buckets.count - 1)))] += 1
        total += 1
        sum += Double(staleness)
    }

    /// Mean staleness (0 when empty).
    public var mean: Double { total == 0 ? 0 : sum / Double(total) }
}
