/// What `LoadGenerator` measured.
public struct LoadReport: Sendable, Codable {
    /// Simulated trainers started / registered and holding a model when measuring began.
    public var trainers: Int
    public var readyTrainers: Int
    /// Seconds measured.
    public var seconds: Double
    /// Updates handed to ZeroMQ, and those refused because the socket's queue was full.
    public var updatesSent: Int
    public var updatesBlocked: Int
    /// Model receipts (first receipt of a newer version by one trainer) while measuring.
    public var modelReceipts: Int
    /// Distinct broadcasts (version, publish time) received while measuring.
    public var broadcasts: Int
    /// Publish → receipt latency over all receipts, milliseconds: median and 99th percentile.
    public var receiptLatencyP50: Double
    public var receiptLatencyP99: Double
    /// Per broadcast, publish → receipt by the last trainer that got it, milliseconds.
    public var lastSubscriberLatencyP50: Double
    public var lastSubscriberLatencyP99: Double
    /// Mean fraction of the ready trainers that received each broadcast as their newest
    /// version (a trainer that already held a newer version, or whose queue was full, misses it).
    public var deliveredFraction: Double
    /// Receipts whose model carried no publish time (an aggregator older than this build).
    public var receiptsWithoutTimestamp: Int
    /// Trainers that received a stop broadcast.
    public var stoppedTrainers: Int
    /// Peak resident memory, bytes, of each watched process and of this one ("loadgen").
    public var peakResidentBytes: [String: Int]
    /// Resident memory, bytes, when every trainer was connected and ready, before any update
    /// was sent: the cost of the connections alone.
    public var readyResidentBytes: [String: Int]
    /// Open-file limit in force (soft).
    public var fileDescriptorLimit: UInt64

    /// Updates sent per second.
    public var updatesPerSecond: Double { seconds > 0 ? Double(updatesSent) / seconds : 0 }

    /// A few lines for people.
    public var summary: String {
        let memory = Self.mebibytes(peakResidentBytes)
        return """
            trainers \(readyTrainers)/\(trainers) ready, \(String(format: "%.1f", seconds)) s measured
            updates sent \(updatesSent) (\(String(format: "%.1f", updatesPerSecond))/s), blocked \(updatesBlocked)
            broadcasts \(broadcasts), receipts \(modelReceipts), delivered to \(String(format: "%.0f", 100 * deliveredFraction)) % of trainers
            publish → receipt ms p50 \(String(format: "%.1f", receiptLatencyP50)) p99 \(String(format: "%.1f", receiptLatencyP99)); \
            → last trainer p50 \(String(format: "%.1f", lastSubscriberLatencyP50)) p99 \(String(format: "%.1f", lastSubscriberLatencyP99))
            peak RSS: \(memory); when ready: \(Self.mebibytes(readyResidentBytes))
            """
    }

    private static func mebibytes(_ bytes: [String: Int]) -> String {
        bytes.sorted { $0.key < $1.key }
            .map { "\($0.key) \(String(format: "%.1f", Double($0.value) / 1_048_576)) MiB" }.joined(separator: ", ")
    }

    /// The `q`-quantile (0…1) of `values` by nearest rank; 0 for no values.
    static func quantile(_ values: [Double], _ q: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let rank = Int((q * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }
}
