// Central DP's claim: against anyone who sees the published models, each trainer's whole
// contribution to a version is hidden by Gaussian noise of standard deviation σ·C on a sum to
// which it adds at most C; ε is what the accountant says, and a budget is never exceeded.
// These tests fail when a part of that is removed: the noise (its measured spread), the
// clipping (a huge update moves the model by more than C/K), the one-update-per-trainer rule,
// the budget stop, or the seeding (same seed, same noise).
import FedMQAggregator
import FedMQTools
import Foundation
import FedMQPrivacy
import FedMQProtocol
import Logging
import SafeTensorsFormat
import Testing

private let quiet = Logger(label: "test.dp") { _ in SwiftLogNoOpLogHandler() }
/// Large enough that the noise's spread is measured to within about 1 %.
private let wideLayout = ParameterLayout([ParameterSpec(name: "fc.weight", shape: [200, 100])])

private func privateEngine(clip: Float = 1, sigma: Double = 2, bufferSize: Int = 4, budget: Double? = nil,
                           seed: UInt64 = 1) throws -> AggregatorEngine {
    var configuration = AggregatorConfiguration()
    configuration.runID = 7
    configuration.mode = .buffered
    configuration.bufferSize = bufferSize
    configuration.staleness = .constant
    configuration.requireRegistration = false
    var privacy = CentralPrivacy(clipNorm: clip, noiseMultiplier: sigma)
    privacy.epsilonBudget = budget
    privacy.seed = seed
    configuration.centralPrivacy = privacy
    return try AggregatorEngine(configuration: configuration, layout: wideLayout,
                                initialWeights: [Float](repeating: 0, count: wideLayout.count), logger: quiet)
}

private func push(_ engine: AggregatorEngine, trainer: UInt32, sequence: UInt64, value: Float) -> UInt64? {
    let delta = [Float](repeating: value, count: wideLayout.count)
    return engine.handleUpdate(engine.codec.update(delta: delta, baseVersion: engine.version, trainerID: trainer, sequence: sequence,
                                                   sampleCount: 10, trainingLoss: 0), now: 0)
}

