import FedMQAggregator
import FedMQTrainer
import Foundation
import TensorCore
import VectorKernels

/// A federation of seven real local trainers (a small MLP on Fashion-MNIST shards), two of
/// them poisoners, driven in-process through the aggregator's real update path
/// (`AggregatorEngine.handleUpdate`: codec, strategy, robust combination) without sockets.
///
/// Attacker 1 sends its honest delta sign-flipped and scaled ×`scale`; attacker 2 sends seeded
/// Gaussian noise with `scale` times the norm of its honest delta. Sync mode: everyone trains
/// from the round's model. Buffered mode: each trainer trains from the model it fetched after
/// its previous update, so the buffered deltas are up to one version stale.
struct PoisoningSimulation {
    static let trainers = 7
    static let architecture: ModelArchitecture = {
        do { return try ModelArchitecture(name: "mlp-32", description: "flatten, fc 32, relu, fc 10, log_softmax") } catch {
            preconditionFailure("\(error)")
        }
    }()

    var mode: AggregationMode
    /// `mean`, `median` or `trimmed:<f>`.
    var aggregator: RobustAggregator
    /// Trainers 0..<attackers poison (at most 2: one of each attack).
    var attackers = 2
    var scale: Float = 10
    var rounds = 12
    var seed: UInt64 = 5

    /// Runs the federation; returns the best test accuracy seen, evaluated after every round.
    func bestAccuracy() throws -> Double {
        var configuration = AggregatorConfiguration()
        configuration.modelName = Self.architecture.name
        configuration.mode = mode
        configuration.roundSize = Self.trainers
        configuration.roundDeadline = nil
        configuration.bufferSize = Self.trainers
        configuration.staleness = .constant
        configuration.aggregator = aggregator
        configuration.requireRegistration = false
        let initial = Self.architecture.build(seed: seed).parameters
        let engine = try AggregatorEngine(configuration: configuration, layout: Self.architecture.layout,
                                          initialWeights: initial, logger: quietLogger)
        let evaluator = TestSetEvaluator(architecture: Self.architecture, testSet: EndToEnd.data.test)
        let local = try Self.localTrainers(seed: seed)
        var bases = [(version: UInt64, weights: [Float])](repeating: (0, initial), count: Self.trainers)
        var noise = SeededGenerator(seed: seed ^ 0xBAD)
        var best = 0.0
        for round in 0..<rounds {
            if mode == .sync { bases = bases.map { _ in (engine.version, engine.model) } }
            for i in 0..<Self.trainers {
                guard let result = try local[i].train(from: bases[i].weights, shouldContinue: { true }) else { continue }
                let delta = poisoned(result.delta, trainer: i, noise: &noise)
                _ = engine.handleUpdate(engine.codec.update(
                    delta: delta, baseVersion: bases[i].version, trainerID: UInt32(i + 1), sequence: UInt64(round + 1),
                    sampleCount: UInt32(result.sampleCount), trainingLoss: result.meanLoss), now: Double(round))
                if mode != .sync { bases[i] = (engine.version, engine.model) }
            }
            best = max(best, try evaluator.evaluate(engine.model).accuracy)
        }
        return best
    }

    private func poisoned(_ delta: [Float], trainer: Int, noise: inout SeededGenerator) -> [Float] {
        guard trainer < attackers else { return delta }
        switch trainer {
        case 0: return delta.map { -scale * $0 }
        case 1:
            let gaussian = delta.map { _ in Self.gaussian(&noise) }
            let factor = scale * VectorMath.sumOfSquares(delta).squareRoot() / max(VectorMath.sumOfSquares(gaussian).squareRoot(), .leastNormalMagnitude)
            return gaussian.map { $0 * factor }
        default: return delta
        }
    }

    private static func gaussian(_ g: inout SeededGenerator) -> Float {
        let u = max(g.nextUnitFloat(), .leastNormalMagnitude), v = g.nextUnitFloat()
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
    }

    /// One trainer per shard (every seventh sample of the 3 000), 10 steps of batch 32 per update.
    private static func localTrainers(seed: UInt64) throws -> [LocalTrainer] {
        var c = TrainerConfiguration()
        c.modelName = architecture.name
        c.localWork = .steps(10)
        c.batchSize = 32
        c.learningRate = 0.1
        let train = EndToEnd.data.train
        return try (0..<trainers).map { i in
            try LocalTrainer(architecture: architecture, dataset: train.subset(Array(stride(from: i, to: train.count, by: trainers))),
                             configuration: c, seed: seed + UInt64(i))
        }
    }
}
