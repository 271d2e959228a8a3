import ArgumentParser
import CommandSupport
import FedMQProtocol
import FedMQTrainer
import Foundation
import TensorCore

/// `fedmq shards`: writes the sample indices of every shard that `fedmq run` trainers get, so
/// that a peer framework (benchmarks/peers/flower) trains on exactly the same data.
struct ShardsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shards",
        abstract: "Write the training-sample indices of each shard of a partition as JSON.",
        discussion: """
            The output is {"partition": …, "seed": …, "sampleCount": …, "shards": [[indices of shard 0], …]}, \
            indices into the Fashion-MNIST training split in file order. With the same --partition, \
            --shards (= fedmq run --trainers) and --seed these are the shards of a fedmq run.

            Environment: FEDMQ_PARTITION, FEDMQ_SHARDS, FEDMQ_SEED, FEDMQ_DATA_DIR and FEDMQ_OUTPUT \
            give defaults for the matching options.
            """
    )

    @Option(help: "Partition scheme. [env: FEDMQ_PARTITION, default: dirichlet:0.5]")
    var partition: PartitionScheme?

    @Option(help: "Number of shards (the number of trainers of the run). [env: FEDMQ_SHARDS, default: 8]")
    var shards: Int?

    @Option(help: "Seed of the run (fedmq run --seed). [env: FEDMQ_SEED, default: 0]")
    var seed: UInt64?

    @Option(help: "Directory with the Fashion-MNIST IDX files. [env: FEDMQ_DATA_DIR]")
    var dataDir: String?

    @Option(help: "Output file; - for standard output. [env: FEDMQ_OUTPUT, default: -]")
    var output: String?

    func validate() throws {
        _ = try settings()
    }

    func run() throws {
        let (partition, shards, seed, dataDir, output) = try settings()
        let train = try FashionMNIST.load(split: .train, directory: dataDir, normalize: false)
        let assignment = try validating {
            try ShardAssignment(labels: train.labels, partition: partition, shardCount: shards, seed: seed)
        }
        let json = try assignment.json()
        if output == "-" {
            FileHandle.standardOutput.write(json + Data("\n".utf8))
        } else {
            try json.write(to: URL(fileURLWithPath: output), options: .atomic)
            print("\(shards) shards of \(train.count) samples (\(assignment.partition), seed \(seed)) written to \(output)")
        }
    }

    /// Options, else FEDMQ_* variables, else the defaults; a malformed variable is a usage error.
    private func settings() throws -> (partition: PartitionScheme, shards: Int, seed: UInt64, dataDir: String, output: String) {
        let env = EnvironmentValues()
        return (try partition ?? env.value("FEDMQ_PARTITION") ?? .dirichlet(alpha: 0.5),
                try shards ?? env.value("FEDMQ_SHARDS") ?? 8,
                try seed ?? env.value("FEDMQ_SEED") ?? 0,
                try dataDir ?? env.value("FEDMQ_DATA_DIR") ?? FashionMNIST.defaultDirectory,
                try output ?? env.value("FEDMQ_OUTPUT") ?? "-")
    }
}
