// Update intake through the aggregator's engine, with and without Prometheus metrics, so the
// cost of exporting metrics on the hot path is a measured figure, not a claim. The export runs
// after every update here: the service does it at most every 0.25 s, so this is an upper bound.
import CoreMetrics
import FedMQAggregator
import FedMQProtocol
import Logging
import SafeTensorsFormat
import TensorCore

extension FederationBenchmark {
    /// `AggregatorEngine.handleUpdate` (validation, CRC-32C, decode, registration-free FedBuff
    /// K = 10 accumulation) of one update of `parameters` floats; with `metricsFactory`, every
    /// update is followed by an `AggregatorMetrics.observe` export into it. Updates per second,
    /// median of `repetitions` batches of 200.
    public static func engineIntake(parameters: Int, metricsFactory: (any MetricsFactory)?, logger: Logger,
                                    repetitions: Int = 5) throws -> Double {
        let layout = ParameterLayout([ParameterSpec(name: "w", shape: [parameters])])
        var configuration = AggregatorConfiguration()
        (configuration.mode, configuration.bufferSize, configuration.requireRegistration) = (.buffered, 10, false)
        configuration.maxStaleness = .max
        configuration.normPolicy = .clip(to: 1e6)
        let engine = try AggregatorEngine(configuration: configuration, layout: layout,
                                          initialWeights: [Float](repeating: 0, count: parameters), logger: logger)
        var g = SeededGenerator(seed: 1)
        let delta = (0..<parameters).map { _ in g.nextUnitFloat() - 0.5 }
        let frames = engine.codec.update(delta: delta, baseVersion: 0, trainerID: 1, sequence: 1, sampleCount: 32, trainingLoss: 0.5)
        let metrics = metricsFactory.map(AggregatorMetrics.init(factory:))
        let batch = 200
        let seconds = median(repetitions) {
            for _ in 0..<batch {
                _ = engine.handleUpdate(frames, now: 0)
                metrics?.observe(engine)
            }
        } / Double(batch)
        precondition(engine.counters.rejectedTotal == 0, "benchmark updates rejected: \(engine.counters.rejected)")
        return 1 / seconds
    }
}
