// A federation scraped over HTTP while it runs, as Prometheus would: the broker, the aggregator
// and a trainer each serve /metrics from their own registry; the aggregator's version and
// accepted-updates counter rise, a malformed update shows under its rejection reason, and the
// exported counts end equal to the aggregator's own RunCounters (one source for both).
import CoreMetrics
import FedMQAggregator
import FedMQBroker
import FedMQMonitoring
import FedMQTrainer
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import Testing
import ZeroMQ

@Suite(.serialized) struct PrometheusMetricsTests {
    /// A Prometheus registry with its server on an ephemeral loopback port.
    private struct Scraped {
        let backend = PrometheusBackend()
        let server: Running<MonitoringServer>

        init() {
            server = Running(MonitoringServer(
                configuration: MonitoringConfiguration(host: "127.0.0.1", port: 0, registry: backend.registry),
                routes: [], logger: EndToEnd.logger))
        }

        /// The current exposition text (status 200 required).
        func scrape() async throws -> String {
            let port = try #require(await server.service.boundPort())
            let url = try #require(URL(string: "http://127.0.0.1:\(port)/metrics"))
            let (data, response) = try await URLSession.shared.data(from: url)
            #expect((response as? HTTPURLResponse)?.statusCode == 200)
            return String(decoding: data, as: UTF8.self)
        }

        /// The value of `series` (name with labels, exactly as exposed), nil if absent.
        func value(_ series: String) async throws -> Double? {
            try await scrape().split(separator: "\n").lazy
                .compactMap { line in line.hasPrefix(series + " ") ? Double(line.dropFirst(series.count + 1)) : nil }.first
        }

        /// Scrapes until `series` satisfies `condition` (recording an issue after 60 s); returns its value.
        @discardableResult
        func waitFor(_ series: String, _ condition: @escaping (Double) -> Bool) async throws -> Double {
            var last: Double?
            try await waitUntilAsync("\(series) (last \(last.map { "\($0)" } ?? "absent"))") {
                last = try await value(series)
                return last.map(condition) ?? false
            }
            return last ?? .nan
        }
    }

    @Test func brokerAggregatorAndTrainerMetricsMoveDuringARun() async throws {
        let (brokerMetrics, aggregatorMetrics, trainerMetrics) = (Scraped(), Scraped(), Scraped())
        var brokerConfiguration = BrokerConfiguration()
        brokerConfiguration.bindHost = "127.0.0.1"
        brokerConfiguration.ports = .ephemeral
        let broker = Running(try BrokerService(configuration: brokerConfiguration, metricsFactory: brokerMetrics.backend.factory,
                                               logger: EndToEnd.logger))
        var configuration = EndToEnd.aggregatorConfiguration(broker.service, mode: .async)
        configuration.maxVersions = 10_000  // stopped by the test
        let aggregator = Running(try AggregatorService(
            configuration: configuration, layout: EndToEnd.architecture.layout, initialWeights: EndToEnd.initialWeights,
            evaluator: TestSetEvaluator(architecture: EndToEnd.architecture, testSet: EndToEnd.data.test),
            metricsFactory: aggregatorMetrics.backend.factory, logger: EndToEnd.logger))
        let trainers = try (1...2).map { index in
            Running(try TrainerService(
                configuration: EndToEnd.trainerConfiguration(broker.service, identity: "metrics-\(index)", modelWait: 0),
                dataset: EndToEnd.data.train, metricsFactory: index == 1 ? trainerMetrics.backend.factory : nil,
                logger: EndToEnd.logger))
        }

        let early = try await aggregatorMetrics.waitFor("fedmq_aggregator_version") { $0 >= 2 }
        let accepted = try await aggregatorMetrics.waitFor("fedmq_aggregator_updates_accepted_total") { $0 >= 1 }
        try await aggregatorMetrics.waitFor("fedmq_aggregator_version") { $0 > early }
        try await aggregatorMetrics.waitFor("fedmq_aggregator_updates_accepted_total") { $0 > accepted }
        try await aggregatorMetrics.waitFor("fedmq_aggregator_live_trainers") { $0 == 2 }
        try await aggregatorMetrics.waitFor("fedmq_aggregator_evaluation_accuracy_ratio") { $0 > 0 && $0 <= 1 }
        #expect(try await aggregatorMetrics.value(#"fedmq_aggregator_messages_rejected_total{reason="wrong_frame_count"}"#) == 0)

        try pushMalformedUpdate(to: broker.service)
        try await aggregatorMetrics.waitFor(#"fedmq_aggregator_messages_rejected_total{reason="wrong_frame_count"}"#) { $0 == 1 }

        try await brokerMetrics.waitFor(#"fedmq_broker_messages_total{channel="updates",direction="in"}"#) { $0 > accepted }
        try await brokerMetrics.waitFor(#"fedmq_broker_connected_peers{port="updates_in"}"#) { $0 >= 2 }
        try await brokerMetrics.waitFor("fedmq_broker_cache_age_seconds") { $0 >= 0 }
        try await trainerMetrics.waitFor("fedmq_trainer_updates_sent_total") { $0 >= 2 }
        try await trainerMetrics.waitFor("fedmq_trainer_model_version") { $0 >= early }
        #expect(try await trainerMetrics.value("process_resident_memory_bytes") ?? 0 > 0)

        for trainer in trainers { try await trainer.stop() }
        try await aggregator.stop()
        let counters = aggregator.service.status.counters
        #expect(try await aggregatorMetrics.value("fedmq_aggregator_updates_accepted_total") == Double(counters.updatesAccepted))
        // Every accepted update's staleness is in the histogram once.
        #expect(try await aggregatorMetrics.value("fedmq_aggregator_update_staleness_versions_count") == Double(counters.staleness.total))
        #expect(counters.staleness.total == counters.updatesAccepted)
        #expect(try await aggregatorMetrics.value("fedmq_aggregator_version") == Double(aggregator.service.status.version))
        try await broker.stop()
        for scraped in [brokerMetrics, aggregatorMetrics, trainerMetrics] { try await scraped.server.stop() }
    }

    /// An update of one frame (the protocol wants three): the aggregator rejects it as `wrong_frame_count`.
    private func pushMalformedUpdate(to broker: BrokerService) throws {
        let context = try Context()
        let socket = try context.socket(.push)
        defer { socket.close(linger: .seconds(1)) }
        try socket.set(.sendTimeout(.seconds(5)))
        try socket.connect(broker.endpoints.updatesIn)
        #expect(try socket.send([Array("update".utf8)]))
    }
}

/// Waits until the async `condition` holds, or records an issue after `timeout`.
func waitUntilAsync(_ what: @autoclosure () -> String, timeout: Duration = .seconds(60),
                    sourceLocation: SourceLocation = #_sourceLocation, _ condition: () async throws -> Bool) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(100))
    }
    Issue.record("\(what()) did not happen within \(timeout)", sourceLocation: sourceLocation)
    throw CancellationError()
}
