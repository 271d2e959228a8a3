import SafeTensorsFormat

/// Trains one model on one machine: seeded shuffled mini-batches, SGD with momentum, evaluation
/// on the test set after every epoch. The `fedmq train` command is a thin shell around this.
public struct CentralTraining {
    public let configuration: TrainingConfiguration
    /// The model being trained (weights after `run` are the trained ones).
    public let model: Sequential
    private let train: Dataset
    private let test: Dataset

    /// - Throws: `ModelError` for an invalid configuration, unknown model, or data whose
    ///   sample shape differs from the model's input.
    public init(configuration: TrainingConfiguration, train: Dataset, test: Dataset) throws {
        try configuration.validate()
        let architecture = try ModelArchitecture.named(configuration.model)
        for data in [train, test] where data.sampleShape != architecture.inputShape {
            throw ModelError(.shapeMismatch, "samples of shape \(data.sampleShape) do not fit model input \(architecture.inputShape)")
        }
        self.configuration = configuration
        self.model = architecture.build(seed: configuration.seed)
        self.train = Self.limited(train, to: configuration.limit)
        self.test = Self.limited(test, to: configuration.limit)
    }

    /// Runs every epoch, calling `report` with progress and per-epoch figures; returns the epochs' reports.
    @discardableResult
    public func run(report: (TrainingEvent) -> Void = { _ in }) throws -> [EpochReport] {
        var optimizer = try SGD(parameterCount: model.layout.count, learningRate: configuration.learningRate,
                                momentum: configuration.momentum)
        var batches = try MiniBatches(dataset: train, batchSize: configuration.batchSize,
                                      seed: configuration.seed &+ 1)  // batch order: its own stream
        var reports: [EpochReport] = []
        for epoch in 1...configuration.epochs {
            batches.startEpoch(epoch - 1)
            let clock = ContinuousClock()
            let start = clock.now
            let trainLoss = try runEpoch(epoch, &batches, &optimizer, report: report)
            let seconds = Self.seconds(clock.now - start)
            let result = EpochReport(epoch: epoch, trainLoss: trainLoss, test: try model.evaluate(test),
                                     samplesPerSecond: Double(train.count) / max(seconds, 1e-9), trainSeconds: seconds)
            reports.append(result)
            report(.epoch(result))
        }
        return reports
    }

    /// One pass over the training batches; returns the mean batch loss.
    private func runEpoch(_ epoch: Int, _ batches: inout MiniBatches, _ optimizer: inout SGD,
                          report: (TrainingEvent) -> Void) throws -> Float {
        var images = Tensor.zeros([configuration.batchSize] + train.sampleShape)
        var labels: [Int32] = []
        labels.reserveCapacity(configuration.batchSize)
        var lossSum: Double = 0
        var done = 0
        while batches.next(into: &images, labels: &labels) != nil {
            lossSum += Double(try model.trainStep(images: images, labels: labels, optimizer: &optimizer))
            done += 1
            if done % configuration.progressInterval == 0 {
                report(.progress(epoch: epoch, batches: done, totalBatches: batches.batchesPerEpoch,
                                 trainLoss: Float(lossSum / Double(done))))
            }
        }
        return Float(lossSum / Double(max(done, 1)))
    }

    private static func limited(_ data: Dataset, to limit: Int?) -> Dataset {
        guard let limit, limit < data.count else { return data }
        return data.subset(Array(0..<limit))
    }

    private static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}