@Suite struct CentralPrivacyTests {
    @Test func eachVersionCarriesNoiseOfStandardDeviationSigmaCOverKAndEachUpdateIsClippedToC() throws {
        let engine = try privateEngine(clip: 1, sigma: 2, bufferSize: 4)
        // Four trainers send updates of norm √20000·100 ≈ 14 142: each is clipped to norm 1.
        var made: UInt64?
        for trainer in UInt32(1)...4 { made = push(engine, trainer: trainer, sequence: 1, value: 100) }
        #expect(made == 1)
        let n = Double(wideLayout.count)
        let mean = engine.model.reduce(0.0) { $0 + Double($1) } / n
        let spread = (engine.model.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / (n - 1)).squareRoot()
        // Signal: 4 clipped updates of per-coordinate value 1/√n, over K = 4.
        #expect(abs(mean - 1 / n.squareRoot()) < 4 * 0.5 / n.squareRoot(), "mean \(mean)")
        #expect(abs(spread - 0.5) < 0.5 * 0.02, "noise spread \(spread), expected σ·C/K = 0.5")
        #expect(engine.counters.updatesClipped == 4)
        #expect(engine.privacySpent == (try RDPAccountant.epsilon(
            of: SampledGaussian(samplingRate: 1, noiseMultiplier: 2), steps: 1, delta: 1e-5)))
    }

    @Test func aTrainerGetsOneUpdateIntoEachVersion() throws {
        let engine = try privateEngine()
        #expect(push(engine, trainer: 1, sequence: 1, value: 0.001) == nil)
        #expect(push(engine, trainer: 1, sequence: 2, value: 0.001) == nil)
        #expect(engine.counters.rejected[RejectionReason.contributionLimit.rawValue] == 1)
        for trainer in UInt32(2)...4 { _ = push(engine, trainer: trainer, sequence: 1, value: 0.001) }
        #expect(engine.version == 1)
        #expect(push(engine, trainer: 1, sequence: 3, value: 0.001) == nil)  // a new version: welcome again
        #expect(engine.counters.rejected[RejectionReason.contributionLimit.rawValue] == 1)
    }

    @Test func theSameSeedGivesTheSameNoiseAndAnotherSeedOther() throws {
        let models = try [1, 1, 2].map { (seed: UInt64) -> [Float] in
            let engine = try privateEngine(seed: seed)
            for trainer in UInt32(1)...4 { _ = push(engine, trainer: trainer, sequence: 1, value: 0) }
            return engine.model
        }
        #expect(models[0] == models[1] && models[0] != models[2])
    }

    @Test func theBudgetStopsTheRunBeforeTheVersionThatWouldExceedIt() throws {
        let mechanism = try SampledGaussian(samplingRate: 1, noiseMultiplier: 2)
        let afterThree = try RDPAccountant.epsilon(of: mechanism, steps: 3, delta: 1e-5)
        let afterFour = try RDPAccountant.epsilon(of: mechanism, steps: 4, delta: 1e-5)
        let engine = try privateEngine(bufferSize: 1, budget: (afterThree + afterFour) / 2)
        var sequence: UInt64 = 0
        while !engine.privacyBudgetExhausted && sequence < 10 {
            sequence += 1
            _ = push(engine, trainer: 1, sequence: sequence, value: 0.01)
        }
        #expect(engine.version == 3 && engine.privacySpent == afterThree)
        #expect(engine.metricsRecord(wallTime: 0, evaluation: nil).privacyEpsilon == afterThree)
    }

    @Test func modesAndRulesThatCannotBeAccountedAreRefusedWithTheReason() {
        var configuration = AggregatorConfiguration()
        configuration.centralPrivacy = CentralPrivacy(clipNorm: 1, noiseMultiplier: 1)
        configuration.mode = .async
        #expect { try configuration.validate() } throws: { "\($0)".contains("async mode applies every update alone") }
        configuration.mode = .buffered
        configuration.aggregator = .median
        #expect { try configuration.validate() } throws: { "\($0)".contains("central DP needs --aggregator mean") }
        configuration.aggregator = .mean
        configuration.weightBySamples = true
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
        configuration.weightBySamples = false
        configuration.centralPrivacy?.noiseMultiplier = 0
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
    }
}

/// The real executables: an aggregator with central DP and an ε budget stops its run at the
/// last version within the budget, says why, and every metrics line carries the ε spent.
@Suite struct CentralPrivacyProcessTests {
    @Test func aBudgetedRunStopsAtTheLastVersionWithinItsBudget() async throws {
        let directory = NSTemporaryDirectory() + "fedmq-dp-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let mechanism = try SampledGaussian(samplingRate: 1, noiseMultiplier: 4)
        let within = 12
        let budget = try (RDPAccountant.epsilon(of: mechanism, steps: within, delta: 1e-5)
            + RDPAccountant.epsilon(of: mechanism, steps: within + 1, delta: 1e-5)) / 2
        // C = 0.01: the noise (σ·C/K = 0.02 per weight and version) leaves the MLP finite.
        var c = LaunchConfiguration.bufferedMLP(directory: directory, trainers: 3)
        c.evalEvery = 4
        c.maxVersions = 1_000
        c.aggregatorArguments = ["--dp-clip", "0.01", "--dp-noise", "4", "--dp-epsilon", "\(budget)"]
        let federation = try ProcessFederation(c)
        try federation.startAll()
        do {
            try await waitUntil("the aggregator ends the run", timeout: .seconds(180)) { federation.exit(.aggregator) != nil }
        } catch {
            await federation.killAll()
            throw error
        }
        await federation.killAll()
        #expect(federation.exit(.aggregator) == .code(0))
        let log = federation.logTexts(.aggregator).joined()
        #expect(log.contains("privacy budget ε = \(budget) reached"), "\(log.suffix(2_000))")
        let metrics = federation.metrics
        #expect(metrics.last?.version == UInt64(within))
        let spent = metrics.compactMap(\.privacyEpsilon)
        #expect(spent.count == metrics.count && spent == spent.sorted() && (spent.last ?? .infinity) <= budget)
    }
}
