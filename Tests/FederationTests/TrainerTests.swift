import FedMQProtocol
import FedMQTrainer
import Foundation
import Logging
import TensorCore
import Testing
import VectorKernels

/// Local training (delta, sample counting, FedProx, abandoning a round), configuration
/// checks and the service's shutdown without an aggregator.
@Suite struct TrainerTests {
    /// 512 Fashion-MNIST test images (loaded once).
    static let samples: Dataset = {
        do { return try FashionMNIST.load(split: .test).subset(Array(0..<512)) } catch {
            preconditionFailure("Fashion-MNIST is needed: \(error)")
        }
    }()

    static func configuration(_ work: LocalWork, mu: Float = 0) -> TrainerConfiguration {
        var c = TrainerConfiguration()
        c.modelName = "mlp"
        c.localWork = work
        c.batchSize = 32
        c.learningRate = 0.05
        c.proximalMu = mu
        return c
    }

    static func trainer(_ work: LocalWork, mu: Float = 0, data: Dataset = samples) throws -> LocalTrainer {
        try LocalTrainer(architecture: .mlp, dataset: data, configuration: configuration(work, mu: mu), seed: 9)
    }

    static let base = ModelArchitecture.mlp.build(seed: 4).parameters

    @Test func proximalTermIsAddedToTheGradient() throws {
        let p: [Float] = [1, -2, 0.5], g: [Float] = [0.25, 0.5, -1], anchor: [Float] = [0, -1, 1]
        var plain = p, prox = p, zero = p
        var sgd = try SGD(parameterCount: 3, learningRate: 0.1)
        sgd.step(parameters: &plain, gradients: g)
        var wrapped = ProximalOptimizer(base: try SGD(parameterCount: 3, learningRate: 0.1), anchor: anchor, mu: 0.5)
        wrapped.step(parameters: &prox, gradients: g)
        var unwrapped = ProximalOptimizer(base: try SGD(parameterCount: 3, learningRate: 0.1), anchor: anchor, mu: 0)
        unwrapped.step(parameters: &zero, gradients: g)
        for i in 0..<3 {
            let expected = p[i] - 0.1 * (g[i] + 0.5 * (p[i] - anchor[i]))
            #expect(abs(prox[i] - expected) < 1e-6)
        }
        #expect(zero.map(\.bitPattern) == plain.map(\.bitPattern))
    }

    @Test func deltaIsLocalMinusBaseAndSamplesAreCounted() throws {
        let trainer = try Self.trainer(.steps(5))
        let result = try #require(try trainer.train(from: Self.base) { true })
        #expect(result.steps == 5 && result.sampleCount == 5 * 32 && result.meanLoss.isFinite)
        let local = trainer.model.parameters
        #expect(zip(zip(local, Self.base), result.delta).allSatisfy { abs(($0.0 - $0.1) - $1) <= 1e-6 * max(1, abs($0.0)) })
        #expect(result.delta.contains { $0 != 0 })

        let epoch = try Self.trainer(.epochs(1), data: Self.samples.subset(Array(0..<100)))
        let one = try #require(try epoch.train(from: Self.base) { true })
        #expect(one.sampleCount == 100 && one.steps == 4)  // 32 + 32 + 32 + 4
        // Every round is one whole pass (like a Flower client's epoch), not 4 batches carried on.
        let two = try #require(try epoch.train(from: Self.base) { true })
        #expect(two.sampleCount == 100 && two.steps == 4)
    }

    @Test func repeatedRoundsLowerTheTrainingLoss() throws {
        let trainer = try Self.trainer(.steps(8))
        var weights = Self.base
        var losses: [Float] = []
        for _ in 0..<6 {
            let result = try #require(try trainer.train(from: weights) { true })
            VectorMath.axpy(1, result.delta, &weights)
            losses.append(result.meanLoss)
        }
        #expect(losses.last! < losses.first! * 0.8, "\(losses)")
    }

    @Test func fedProxKeepsTheLocalModelCloserToTheGlobalOne() throws {
        func norm(_ v: [Float]) -> Float { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }
        let plain = try #require(try Self.trainer(.steps(20)).train(from: Self.base) { true })
        let prox = try #require(try Self.trainer(.steps(20), mu: 5).train(from: Self.base) { true })
        #expect(norm(prox.delta) < 0.9 * norm(plain.delta), "\(norm(prox.delta)) vs \(norm(plain.delta))")
    }

