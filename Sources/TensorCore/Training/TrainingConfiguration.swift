/// Settings of a central (non-federated) training run.
public struct TrainingConfiguration: Sendable, Equatable {
    /// Architecture name (`cnn`, `mlp`).
    public var model = "cnn"
    /// Passes over the training set.
    public var epochs = 5
    /// Samples per SGD step.
    public var batchSize = 64
    /// SGD learning rate.
    public var learningRate: Float = 0.01
    /// SGD momentum (PyTorch semantics, no dampening).
    public var momentum: Float = 0.5
    /// Seed of the initial weights and of the batch order.
    public var seed: UInt64 = 1
    /// Use only the first `limit` training and test samples (nil: all).
    public var limit: Int?
    /// Batches between progress reports within an epoch.
    public var progressInterval = 100

    public init() {}

    /// - Throws: `ModelError.invalidArgument` for non-positive sizes or a negative learning rate.
    public func validate() throws {
        guard epochs > 0, batchSize > 0, progressInterval > 0, learningRate >= 0, momentum >= 0, (limit ?? 1) > 0 else {
            throw ModelError(.invalidArgument,
                             "epochs, batch size, progress interval and limit must be positive; lr and momentum ≥ 0")
        }
    }
}
