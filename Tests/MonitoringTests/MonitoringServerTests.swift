// The monitoring server over real HTTP on an ephemeral port: /metrics prints what was recorded
// through swift-metrics, extra routes answer with their bytes and type, other paths are 404,
// and graceful shutdown of the surrounding ServiceGroup ends it without an error.
import CoreMetrics
import FedMQMonitoring
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import ServiceLifecycle
import Testing

@Suite struct MonitoringServerTests {
    private struct Reply {
        let status: Int
        let contentType: String?
        let body: String
    }

    private func get(_ port: Int, _ path: String) async throws -> Reply {
        let url = try #require(URL(string: "http://127.0.0.1:\(port)\(path)"))
        let (data, response) = try await URLSession.shared.data(from: url)
        let http = try #require(response as? HTTPURLResponse)
        return Reply(status: http.statusCode, contentType: http.value(forHTTPHeaderField: "Content-Type"),
                     body: String(decoding: data, as: UTF8.self))
    }

    /// Runs a server with `routes` on an ephemeral port, calls `body` with its port, shuts it down.
    private func withServer(_ backend: PrometheusBackend, routes: [HTTPRoute],
                            _ body: (Int) async throws -> Void) async throws {
        let logger = Logger(label: "MonitoringServerTests")
        let server = MonitoringServer(
            configuration: MonitoringConfiguration(host: "127.0.0.1", port: 0, registry: backend.registry),
            routes: routes, logger: logger)
        let group = ServiceGroup(services: [server], logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let port = try #require(await server.boundPort())
            #expect(port > 0)
            try await body(port)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    @Test func metricsShowWhatWasRecordedAndUnknownPathsAre404() async throws {
        let backend = PrometheusBackend()
        let counter = Counter(label: "fedmq_test_events_total", dimensions: [("reason", "late")], factory: backend.factory)
        let gauge = Gauge(label: "fedmq_test_version", factory: backend.factory)
        try await withServer(backend, routes: []) { port in
            counter.increment(by: 3)
            gauge.record(7)
            let metrics = try await get(port, "/metrics")
            #expect(metrics.status == 200)
            #expect(metrics.contentType?.hasPrefix("text/plain") == true)
            #expect(metrics.body.contains(#"fedmq_test_events_total{reason="late"} 3"#))
            #expect(metrics.body.contains("fedmq_test_version 7"))
            #expect(metrics.body.contains("process_resident_memory_bytes"))
            counter.increment()
            #expect(try await get(port, "/metrics").body.contains(#"fedmq_test_events_total{reason="late"} 4"#))
            #expect(try await get(port, "/nothing-here").status == 404)
        }
    }

    @Test func customRoutesAnswerWithTheirBytesAndType() async throws {
        let calls = Counter(label: "fedmq_test_page_calls_total", factory: PrometheusBackend().factory)
        let route = HTTPRoute(path: "/page.json", contentType: "application/json") {
            calls.increment()
            return Array(#"{"version": 12}"#.utf8)
        }
        try await withServer(PrometheusBackend(), routes: [route]) { port in
            let page = try await get(port, "/page.json")
            #expect(page.status == 200)
            #expect(page.contentType == "application/json")
            #expect(page.body == #"{"version": 12}"#)
            #expect(try await get(port, "/metrics").status == 200)
        }
    }

    @Test func boundPortIsNilWhenTheAddressCannotBeBound() async throws {
        let backend = PrometheusBackend()
        try await withServer(backend, routes: []) { taken in
            let logger = Logger(label: "MonitoringServerTests")
            let second = MonitoringServer(
                configuration: MonitoringConfiguration(host: "127.0.0.1", port: taken, registry: backend.registry),
                routes: [], logger: logger)
            await #expect(throws: (any Error).self) { try await second.run() }
            #expect(await second.boundPort() == nil)
        }
    }
}
