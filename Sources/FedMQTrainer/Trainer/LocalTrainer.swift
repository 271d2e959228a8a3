import Foundation
import SafeTensorsFormat
import TensorCore
import VectorKernels

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
        for step in 0..<steps {
            let stepStart = clock.now
            let n = nextBatch()
            let loss = try model.trainStep(images: images, labels: labels, optimizer: &optimizer)
            lossSum += Double(loss)
            samples += n
            pace(stepsDone: step + 1, stepStart: stepStart, roundStart: start, clock: clock)
            guard shouldContinue() else { return nil }
        }
        var delta = model.parameters
        VectorMath.axpy(-1, base, &delta)
        let seconds = start.duration(to: clock.now) / .seconds(1)
        let due = Double(steps) * configuration.slowdown * configuration.stepTime
        return LocalResult(delta: delta, sampleCount: samples, meanLoss: Float(lossSum / Double(steps)), steps: steps,
                           seconds: seconds, secondsBehindPace: configuration.stepTime > 0 ? max(0, seconds - due) : 0)
    }

    /// Fills `images`/`labels` with the next mini-batch, starting a new epoch when one ends.
    private func nextBatch() -> Int {
        if let n = batches.next(into: &images, labels: &labels) { return n }
        epoch += 1
        batches.startEpoch(epoch)
        return batches.next(into: &images, labels: &labels)!
    }

    /// Emulates the configured device once `stepsDone` steps of the round are done. With a step
    /// time the device keeps a fixed pace: sleeps until `stepsDone × slowdown × stepTime` after
    /// `roundStart` (a step delayed by the machine is made up by the next ones, if they can).
    /// Otherwise sleeps (slowdown − 1) × the step's compute time.
    private func pace(stepsDone: Int, stepStart: ContinuousClock.Instant, roundStart: ContinuousClock.Instant,
                      clock: ContinuousClock) {
        let now = clock.now
        guard configuration.stepTime > 0 else {
            let compute = stepStart.duration(to: now) / .seconds(1)
            if configuration.slowdown > 1 { Thread.sleep(forTimeInterval: (configuration.slowdown - 1) * compute) }
            return
        }
        let due = Double(stepsDone) * configuration.slowdown * configuration.stepTime
        let ahead = due - roundStart.duration(to: now) / .seconds(1)
        if ahead > 0 { Thread.sleep(forTimeInterval: ahead) }
    }
}
