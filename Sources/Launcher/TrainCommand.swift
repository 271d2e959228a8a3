import ArgumentParser
import CommandSupport
import Foundation
import TensorCore

/// `fedmq train`: central (non-federated) training on Fashion-MNIST, the baseline the federated
/// runs are compared with. Training logic lives in `TensorCore.CentralTraining`; this only parses
/// options and prints.
///
/// Run in release for real figures: `swift build -c release && .build/release/fedmq train`.
struct TrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a model centrally on Fashion-MNIST and print loss, test accuracy and samples/s per epoch.",
        discussion: """
            Environment: FEDMQ_MODEL, FEDMQ_EPOCHS, FEDMQ_BATCH_SIZE, FEDMQ_LR, FEDMQ_MOMENTUM, \
            FEDMQ_SEED and FEDMQ_DATA_DIR give defaults for the matching options.

            \(ModelHelp.grammar)
            """
    )

    @Option(help: "\(ModelHelp.option) [env: FEDMQ_MODEL, default: cnn]")
    var model: String?

    @Option(help: "Passes over the training set. [env: FEDMQ_EPOCHS, default: 5]")
    var epochs: Int?

    @Option(help: "Samples per SGD step. [env: FEDMQ_BATCH_SIZE, default: 64]")
    var batchSize: Int?

    @Option(help: "SGD learning rate. [env: FEDMQ_LR, default: 0.01]")
    var lr: Float?

    @Option(help: "SGD momentum (PyTorch semantics). [env: FEDMQ_MOMENTUM, default: 0.5]")
    var momentum: Float?

    @Option(help: "Seed of the initial weights and of the batch order. [env: FEDMQ_SEED, default: 1]")
    var seed: UInt64?

    @Option(help: "Directory with the Fashion-MNIST IDX files (train-images-idx3-ubyte.gz, …). [env: FEDMQ_DATA_DIR]")
    var dataDir: String?

    @Option(help: "Use only the first N training and test samples (quick runs). [default: all]")
    var limit: Int?

    @Option(help: "Batches between progress lines within an epoch. [default: 200]")
    var progressEvery: Int?

    func validate() throws {
        let configuration = try makeConfiguration()
        do {
            _ = try ModelArchitecture.named(configuration.model)
            try configuration.validate()
        } catch let error as ModelError {
            throw ValidationError(error.message)
        }
    }

    func run() async throws {
        let c = try makeConfiguration()
        let directory = try dataDir ?? EnvironmentValues().value("FEDMQ_DATA_DIR") ?? FashionMNIST.defaultDirectory
        let train = try FashionMNIST.load(split: .train, directory: directory)
        let test = try FashionMNIST.load(split: .test, directory: directory)
        let training = try CentralTraining(configuration: c, train: train, test: test)
        print("model \(c.model): \(training.model.layout.count) parameters; \(min(train.count, limit ?? .max)) training samples, "
              + "batch \(c.batchSize), lr \(c.learningRate), momentum \(c.momentum), seed \(c.seed)")
        try training.run { event in
            switch event {
            case let .progress(epoch, batches, total, loss):
                print(String(format: "  epoch %d  %5d/%d batches  train loss %.4f", epoch, batches, total, loss))
            case let .epoch(r):
                print(String(format: "epoch %d  train loss %.4f  test loss %.4f  test accuracy %.2f%%  %.0f samples/s (%.1f s)",
                             r.epoch, r.trainLoss, r.test.loss, r.test.accuracy * 100, r.samplesPerSecond, r.trainSeconds))
            }
            fflush(nil)  // all streams: progress shows even when piped
        }
    }

    /// Options, else FEDMQ_* variables, else `TrainingConfiguration` defaults; a malformed
    /// variable is a usage error naming it.
    private func makeConfiguration() throws -> TrainingConfiguration {
        let env = EnvironmentValues()
        var c = TrainingConfiguration()
        c.model = try model ?? env.value("FEDMQ_MODEL") ?? c.model
        c.epochs = try epochs ?? env.value("FEDMQ_EPOCHS") ?? c.epochs
        c.batchSize = try batchSize ?? env.value("FEDMQ_BATCH_SIZE") ?? c.batchSize
        c.learningRate = try lr ?? env.value("FEDMQ_LR") ?? c.learningRate
        c.momentum = try momentum ?? env.value("FEDMQ_MOMENTUM") ?? c.momentum
        c.seed = try seed ?? env.value("FEDMQ_SEED") ?? c.seed
        c.limit = limit
        c.progressInterval = progressEvery ?? 200
        return c
    }
}
