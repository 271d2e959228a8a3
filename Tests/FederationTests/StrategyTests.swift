import FedMQAggregator
import FedMQProtocol
import Foundation
import Testing

@Test func fedAvgWeightsBySampleCount() throws {
    let fedavg = SyncFedAvg(model: [1, 1, 1, 1], roundSize: 2)
    let first = try fedavg.submit(update(base: 0, delta: [4, 0, -8, 2], samples: 1), now: 0)
    #expect(first.newVersion == nil && fedavg.model == [1, 1, 1, 1])
    let second = try fedavg.submit(update(base: 0, delta: [0, 8, 0, 2], samples: 3, trainer: 2), now: 1)
    #expect(second.newVersion == 1 && second.appliedWeight == 3)
    // x + (1·a + 3·b) / 4
    #expect(fedavg.model == [2, 7, -1, 3])
}

@Test func syncDropsUpdatesFromOtherVersionsAndLeavesTheModelAlone() throws {
    let fedavg = SyncFedAvg(model: [0, 0], roundSize: 1)
    _ = try fedavg.submit(update(base: 0, delta: [1, 1]), now: 0)
    let before = fedavg.model
    #expect(expectRejection(.tooStale) { _ = try fedavg.submit(update(base: 0, delta: [5, 5]), now: 1) })
    #expect(expectRejection(.futureVersion) { _ = try fedavg.submit(update(base: 9, delta: [5, 5]), now: 1) })
    #expect(fedavg.model == before && fedavg.version == 1 && fedavg.pendingUpdates == 0)
}

@Test func syncRoundClosesAtTheDeadlineWithWhatArrived() throws {
    let fedavg = SyncFedAvg(model: [0, 0], roundSize: 3, deadline: 10)
    #expect(fedavg.poll(now: 100) == nil)  // nothing arrived: no empty rounds
    _ = try fedavg.submit(update(base: 0, delta: [2, 4]), now: 20)
    #expect(fedavg.poll(now: 29.9) == nil)
    #expect(fedavg.poll(now: 30) == 1)
    #expect(fedavg.model == [2, 4])
}

@Test func fedAsyncMixesWithStalenessWeightedRate() throws {
    // α = 0.5, s = (t−τ+1)^−0.5: staleness 3 → s = 0.5 → α_t = 0.25.
    let x0: [Float] = [1, 2, 3, 4]
    let fedasync = FedAsync(model: x0, alpha: 0.5, staleness: StalenessPolicy(function: .polynomial(a: 0.5)), history: 8)
    var expected = x0
    for i in 0..<3 {  // three fresh updates: x ← 0.5·x + 0.5·(x + Δ) = x + 0.5·Δ
        let delta: [Float] = [Float(i), 1, -1, 0.5]
        let outcome = try fedasync.submit(update(base: UInt64(i), delta: delta), now: 0)
        #expect(outcome.appliedWeight == 0.5 && outcome.newVersion == UInt64(i + 1))
        expected = zip(expected, delta).map { $0 + 0.5 * $1 }
    }
    #expect(fedasync.model == expected)
    let stale = try fedasync.submit(update(base: 0, delta: [4, 8, 0, -4]), now: 0)
    #expect(stale.staleness == 3 && stale.stalenessWeight == 0.5 && stale.appliedWeight == 0.25)
    // x ← 0.75·x + 0.25·(x₀ + Δ)
    let client = zip(x0, [Float(4), 8, 0, -4]).map(+)
    #expect(fedasync.model == zip(expected, client).map { 0.75 * $0 + 0.25 * $1 })
}

@Test func fedAsyncDropsBasesOutsideItsHistory() throws {
    let fedasync = FedAsync(model: [0], alpha: 1, history: 2)
    _ = try fedasync.submit(update(base: 0, delta: [1]), now: 0)
    _ = try fedasync.submit(update(base: 1, delta: [1]), now: 0)
    let before = fedasync.model
    #expect(expectRejection(.tooStale) { _ = try fedasync.submit(update(base: 0, delta: [1]), now: 0) })
    #expect(fedasync.model == before && fedasync.version == 2)
}

@Test func fedBuffAppliesAfterKWithStalenessDiscount() throws {
    // hinge a=1, b=0: s = 1/(t−τ+1).
    let buff = FedBuff(model: [0, 0], bufferSize: 2, staleness: StalenessPolicy(function: .hinge(a: 1, b: 0), maxStaleness: 1))
    #expect(try buff.submit(update(base: 0, delta: [2, 2]), now: 0).newVersion == nil)
    #expect(try buff.submit(update(base: 0, delta: [4, 0]), now: 0).newVersion == 1)
    #expect(buff.model == [3, 1])  // (Δ₁ + Δ₂)/K
    let stale = try buff.submit(update(base: 0, delta: [8, -4]), now: 0)
    #expect(stale.stalenessWeight == 0.5 && stale.appliedWeight == 0.5)
    let fresh = try buff.submit(update(base: 1, delta: [2, 2]), now: 0)
    #expect(fresh.newVersion == 2)
    // x + (0.5·[8,−4] + 1·[2,2]) / 2
    #expect(buff.model == [6, 1])
    // Staleness 2 > max 1: dropped, nothing buffered.
    #expect(expectRejection(.tooStale) { _ = try buff.submit(update(base: 0, delta: [1, 1]), now: 0) })
    #expect(buff.pendingUpdates == 0 && buff.model == [6, 1])
}

