import FedMQProtocol
import FedMQTrainer
import TensorCore
import Testing

/// 2 000 samples over 10 classes, class sizes 100…300.
private let labels: [Int32] = {
    var g = SeededGenerator(seed: 99)
    return (0..<2000).map { _ in Int32(g.next() % 10) }
}()

private func classCounts(_ shard: [Int]) -> [Int: Int] {
    shard.reduce(into: [:]) { $0[Int(labels[$1]), default: 0] += 1 }
}

@Test(arguments: ["iid", "dirichlet:0.1", "dirichlet:10", "labels:2", "quantity:0.5"])
func partitionsAreDeterministicDisjointAndNonEmpty(_ text: String) throws {
    let scheme = try PartitionScheme(parsing: text)
    let shards = try Partitioner.shards(8, labels: labels, scheme: scheme, seed: 5)
    #expect(shards.count == 8)
    #expect(shards.allSatisfy { !$0.isEmpty })
    let all = shards.flatMap { $0 }
    #expect(Set(all).count == all.count)  // disjoint
    #expect(all.allSatisfy { labels.indices.contains($0) })
    if text != "labels:2" { #expect(all.count == labels.count) }  // full coverage
    #expect(try Partitioner.shards(8, labels: labels, scheme: scheme, seed: 5) == shards)
    #expect(try Partitioner.shard(3, of: 8, labels: labels, scheme: scheme, seed: 5) == shards[3])
    if text != "labels:2" { #expect(try Partitioner.shards(8, labels: labels, scheme: scheme, seed: 6) != shards) }
}

@Test func labelSkewGrowsAsAlphaShrinks() throws {
    // Mean over shards of the largest class's share: ~0.1 for IID, near 1 for tiny α.
    func dominance(_ alpha: Double) throws -> Double {
        let shards = try Partitioner.shards(10, labels: labels, scheme: .dirichlet(alpha: alpha), seed: 1)
        return shards.map { Double(classCounts($0).values.max()!) / Double($0.count) }.reduce(0, +) / 10
    }
    let (sharp, medium, flat) = (try dominance(0.05), try dominance(1), try dominance(100))
    #expect(sharp > medium && medium > flat)
    #expect(flat < 0.2 && sharp > 0.6)
}

@Test func labelsKGivesExactlyKClassesPerShard() throws {
    for k in [1, 2, 3] {
        let shards = try Partitioner.shards(7, labels: labels, scheme: .labels(classesPerShard: k), seed: 3)
        #expect(shards.allSatisfy { classCounts($0).count == k })
    }
    #expect(throws: ConfigurationError.self) {
        try Partitioner.shards(4, labels: labels, scheme: .labels(classesPerShard: 11), seed: 3)
    }
}

@Test func quantitySkewShrinksWithBeta() throws {
    func spread(_ beta: Double) throws -> Int {
        let sizes = try Partitioner.shards(10, labels: labels, scheme: .quantity(beta: beta), seed: 2).map(\.count)
        return sizes.max()! - sizes.min()!
    }
    #expect(try spread(0.1) > spread(1000))
}

@Test func impossiblePartitionsAreRejected() {
    #expect(throws: ConfigurationError.self) { try Partitioner.shards(0, labels: labels, scheme: .iid, seed: 1) }
    #expect(throws: ConfigurationError.self) { try Partitioner.shards(5, labels: [0, 1, 2], scheme: .iid, seed: 1) }
    #expect(throws: ConfigurationError.self) { try Partitioner.shards(2, labels: [0, -1, 2], scheme: .iid, seed: 1) }
    #expect(throws: ConfigurationError.self) { try Partitioner.shard(9, of: 2, labels: labels, scheme: .iid, seed: 1) }
    for bad in ["dirichlet:0", "labels:1.5", "labels:0", "quantity", "noniid"] {
        #expect(throws: ConfigurationError.self) { try PartitionScheme(parsing: bad) }
    }
}

@Test func gammaSamplesHaveTheRightMean() {
    var g = SeededGenerator(seed: 11)
    for shape in [0.3, 1.0, 4.5] {
        let n = 20_000
        let mean = (0..<n).map { _ in GammaSampler.gamma(shape: shape, using: &g) }.reduce(0, +) / Double(n)
        #expect(abs(mean - shape) < 0.05 * shape + 0.02)  // E[Gamma(k,1)] = k
    }
}