    @Test func abandonsTheRoundWhenToldToStop() throws {
        var calls = 0
        let result = try Self.trainer(.steps(50)).train(from: Self.base) {
            calls += 1
            return calls < 3
        }
        #expect(result == nil && calls == 3)
    }

    /// `stepTime` emulates a device of fixed speed: a round of n steps lasts at least n ×
    /// stepTime × slowdown of wall time; a step time shorter than the compute is reported as
    /// time behind that pace.
    @Test func stepTimePacesEveryStepAndStragglersTakeSlowdownTimesIt() throws {
        func run(stepTime: Double, slowdown: Double) throws -> LocalResult {
            var c = Self.configuration(.steps(4))
            (c.stepTime, c.slowdown) = (stepTime, slowdown)
            let trainer = try LocalTrainer(architecture: .mlp, dataset: Self.samples, configuration: c, seed: 9)
            return try #require(try trainer.train(from: Self.base) { true })
        }
        let device = try run(stepTime: 0.05, slowdown: 1)
        #expect(device.seconds >= 4 * 0.05, "\(device.seconds) s")
        let straggler = try run(stepTime: 0.05, slowdown: 3)
        #expect(straggler.seconds >= 4 * 0.15, "\(straggler.seconds) s")
        let tooFast = try run(stepTime: 1e-7, slowdown: 1)
        #expect(tooFast.secondsBehindPace > 0 && tooFast.secondsBehindPace <= tooFast.seconds)
        #expect(try run(stepTime: 0, slowdown: 1).secondsBehindPace == 0)
    }

    @Test func rejectsDataOfTheWrongShape() throws {
        let flat = try Dataset(images: [Float](repeating: 0, count: 40), labels: [0, 1, 2, 3], sampleShape: [10])
        #expect(throws: TrainerError.self) { try Self.trainer(.steps(1), data: flat) }
    }

    @Test(arguments: [
        { (c: inout TrainerConfiguration) in c.modelEndpoint = "broker:5556" },
        { c in c.modelName = "resnet" },
        { c in c.localWork = .steps(0) },
        { c in c.localWork = .epochs(-1) },
        { c in c.batchSize = 0 },
        { c in c.learningRate = 0 },
        { c in c.learningRate = .nan },
        { c in c.momentum = 1 },
        { c in c.proximalMu = -1 },
        { c in c.slowdown = 0.5 },
        { c in c.stepTime = -0.01 },
        { c in c.stepTime = .infinity },
        { c in c.heartbeatInterval = 0 },
        { c in c.modelWait = -1 },
        { c in c.partition = .dirichlet(alpha: -1) },
        { c in c.sampleLimit = 0 },
        { c in c.identity = "" },
        { c in c.data = .local(path: "/nonexistent/fedmq-data") },
    ] as [@Sendable (inout TrainerConfiguration) -> Void])
    func configurationRejectsBadValues(mutate: @Sendable (inout TrainerConfiguration) -> Void) {
        var c = TrainerConfiguration()
        #expect(throws: Never.self) { try c.validate() }
        mutate(&c)
        #expect(throws: ConfigurationError.self) { try c.validate() }
    }

    @Test func dataSourceParsing() {
        #expect(TrainingDataSource(parsing: nil) == .fashionMNIST(directory: nil))
        #expect(TrainingDataSource(parsing: "default").isPartitioned)
        #expect(TrainingDataSource(parsing: "/data/mine.csv") == .local(path: "/data/mine.csv"))
        #expect(!TrainingDataSource(parsing: "/data/mine.csv").isPartitioned)
    }

    @Test func stopsPromptlyOnShutdownWhileNoAggregatorAnswers() async throws {
        var c = Self.configuration(.steps(1))
        // Nothing listens here: the trainer keeps waiting for a first model broadcast.
        c.modelEndpoint = "tcp://127.0.0.1:9"
        c.updateEndpoint = "tcp://127.0.0.1:9"
        c.controlEndpoint = "tcp://127.0.0.1:9"
        let logger = Logger(label: "test.trainer") { _ in SwiftLogNoOpLogHandler() }
        let service = try TrainerService(configuration: c, dataset: Self.samples, logger: logger)
        let run = Task { try await service.run() }
        try await Task.sleep(for: .milliseconds(300))
        let clock = ContinuousClock()
        let start = clock.now
        run.cancel()
        try await run.value
        #expect(start.duration(to: clock.now) < .seconds(3))
        #expect(service.status.registration == nil && service.status.updatesSent == 0)
    }
}
