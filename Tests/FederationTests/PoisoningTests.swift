import FedMQAggregator
import Testing

/// Robust aggregation under poisoning: 2 of 7 trainers send scaled sign-flipped deltas or large
/// noise (see `PoisoningSimulation`). Coordinate-wise median and trimmed mean still reach the
/// target accuracy in sync and buffered mode; plain FedAvg under the same attack does not.
@Suite struct PoisoningTests {
    static let target = 0.7

    @Test(arguments: [AggregationMode.sync, .buffered], [RobustAggregator.median, .trimmedMean(fraction: 0.3)])
    func robustAggregationReachesTheTargetDespiteTwoPoisonersOfSeven(mode: AggregationMode, aggregator: RobustAggregator) throws {
        let accuracy = try PoisoningSimulation(mode: mode, aggregator: aggregator).bestAccuracy()
        #expect(accuracy >= Self.target, "\(mode) \(aggregator): best accuracy \(accuracy)")
    }

    @Test(arguments: [AggregationMode.sync, .buffered])
    func plainFedAvgUnderTheSameAttackMissesTheTarget(mode: AggregationMode) throws {
        let accuracy = try PoisoningSimulation(mode: mode, aggregator: .mean).bestAccuracy()
        #expect(accuracy < Self.target, "\(mode) mean: best accuracy \(accuracy)")
    }

    @Test func withoutPoisonersPlainFedAvgReachesTheTarget() throws {
        let accuracy = try PoisoningSimulation(mode: .sync, aggregator: .mean, attackers: 0).bestAccuracy()
        #expect(accuracy >= Self.target, "clean sync mean: best accuracy \(accuracy)")
    }
}
