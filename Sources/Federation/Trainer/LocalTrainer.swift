import Foundation
import TensorCore

/// Local training on one shard: loads the global weights, runs the configured local work with
/// SGD (+ momentum, + FedProx term) and returns the delta. Owns a model and buffers, so it is
/// used from one thread (the trainer's).
public final class LocalTrainer {
    /// The local model (its parameters are the latest local weights).
    public let model: Sequential
    /// Number of samples in the shard.
    public var sampleCount: Int { batches.dataset.count }
    private var batches: MiniBatches
    private let configuration: TrainerConfiguration
    private var epoch = 0
    private var images = Tensor.zeros([1])
    private var labels: [Int32] = []

    /// - Parameters:
    ///   - architecture: the model to train.
    ///   - dataset: this trainer's shard.
    ///   - seed: mini-batch order seed.
    public init(architecture: ModelArchitecture, dataset: Dataset, configuration: TrainerConfiguration, seed: UInt64) throws {
        guard Array(architecture.inputShape) == dataset.sampleShape else {
            throw TrainerError("data samples have shape \(dataset.sampleShape), model \(architecture.name) needs \(architecture.inputShape)",
                               code: "data_shape")
        }
        model = architecture.build(seed: seed)
        batches = try MiniBatches(dataset: dataset, batchSize: configuration.batchSize, seed: seed)
        self.configuration = configuration
    }

    /// Trains from `base` (flat global weights) for the configured local work.
    ///
    /// `shouldContinue` is called after every mini-batch (heartbeats, new models, stop);
    /// returning false abandons the round and returns nil.
    public func train(from base: [Float], shouldContinue: () -> Bool) throws -> LocalResult? {
        try model.load(flat: base)
        let sgd = try SGD(parameterCount: base.count, learningRate: configuration.learningRate, momentum: configuration.momentum)
        var optimizer = ProximalOptimizer(base: sgd, anchor: base, mu: configuration.proximalMu)
        let steps = configuration.localWork.steps(batchesPerEpoch: batches.batchesPerEpoch)
        let clock = ContinuousClock()
        let start = clock.now
        var lossSum: Double = 0
        var samples = 0
        var overruns = 0
        for _ in 0..<steps {
            let stepStart = clock.now
            let n = nextBatch()
            let loss = try model.trainStep(images: images, labels: labels, optimizer: &optimizer)
            lossSum += Double(loss)
            samples += n
            if !pace(stepStart: stepStart, clock: clock) { overruns += 1 }
            guard shouldContinue() else { return nil }
        }
        var delta = model.parameters
        VectorMath.axpy(-1, base, &delta)
        return LocalResult(delta: delta, sampleCount: samples, meanLoss: Float(lossSum / Double(steps)), steps: steps,
                           seconds: start.duration(to: clock.now) / .seconds(1), overrunSteps: overruns)
    }

    /// Fills `images`/`labels` with the next mini-batch, starting a new epoch when one ends.
    private func nextBatch() -> Int {
        if let n = batches.next(into: &images, labels: &labels) { return n }
        epoch += 1
        batches.startEpoch(epoch)
        return batches.next(into: &images, labels: &labels)!
    }

    /// Emulates the configured device after a step that began at `stepStart`: with a step time,
    /// sleeps until the step has lasted `slowdown × stepTime` (false when the compute alone took
    /// longer: the machine could not keep that pace); otherwise sleeps (slowdown − 1) × the
    /// step's compute time.
    private func pace(stepStart: ContinuousClock.Instant, clock: ContinuousClock) -> Bool {
        let compute = stepStart.duration(to: clock.now) / .seconds(1)
        guard configuration.stepTime > 0 else {
            if configuration.slowdown > 1 { Thread.sleep(forTimeInterval: (configuration.slowdown - 1) * compute) }
            return true
        }
        let budget = configuration.slowdown * configuration.stepTime
        guard compute < budget else { return false }
        Thread.sleep(forTimeInterval: budget - compute)
        return true
    }
}
