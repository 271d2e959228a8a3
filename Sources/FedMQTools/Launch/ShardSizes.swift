// The live page's trainer table shows how many samples each trainer trains on, but trainers
// cut their shards themselves and the wire protocol does not carry the size. `fedmq run`
// knows the data its trainers use (the default training set, its --sample-limit) and cuts the
// same partition once to tell the aggregator (`--shard-sizes`).
import FedMQProtocol
import FedMQTrainer
import TensorCore

/// Shard sizes of a `fedmq run`'s partition, as its trainers will cut them.
public enum ShardSizes {
    /// Samples in each shard (shard 0 first) for `configuration`; nil when the trainers bring
    /// their own data (`--data` among the trainer arguments) or the training set cannot be read.
    public static func of(_ configuration: LaunchConfiguration) -> [Int]? {
        let extra = configuration.trainerArguments
        guard !extra.contains("--data") else { return nil }
        guard var labels = try? FashionMNIST.load(split: .train, directory: configuration.dataDirectory ?? FashionMNIST.defaultDirectory,
                                                  normalize: false).labels else { return nil }
        if let flag = extra.firstIndex(of: "--sample-limit"), flag + 1 < extra.count, let limit = Int(extra[flag + 1]) {
            labels = Array(labels.prefix(max(0, limit)))
        }
        guard configuration.trainers > 1 else { return [labels.count] }
        let shards = try? Partitioner.shards(configuration.trainers, labels: labels, scheme: configuration.partition, seed: configuration.seed)
        return shards?.map(\.count)
    }
}
