/// What a `CentralTraining` run reports while it runs.
public enum TrainingEvent: Sendable, Equatable {
    /// Within an epoch: `batches` of `totalBatches` done, mean training loss so far.
    case progress(epoch: Int, batches: Int, totalBatches: Int, trainLoss: Float)
    /// An epoch ended.
    case epoch(EpochReport)
}

/// Figures for one finished epoch.
public struct EpochReport: Sendable, Equatable {
    /// 1-based epoch number.
    public var epoch: Int
    /// Mean training loss over the epoch's batches.
    public var trainLoss: Float
    /// Test-set loss and accuracy after the epoch.
    public var test: Evaluation
    /// Training throughput over the epoch (samples per second, excluding evaluation).
    public var samplesPerSecond: Double
    /// Wall time of the epoch's training steps in seconds.
    public var trainSeconds: Double

    public init(epoch: Int, trainLoss: Float, test: Evaluation, samplesPerSecond: Double, trainSeconds: Double) {
        self.epoch = epoch
        self.trainLoss = trainLoss
        self.test = test
        self.samplesPerSecond = samplesPerSecond
        self.trainSeconds = trainSeconds
    }
}
