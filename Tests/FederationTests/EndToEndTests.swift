import FedMQAggregator
import Foundation
import TensorCore
import Testing

/// Whole federations over loopback (broker + aggregator + trainers, in-process services with
/// their own threads), small enough for a debug build.
@Suite(.serialized) struct EndToEndTests {
    @Test(arguments: [AggregationMode.sync, .async, .buffered])
    func accuracyRisesAndVersionsOnlyGrow(mode: AggregationMode) async throws {
        let broker = Running(try EndToEnd.broker())
        var configuration = EndToEnd.aggregatorConfiguration(broker.service, mode: mode)
        configuration.targetAccuracy = 0.6
        configuration.maxVersions = 60  // a failure guard: reaching it fails the test
        let aggregator = Running(try EndToEnd.aggregator(configuration))
        let trainers = try (1...3).map {
            Running(try EndToEnd.trainer(EndToEnd.trainerConfiguration(
                broker.service, identity: "t-\($0)", modelWait: mode == .sync ? .infinity : 0)))
        }
        // Every trainer returns by itself once the aggregator broadcasts stop.
        try await aggregator.task.value
        for trainer in trainers { try await trainer.task.value }
        try await broker.stop()

        // The run ended because test accuracy rose from chance to the target.
        let status = aggregator.service.status
        let initial = try TestSetEvaluator(architecture: EndToEnd.architecture, testSet: EndToEnd.data.test)
            .evaluate(EndToEnd.initialWeights).accuracy
        #expect(initial < 0.3)
        let final = try #require(status.lastEvaluation)
        #expect(status.stopReason?.contains("target accuracy") == true, "\(mode) mode: \(status.stopReason ?? "-")")
        // The final model (evaluated after the stop) may sit a little below the target.
        #expect(final.result.accuracy > initial + 0.3,
                "accuracy \(initial) → \(final.result.accuracy) at version \(final.version) in \(mode) mode")
        #expect(status.version >= final.version && status.counters.updatesAccepted >= status.version)
        for trainer in trainers {
            let s = trainer.service.status
            #expect(s.versionsReceived.isStrictlyIncreasing, "\(s.versionsReceived)")
            #expect(s.updatesSent >= 1 && s.stopReason != nil && s.heartbeatsSent >= 1)
            // Update feedback: verdicts arrive on the control channel, at most one per update sent.
            #expect(s.updatesAccepted >= 1 && s.updatesAccepted + s.updatesRejected.values.reduce(0, +) <= s.updatesSent,
                    "\(s.updatesAccepted) accepted, \(s.updatesRejected) rejected of \(s.updatesSent)")
            #expect(s.registration.map { (0..<3).contains($0.shardIndex) && $0.shardCount == 3 } == true)
            #expect(s.shardSize == 1000)
        }
        #expect(Set(trainers.compactMap { $0.service.status.registration?.shardIndex }).count == 3)
    }

    @Test func lateTrainerReceivesTheCurrentModelWithinASecond() async throws {
        let broker = Running(try EndToEnd.broker())
        let aggregator = Running(try EndToEnd.aggregator(EndToEnd.aggregatorConfiguration(broker.service, mode: .async)))
        let early = Running(try EndToEnd.trainer(EndToEnd.trainerConfiguration(broker.service, identity: "early", modelWait: 0)))
        try await waitUntil("three versions", timeout: .seconds(60)) { aggregator.service.status.version >= 3 }

        let clock = ContinuousClock()
        let joined = clock.now
        let current = aggregator.service.status.version
        let late = Running(try EndToEnd.trainer(EndToEnd.trainerConfiguration(broker.service, identity: "late", modelWait: 0)))
        try await waitUntil("the late trainer holding the current model", timeout: .seconds(1)) {
            (late.service.status.modelVersion ?? 0) >= current
        }
        #expect(joined.duration(to: clock.now) < .seconds(1))
        try await waitUntil("an update from the late trainer", timeout: .seconds(30)) { late.service.status.updatesSent >= 1 }

        for service in [late, early] { try await service.stop() }
        try await aggregator.stop()
        try await broker.stop()
    }

    @Test func restartedAggregatorResumesItsVersionAndTrainersCarryOn() async throws {
        let directory = NSTemporaryDirectory() + "fedmq-e2e-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let broker = Running(try EndToEnd.broker())
        var configuration = EndToEnd.aggregatorConfiguration(broker.service, mode: .buffered)
        configuration.checkpointDirectory = directory
        configuration.checkpointEvery = 1
        configuration.evalEvery = 0
        let trainers = try (1...2).map {
            Running(try EndToEnd.trainer(EndToEnd.trainerConfiguration(broker.service, identity: "t-\($0)", modelWait: 0)))
        }
        let first = Running(try EndToEnd.aggregator(configuration))
        try await waitUntil("three versions", timeout: .seconds(60)) { first.service.status.version >= 3 }
        try await first.stop()
        let stoppedAt = first.service.status.version

        let second = Running(try EndToEnd.aggregator(configuration))
        try await waitUntil("two more versions after the restart", timeout: .seconds(60)) {
            second.service.status.version >= stoppedAt + 2
        }
        #expect(second.service.status.resumedFrom == stoppedAt)
        // A new version is published before the trainers hold it: wait for delivery.
        try await waitUntil("both trainers hold a version past the restart", timeout: .seconds(60)) {
            trainers.allSatisfy { ($0.service.status.versionsReceived.last ?? 0) > stoppedAt }
        }
        for trainer in trainers {
            let versions = trainer.service.status.versionsReceived
            #expect(versions.isStrictlyIncreasing, "\(versions)")
        }
        for trainer in trainers { try await trainer.stop() }
        try await second.stop()
        try await broker.stop()
    }
}
