import ArgumentParser
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
            """
    )

    private static let environment = ProcessInfo.processInfo.environment

    @Option(help: """
        Model architecture: \(ModelArchitecture.all.map(\.name).joined(separator: " | ")), or a description \
        such as "flatten, fc 100, relu, fc 10, log_softmax".
        """)
    var model = environment["FEDMQ_MODEL"] ?? "cnn"

    @Option(help: "Passes over the training set.")
    var epochs = Int(environment["FEDMQ_EPOCHS"] ?? "") ?? 5

    @Option(help: "Samples per SGD step.")
    var batchSize = Int(environment["FEDMQ_BATCH_SIZE"] ?? "") ?? 64

    @Option(help: "SGD learning rate.")
    var lr = Float(environment["FEDMQ_LR"] ?? "") ?? 0.01

    @Option(help: "SGD momentum (PyTorch semantics).")
    var momentum = Float(environment["FEDMQ_MOMENTUM"] ?? "") ?? 0.5

    @Option(help: "Seed of the initial weights and of the batch order.")
    var seed = UInt64(environment["FEDMQ_SEED"] ?? "") ?? 1

    @Option(help: "Directory with the Fashion-MNIST IDX files (train-images-idx3-ubyte.gz, …).")
    var dataDir = environment["FEDMQ_DATA_DIR"] ?? FashionMNIST.defaultDirectory

    @Option(help: "Use only the first N training and test samples (quick runs).")
    var limit: Int?

    @Option(help: "Batches between progress lines within an epoch.")
    var progressEvery = 200

    func validate() throws {
        do {
            _ = try ModelArchitecture.named(model)
            try trainingConfiguration.validate()
        } catch let error as ModelError {
            throw ValidationError(error.message)
        }
    }

    func run() async throws {
        let train = try FashionMNIST.load(split: .train, directory: dataDir)
        let test = try FashionMNIST.load(split: .test, directory: dataDir)
        let training = try CentralTraining(configuration: trainingConfiguration, train: train, test: test)
        print("model \(model): \(training.model.layout.count) parameters; \(min(train.count, limit ?? .max)) training samples, "
              + "batch \(batchSize), lr \(lr), momentum \(momentum), seed \(seed)")
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

    private var trainingConfiguration: TrainingConfiguration {
        var c = TrainingConfiguration()
        c.model = model
        c.epochs = epochs
        c.batchSize = batchSize
        c.learningRate = lr
        c.momentum = momentum
        c.seed = seed
        c.limit = limit
        c.progressInterval = progressEvery
        return c
    }
}
