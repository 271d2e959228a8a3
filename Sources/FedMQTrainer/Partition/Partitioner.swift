import FedMQProtocol
import TensorCore

/// Splits sample indices into shards, deterministically from (seed, scheme, shard count).
///
/// Every sample goes to at most one shard (`labels:k` may leave classes unused), and no
/// shard is empty; impossible requests (more shards than samples, k above the number of
/// classes, negative labels) throw a `ConfigurationError`.
public enum Partitioner {
    /// The sample indices (ascending) of shard `index` of `shardCount`.
    public static func shard(
        _ index: Int, of shardCount: Int, labels: [Int32], scheme: PartitionScheme, seed: UInt64
    ) throws(ConfigurationError) -> [Int] {
        guard (0..<shardCount).contains(index) else {
            throw ConfigurationError("shard index \(index) outside 0..<\(shardCount)")
        }
        return try shards(shardCount, labels: labels, scheme: scheme, seed: seed)[index]
    }

    /// All `shardCount` shards, each a list of ascending sample indices.
    public static func shards(
        _ shardCount: Int, labels: [Int32], scheme: PartitionScheme, seed: UInt64
    ) throws(ConfigurationError) -> [[Int]] {
        guard shardCount >= 1 else { throw ConfigurationError("shard count \(shardCount) must be at least 1") }
        guard labels.count >= shardCount else {
            throw ConfigurationError("\(labels.count) samples cannot fill \(shardCount) non-empty shards")
        }
        guard labels.allSatisfy({ $0 >= 0 }) else { throw ConfigurationError("labels must be non-negative") }
        var g = SeededGenerator(seed: seed).derived(UInt64(shardCount))
        var out: [[Int]]
        switch scheme {
        case .iid:
            out = split(shuffled(Array(labels.indices), &g), sizes: equalSizes(labels.count, shardCount))
        case .quantity(let beta):
            let p = GammaSampler.dirichlet(alpha: beta, count: shardCount, using: &g)
            out = split(shuffled(Array(labels.indices), &g), sizes: proportionalSizes(p, total: labels.count))
        case .dirichlet(let alpha):
            out = [[Int]](repeating: [], count: shardCount)
            for members in classMembers(labels) {
                let p = GammaSampler.dirichlet(alpha: alpha, count: shardCount, using: &g)
                let pieces = split(shuffled(members, &g), sizes: roundedSizes(p, total: members.count))
                for s in 0..<shardCount { out[s] += pieces[s] }
            }
            fillEmptyShards(&out)
        case .labels(let k):
            out = try labelShards(labels, k: k, shardCount: shardCount, &g)
        }
        return out.map { $0.sorted() }
    }

    // MARK: Schemes

    private static func labelShards(
        _ labels: [Int32], k: Int, shardCount: Int, _ g: inout SeededGenerator
    ) throws(ConfigurationError) -> [[Int]] {
        let members = classMembers(labels)
        try PartitionScheme.labels(classesPerShard: k).check(classCount: members.count, source: "the data")
        let order = shuffled(Array(members.indices), &g)
        var holders = [[Int]](repeating: [], count: members.count)
        for s in 0..<shardCount {
            for j in 0..<k { holders[order[(s * k + j) % members.count]].append(s) }
        }
        var out = [[Int]](repeating: [], count: shardCount)
        for (c, shards) in holders.enumerated() where !shards.isEmpty {
            guard members[c].count >= shards.count else {
                throw ConfigurationError("a class has \(members[c].count) samples for \(shards.count) shards (labels:\(k))")
            }
            let pieces = split(shuffled(members[c], &g), sizes: equalSizes(members[c].count, shards.count))
            for (piece, s) in zip(pieces, shards) { out[s] += piece }
        }
        return out
    }

    /// Indices of each distinct label, labels in ascending order.
    private static func classMembers(_ labels: [Int32]) -> [[Int]] {
        var byLabel: [Int32: [Int]] = [:]
        for (i, l) in labels.enumerated() { byLabel[l, default: []].append(i) }
        return byLabel.keys.sorted().map { byLabel[$0]! }
    }

    // MARK: Helpers

    private static func shuffled(_ xs: [Int], _ g: inout SeededGenerator) -> [Int] {
        var a = xs
        if a.count > 1 {
            for i in stride(from: a.count - 1, to: 0, by: -1) {
                a.swapAt(i, Int(g.next() % UInt64(i + 1)))
            }
        }
        return a
    }

    private static func split(_ xs: [Int], sizes: [Int]) -> [[Int]] {
        var start = 0
        return sizes.map { n in
            defer { start += n }
            return Array(xs[start..<(start + n)])
        }
    }

    private static func equalSizes(_ total: Int, _ parts: Int) -> [Int] {
        (0..<parts).map { total / parts + ($0 < total % parts ? 1 : 0) }
    }

    /// Sizes from cumulative proportions rounded to whole samples (may be zero).
    private static func roundedSizes(_ p: [Double], total: Int) -> [Int] {
        var cumulative = 0.0, previous = 0
        return p.indices.map { i in
            cumulative += p[i]
            let edge = i == p.count - 1 ? total : min(total, Int((cumulative * Double(total)).rounded()))
            defer { previous = max(previous, edge) }
            return max(0, edge - previous)
        }
    }

    /// Sizes ≥ 1 summing to `total`: one each, the rest by proportion.
    private static func proportionalSizes(_ p: [Double], total: Int) -> [Int] {
        roundedSizes(p, total: total - p.count).map { $0 + 1 }
    }

    /// Moves one sample from the largest shard into each empty one.
    private static func fillEmptyShards(_ shards: inout [[Int]]) {
        for s in shards.indices where shards[s].isEmpty {
            let donor = shards.indices.max { shards[$0].count < shards[$1].count }!
            shards[s].append(shards[donor].removeLast())
        }
    }
}
