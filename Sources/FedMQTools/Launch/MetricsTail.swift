import FedMQAggregator
import Foundation

/// Follows a growing JSON-lines metrics file, returning only the records added since the
/// last call (a partly written last line waits for the next call).
public struct MetricsTail: Sendable {
    /// The file followed.
    public let path: String
    private var offset: UInt64 = 0
    private var pending: [UInt8] = []

    public init(path: String) { self.path = path }

    /// Records appended since the previous call; none if the file does not exist yet.
    public mutating func poll() -> [MetricsRecord] {
        guard let handle = FileHandle(forReadingAtPath: path) else { return [] }
        defer { try? handle.close() }
        guard (try? handle.seek(toOffset: offset)) != nil, let data = try? handle.readToEnd(), !data.isEmpty else { return [] }
        offset += UInt64(data.count)
        pending += data
        guard let lastNewline = pending.lastIndex(of: 0x0A) else { return [] }
        let complete = pending[...lastNewline]
        pending = Array(pending[(lastNewline + 1)...])
        let decoder = JSONDecoder()
        return complete.split(separator: 0x0A).compactMap { try? decoder.decode(MetricsRecord.self, from: Data($0)) }
    }
}
