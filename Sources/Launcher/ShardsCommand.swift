import ArgumentParser
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

    private static let environment = ProcessInfo.processInfo.environment

    @Option(help: "Partition scheme: iid, dirichlet:α, labels:k, quantity:β.")
    var partition = environment["FEDMQ_PARTITION"] ?? "dirichlet:0.5"

    @Option(help: "Number of shards (the number of trainers of the run).")
    var shards = Int(environment["FEDMQ_SHARDS"] ?? "") ?? 8

    @Option(help: "Seed of the run (fedmq run --seed).")
    var seed = UInt64(environment["FEDMQ_SEED"] ?? "") ?? 0

    @Option(help: "Directory with the Fashion-MNIST IDX files.")
    var dataDir = environment["FEDMQ_DATA_DIR"] ?? FashionMNIST.defaultDirectory

    @Option(help: "Output file; - for standard output.")
    var output = environment["FEDMQ_OUTPUT"] ?? "-"

    func run() throws {
        let train = try FashionMNIST.load(split: .train, directory: dataDir, normalize: false)
        let assignment: ShardAssignment
        do {
            assignment = try ShardAssignment(labels: train.labels, partition: partition, shardCount: shards, seed: seed)
        } catch {
            throw ValidationError(error.message)
        }
        let json = try assignment.json()
        if output == "-" {
            FileHandle.standardOutput.write(json + Data("\n".utf8))
        } else {
            try json.write(to: URL(fileURLWithPath: output), options: .atomic)
            print("\(shards) shards of \(train.count) samples (\(assignment.partition), seed \(seed)) written to \(output)")
        }
    }
}
