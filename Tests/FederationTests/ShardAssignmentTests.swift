import FedMQProtocol
import FedMQTrainer
import Foundation
import TensorCore
import Testing

/// 1 000 samples over 10 classes.
private let labels: [Int32] = {
    var g = SeededGenerator(seed: 42)
    return (0..<1000).map { _ in Int32(g.next() % 10) }
}()

@Test(arguments: ["iid", "dirichlet:0.5"])
func shardAssignmentHoldsTheTrainersShards(_ partition: String) throws {
    let scheme = try PartitionScheme(parsing: partition)
    let assignment = try ShardAssignment(labels: labels, partition: scheme, shardCount: 8, seed: 3)
    #expect(assignment.shards == (try Partitioner.shards(8, labels: labels, scheme: scheme, seed: 3)))
    // What a trainer registered on shard 5 trains on.
    #expect(assignment.shards[5] == (try Partitioner.shard(5, of: 8, labels: labels, scheme: scheme, seed: 3)))
    #expect(assignment.sampleCount == labels.count)
    #expect(assignment.partition == scheme.description)
}

@Test func shardAssignmentJSONRoundTripsWithTheDocumentedKeys() throws {
    let assignment = try ShardAssignment(labels: labels, partition: .iid, shardCount: 4, seed: 9)
    let json = try assignment.json()
    #expect(try ShardAssignment(json: json) == assignment)
    let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
    #expect(Set(object.keys) == ["partition", "seed", "sampleCount", "shards"])
    #expect((object["shards"] as? [[Int]])?.count == 4)
    #expect(object["seed"] as? Int == 9)
}

@Test func shardAssignmentRejectsBadPartitions() {
    #expect(throws: ConfigurationError.self) { try ShardAssignment(labels: labels, partition: .labels(classesPerShard: 0), shardCount: 4, seed: 0) }
    #expect(throws: ConfigurationError.self) { try ShardAssignment(labels: [0, 1], partition: .iid, shardCount: 4, seed: 0) }
}
