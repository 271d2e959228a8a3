import FedMQProtocol
import Foundation

/// The shards of one partition, as written by `fedmq shards` for peers (e.g. the Flower
/// benchmark) that must train on exactly the samples FedMQ's trainers get.
///
/// JSON form: `{"partition": "iid", "seed": 0, "sampleCount": 60000, "shards": [[0, 5, …], …]}`;
/// `shards[i]` lists the ascending sample indices of shard `i` (the shard index a trainer
/// receives at registration), indices into the training split in file order.
public struct ShardAssignment: Sendable, Codable, Equatable {
    /// The partition scheme, as given to `--partition` (e.g. `iid`, `dirichlet:0.5`).
    public var partition: String
    /// The seed the aggregator hands out at registration (`fedmq run --seed`).
    public var seed: UInt64
    /// Samples in the data set that was partitioned.
    public var sampleCount: Int
    /// Sample indices of each shard, ascending.
    public var shards: [[Int]]

    /// Partitions `labels` exactly as trainers do after registering with `shardCount` shards.
    public init(labels: [Int32], partition scheme: PartitionScheme, shardCount: Int, seed: UInt64) throws(ConfigurationError) {
        try scheme.validate()
        self.partition = scheme.description
        self.seed = seed
        self.sampleCount = labels.count
        self.shards = try Partitioner.shards(shardCount, labels: labels, scheme: scheme, seed: seed)
    }

    /// The JSON text (keys sorted, one line).
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(self)
    }

    /// Decodes the JSON written by `json()`.
    public init(json: Data) throws {
        self = try JSONDecoder().decode(Self.self, from: json)
    }
}
