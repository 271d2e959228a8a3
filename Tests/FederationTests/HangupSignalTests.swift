import FedMQTools
import Foundation
import Testing

/// SIGHUP never kills a FedMQ process, whatever its configuration, with real processes: SIGHUP's
/// default action ends a process without a log line or the aggregator's final checkpoint, so
/// every service traps it and either reloads its key lists or logs that there is nothing to
/// reload. Covers the plain federation (CURVE off: broker, aggregator and a trainer have nothing
/// to reload) and a CURVE aggregator started without a trainer key list.
@Suite struct HangupSignalTests {
    /// What a service logs when a SIGHUP finds nothing to reload.
    static let nothingToReload = "SIGHUP: nothing to reload"

    @Test func sighupLeavesBrokerAggregatorAndTrainerRunningWithoutCurve() async throws {
        try await withFederation(curve: false) { federation in
            try federation.start(.broker)
            try federation.start(.aggregator)
            try federation.start(.trainer(0))
            try await waitUntil("the trainer pushes an update", timeout: .seconds(120)) {
                federation.logTexts(.trainer(0)).joined().contains("update pushed")
            }
            try await expectSurvivesHangup(federation, roles: [.broker, .aggregator, .trainer(0)])
        }
    }

    @Test func sighupLeavesACurveAggregatorWithoutTrainerKeysRunning() async throws {
        try await withFederation(curve: true) { federation in
            try federation.plan.generateKeys()
            try federation.start(.broker)
            try federation.start(.aggregator, dropping: ["--trainer-keys-file"])
            try await waitUntil("the aggregator runs", timeout: .seconds(60)) {
                federation.logTexts(.aggregator).joined().contains("aggregator running")
            }
            try await expectSurvivesHangup(federation, roles: [.aggregator])
        }
    }

    /// Sends SIGHUP to each of `roles`, waits a second, and expects each to still run and to have
    /// logged that there was nothing to reload.
    private func expectSurvivesHangup(_ federation: ProcessFederation, roles: [ProcessFederation.Role]) async throws {
        for role in roles { federation.signal(role, SIGHUP) }
        try await Task.sleep(for: .seconds(1))
        for role in roles {
            #expect(federation.exit(role) == nil, "\(role) still runs after SIGHUP")
            let logged = federation.logTexts(role).joined().contains(Self.nothingToReload)
            #expect(logged, "\(role) logs the SIGHUP")
        }
    }

    /// A one-trainer buffered MLP federation in a temporary directory, handed to `body` and
    /// killed afterwards, also when `body` throws.
    private func withFederation(curve: Bool, _ body: (ProcessFederation) async throws -> Void) async throws {
        let directory = NSTemporaryDirectory() + "fedmq-sighup-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = LaunchConfiguration.bufferedMLP(directory: directory, trainers: 1)
        (configuration.bufferSize, configuration.maxVersions, configuration.evalEvery) = (1, 100_000, 1_000)
        configuration.localWork = .steps(5)
        configuration.curve = curve
        let federation = try ProcessFederation(configuration)
        do { try await body(federation) } catch {
            await federation.killAll()
            throw error
        }
        await federation.killAll()
    }
}