@Test func fedBuffCanWeightBySampleCount() throws {
    let buff = FedBuff(model: [0], bufferSize: 2, weightBySamples: true)
    _ = try buff.submit(update(base: 0, delta: [8], samples: 3), now: 0)
    _ = try buff.submit(update(base: 0, delta: [0], samples: 1), now: 0)
    #expect(buff.model == [6])
}

@Test func serverMomentumAccumulates() throws {
    let fedavgm = SyncFedAvg(model: [0, 0], roundSize: 1, optimizer: .momentum(lr: 1, beta: 0.5))
    _ = try fedavgm.submit(update(base: 0, delta: [2, 0]), now: 0)  // m = Δ₁, x = Δ₁
    _ = try fedavgm.submit(update(base: 1, delta: [0, 4]), now: 0)  // m = 0.5·Δ₁ + Δ₂
    #expect(fedavgm.model == [3, 4])
    #expect(fedavgm.stateVectors["optimizer.m"] == [1, 4])
}

@Test func fedAdamStepMatchesTheHandFormula() throws {
    let (lr, b1, b2, eps): (Float, Float, Float, Float) = (0.1, 0.9, 0.99, 1e-3)
    let x0: [Float] = [1, -1, 0.5]
    let d1: [Float] = [0.2, -0.4, 0], d2: [Float] = [-0.1, 0.3, 0.05]
    let fedadam = SyncFedAvg(model: x0, roundSize: 1, optimizer: .adam(lr: lr, beta1: b1, beta2: b2, epsilon: eps))
    _ = try fedadam.submit(update(base: 0, delta: d1), now: 0)
    _ = try fedadam.submit(update(base: 1, delta: d2), now: 0)
    for i in 0..<3 {
        var m: Double = 0, v: Double = 0, x = Double(x0[i])
        for d in [Double(d1[i]), Double(d2[i])] {
            m = Double(b1) * m + (1 - Double(b1)) * d
            v = Double(b2) * v + (1 - Double(b2)) * d * d
            x += Double(lr) * m / (v.squareRoot() + Double(eps))
        }
        #expect(abs(Double(fedadam.model[i]) - x) < 1e-5)
    }
    #expect(fedadam.optimizerSteps == 2)
}

@Test func medianAndTrimmedMeanIgnoreAnOutlier() throws {
    let deltas: [[Float]] = [[1, -1], [2, -2], [3, -3], [4, -4], [1000, 1000]]
    for (aggregator, expected) in [(RobustAggregator.median, [Float(3), -2]), (.trimmedMean(fraction: 0.2), [3, -2])] {
        let fedavg = SyncFedAvg(model: [0, 0], roundSize: 5, aggregator: aggregator)
        for (i, d) in deltas.enumerated() { _ = try fedavg.submit(update(base: 0, delta: d, trainer: UInt32(i)), now: 0) }
        #expect(fedavg.model == expected)
    }
    let mean = SyncFedAvg(model: [0, 0], roundSize: 5)
    for d in deltas { _ = try mean.submit(update(base: 0, delta: d), now: 0) }
    #expect(mean.model[0] > 100)  // the plain mean is dragged by the outlier
}

@Test func optimizerAndAggregatorStringsParse() throws {
    #expect(try ServerOptimizer.Rule(parsing: "momentum:1,0.9") == .momentum(lr: 1, beta: 0.9))
    #expect(try ServerOptimizer.Rule(parsing: "adam:0.01") == .adam(lr: 0.01, beta1: 0.9, beta2: 0.99, epsilon: 1e-3))
    #expect(try RobustAggregator(parsing: "trimmed:0.1") == .trimmedMean(fraction: 0.1))
    for bad in ["adam", "momentum:1,1.5", "sgd:0", "nesterov:1"] {
        #expect(throws: ConfigurationError.self) { try ServerOptimizer.Rule(parsing: bad) }
    }
    #expect(throws: ConfigurationError.self) { try RobustAggregator(parsing: "trimmed:0.5") }
}

@Test func restoreReplacesModelVersionAndOptimizerState() throws {
    let a = FedBuff(model: [0, 0], bufferSize: 1, optimizer: .momentum(lr: 1, beta: 0.9))
    _ = try a.submit(update(base: 0, delta: [1, 2]), now: 0)
    let b = FedBuff(model: [0, 0], bufferSize: 1, optimizer: .momentum(lr: 1, beta: 0.9))
    try b.restore(model: a.model, version: a.version, stateVectors: a.stateVectors, optimizerSteps: a.optimizerSteps)
    _ = try a.submit(update(base: 1, delta: [3, 1]), now: 0)
    _ = try b.submit(update(base: 1, delta: [3, 1]), now: 0)
    #expect(a.model == b.model && a.version == b.version)
    #expect(throws: ConfigurationError.self) {
        try b.restore(model: [0, 0], version: 1, stateVectors: [:], optimizerSteps: 0)
    }
}
