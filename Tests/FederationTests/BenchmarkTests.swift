import FedMQAggregator
import FedMQMonitoring
import FedMQTools
import Logging
import Testing

/// The benchmark functions return complete, sane structures (no timing assertions).
@Suite struct BenchmarkTests {
    /// The metrics-on intake exports every accepted update (warm-up + one batch of 200).
    @Test func engineIntakeWithMetricsExportsEveryAcceptedUpdate() throws {
        let backend = PrometheusBackend()
        let logger = Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }
        let rate = try FederationBenchmark.engineIntake(parameters: 64, metricsFactory: backend.factory, logger: logger, repetitions: 1)
        #expect(rate > 0)
        let text = String(decoding: backend.registry.emitToBuffer(), as: UTF8.self)
        #expect(text.contains("fedmq_aggregator_updates_accepted_total 400\n"), "\(text)")
        #expect(try FederationBenchmark.engineIntake(parameters: 64, metricsFactory: nil, logger: logger, repetitions: 1) > 0)
    }

    @Test func transportBenchmarkMeasuresRawAndBrokerForEveryCase() async throws {
        var plan = TransportBenchmark.Plan()
        plan.payloads = [40_000, 200_000]
        plan.subscriberCounts = [1, 3]
        plan.bytesPerReceiver = 1 << 20
        plan.repetitions = 1
        let figures = try await TransportBenchmark.run(plan)
        #expect(figures.count == 2 * (1 + 2))
        #expect(figures.filter { $0.pattern == .updates }.map(\.payloadBytes) == [40_000, 200_000])
        #expect(figures.filter { $0.pattern == .models }.map(\.receivers) == [1, 3, 1, 3])
        for f in figures {
            #expect(f.messages >= 8 && f.messages * f.payloadBytes >= plan.bytesPerReceiver - f.payloadBytes)
            #expect(f.rawMegabytesPerSecond > 0 && f.brokerMegabytesPerSecond > 0)
            #expect(f.rawMegabytesPerCPUSecond > 0 && f.brokerMegabytesPerCPUSecond > 0)
        }
    }

    @Test func aggregationBenchmarkCoversEveryStrategyAndSize() {
        let figures = AggregationBenchmark.run(parameterCounts: [1000, 5000], repetitions: 1, bytesPerPass: 100_000)
        #expect(figures.count == 2 * AggregationBenchmark.Mode.allCases.count)
        for f in figures {
            #expect(f.mergeUpdatesPerSecond > 0 && f.intakeUpdatesPerSecond > 0 && f.memcpyGigabytesPerSecond > 0)
            #expect(f.decodeGigabytesPerSecond > 0)
            #expect(f.updateBytes == 4 * f.parameters)
            #expect(f.retainedFloats >= f.parameters)
        }
    }

    /// O(model) memory whatever the number of updates: no per-update copies are kept beyond
    /// the buffer the mode needs (robust modes: K rows; FedAsync: the version history).
    @Test func strategiesRetainTheSameStorageAfterTenOrThreeHundredUpdates() throws {
        let count = 512
        for mode in AggregationBenchmark.Mode.allCases {
            let strategy = AggregationBenchmark.makeStrategy(mode, count: count)
            var retained: [Int] = []
            for i in 1...300 {
                _ = try strategy.submit(update(base: strategy.version, delta: randomVector(count, seed: UInt64(i))), now: 0)
                if i == 10 || i == 300 { retained.append(strategy.retainedFloats) }
            }
            #expect(strategy.version >= 30, "\(mode)")
            #expect(retained[0] == retained[1], "\(mode): \(retained)")
            #expect(retained[1] <= 17 * count + 64, "\(mode)")
        }
        let median = FedBuff(model: [Float](repeating: 0, count: count), bufferSize: 5, aggregator: .median)
        var peak = 0
        for i in 1...50 {
            _ = try median.submit(update(base: median.version, delta: randomVector(count, seed: UInt64(i))), now: 0)
            peak = max(peak, median.retainedFloats)
        }
        #expect(peak <= (1 + 5) * count + 5 * 64 && median.version == 10)
    }
}
