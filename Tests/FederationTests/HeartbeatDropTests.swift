import FedMQAggregator
import FedMQProtocol
import Foundation
import TensorCore
import Testing

/// Sync rounds follow trainer liveness: a trainer that stops heartbeating (and training) is
/// dropped and rounds go on without it; when it heartbeats again it is counted again, the
/// rounds wait for it and its update is accepted.
@Suite(.serialized) struct HeartbeatDropTests {
    @Test func silentTrainerIsDroppedFromSyncRoundsAndTakenBackWhenItReturns() async throws {
        let directory = NSTemporaryDirectory() + "fedmq-heartbeat-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let broker = Running(try EndToEnd.broker())
        var configuration = EndToEnd.aggregatorConfiguration(broker.service, mode: .sync)
        configuration.heartbeatTimeout = 3
        configuration.roundDeadline = nil  // rounds close on their size only
        configuration.metricsPath = directory + "/metrics.jsonl"
        let aggregator = Running(try EndToEnd.aggregator(configuration))
        let codec = MessageCodec(layout: EndToEnd.architecture.layout, runID: configuration.runID,
                                 payloadCodec: SafeTensorsPayloadCodec())
        let scripted = try ScriptedTrainer(endpoints: broker.service.endpoints, codec: codec)
        defer { scripted.close() }
        try await scripted.awaitAnyBroadcast(within: .seconds(60))
        let member = Member(trainer: scripted, id: try await scripted.register(identity: "scripted").trainerID,
                            aggregator: aggregator.service)
        let trainers = try (1...2).map {
            Running(try EndToEnd.trainer(EndToEnd.trainerConfiguration(broker.service, identity: "t-\($0)", modelWait: .infinity)))
        }

        // Three take part: each round waits for the scripted trainer's update.
        for _ in 0..<2 { try await member.completeRound() }

        // Silent: it expires, and rounds of two go on without it.
        try await waitUntil("the silent trainer expires", timeout: .seconds(60)) { aggregator.service.status.liveTrainers == 2 }
        let dropped = aggregator.service.status
        #expect(dropped.roundSize == 2)
        try await waitUntil("two rounds without it", timeout: .seconds(60)) {
            aggregator.service.status.version >= dropped.version + 2
        }

        // Back: its heartbeat makes it live, rounds are of three again and take its update.
        try await member.beat(until: "it is live again") { $0.liveTrainers == 3 && $0.roundSize == 3 }
        for _ in 0..<2 { try await member.completeRound() }
        let records = { MetricsWriter.read(path: configuration.metricsPath!) }
        try await member.beat(until: "metrics show 3, 2, then 3 live trainers") { _ in
            let live = records().map(\.liveTrainers)
            guard let drop = live.firstIndex(of: 2) else { return false }
            return live[..<drop].contains(3) && live[drop...].contains(3)
        }
        #expect(records().map(\.version) == records().map(\.version).sorted())

        try await aggregator.stop()
        for trainer in trainers { try await trainer.stop() }
        try await broker.stop()
    }
}

/// The scripted trainer of the test: heartbeats while waiting and contributes to sync rounds.
private struct Member {
    let trainer: ScriptedTrainer
    let id: UInt32
    let aggregator: AggregatorService

    /// Waits (heartbeating every 0.25 s) until `condition` holds on the aggregator's status.
    func beat(until what: String, timeout: Duration = .seconds(60), _ condition: (AggregatorStatus) -> Bool) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var lastBeat = clock.now - .seconds(1)
        while !condition(aggregator.status) {
            guard clock.now < deadline else {
                Issue.record("\(what) did not happen within \(timeout)")
                throw CancellationError()
            }
            if lastBeat.duration(to: clock.now) >= .milliseconds(250) {
                try await trainer.heartbeat(trainerID: id)
                lastBeat = clock.now
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Waits until the two other trainers' updates are in a round of three, checks the round
    /// stays open without this one, pushes an update and checks it is accepted and closes it.
    func completeRound() async throws {
        try await beat(until: "a round of 3 holds 2 updates") { $0.roundSize == 3 && $0.roundPending == 2 }
        let before = aggregator.status
        #expect(before.liveTrainers == 3)
        let delta = randomVector(EndToEnd.architecture.layout.count, seed: before.version).map { $0 * 1e-3 }
        try await trainer.pushUpdate(delta: delta, base: before.version, trainerID: id)
        try await beat(until: "the round closes with its update") { $0.version > before.version }
        let after = aggregator.status
        #expect(after.counters.updatesAccepted >= before.counters.updatesAccepted + 1)
        #expect(after.counters.rejectedTotal == before.counters.rejectedTotal, "\(after.counters.rejected)")
    }
}
