import FedMQAggregator
import FedMQTools
import Foundation
import Testing

/// An aggregator that forgot its trainers, with real OS processes: broker, aggregator and two
/// trainers run until versions advance; the aggregator is killed with SIGKILL and a new one
/// starts with an empty checkpoint directory (no membership). The running trainers' heartbeats
/// are answered `unregistered`, they register again under their identities, and the new
/// aggregator's versions advance from their updates.
@Suite struct ReadmissionTests {
    @Test func trainersRegisterAgainWithAnAggregatorRestartedWithoutCheckpoints() async throws {
        let directory = NSTemporaryDirectory() + "fedmq-readmit-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let federation = try ProcessFederation(Self.configuration(directory: directory))
        do { try await forgetAndRecover(federation, directory: directory) } catch {
            await federation.killAll()
            throw error
        }
        await federation.killAll()
    }

    /// Buffered MLP run with 2 trainers, no stop condition but a time limit (the test kills it).
    static func configuration(directory: String) -> LaunchConfiguration {
        var c = LaunchConfiguration.bufferedMLP(directory: directory, trainers: 2)
        c.timeLimit = 600
        c.localWork = .steps(20)
        return c
    }

    private func forgetAndRecover(_ federation: ProcessFederation, directory: String) async throws {
        // Each aggregator gets its own, initially empty, checkpoint directory and metrics file.
        let second = (checkpoints: directory + "/checkpoints-2", metrics: directory + "/metrics-2.jsonl")
        try federation.start(.broker)
        try federation.start(.aggregator, overrides: ["--checkpoint-dir": directory + "/checkpoints-1"])
        for t in 0..<2 { try federation.start(.trainer(t)) }
        try await waitUntil("versions advance", timeout: .seconds(180)) {
            (federation.metrics.map(\.version).max() ?? 0) >= 4
        }

        await federation.kill9(.aggregator)
        try federation.start(.aggregator, overrides: ["--checkpoint-dir": second.checkpoints, "--metrics": second.metrics])
        let records = { MetricsWriter.read(path: second.metrics) }
        do {
            try await waitUntil("the new aggregator's version advances with both trainers", timeout: .seconds(180)) {
                guard let last = records().last else { return false }
                return last.version >= 4 && last.liveTrainers == 2
            }
        } catch {
            // What the processes said, for whoever reads the failure.
            for role in [ProcessFederation.Role.aggregator, .broker, .trainer(0)] {
                Issue.record("\(role) log tail: \(String((federation.logTexts(role).last ?? "").suffix(3_000)))")
            }
            throw error
        }

        let log = federation.logTexts(.aggregator).last ?? ""
        #expect(!log.contains("resumed from checkpoint"), "the new aggregator must start without membership")
        for t in 0..<2 {
            #expect(federation.exit(.trainer(t)) == nil, "trainer-\(t + 1) kept running")
            #expect(log.contains("identity=trainer-\(t + 1)"), "trainer-\(t + 1) registered with the new aggregator")
            let trainerLog = federation.logTexts(.trainer(t)).joined()
            #expect(trainerLog.contains("registering again") && trainerLog.contains("registered again"), "trainer-\(t + 1)")
        }
        let last = try #require(records().last)
        #expect(last.updatesAccepted >= 8, "versions come from the trainers' updates: \(last.updatesAccepted) accepted")
        #expect((last.rejected["unknown_trainer"] ?? 0) >= 1, "the forgotten trainers were told: \(last.rejected)")
    }
}
