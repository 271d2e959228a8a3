import FedMQAggregator
import FedMQProtocol
import Foundation
import Testing

/// A hostile trainer against the real in-process broker and aggregator over TCP: every kind
/// of bad message is rejected and counted under its reason (aggregator counters and metrics
/// JSONL), nothing crashes, the global model stays bitwise the same, and valid updates from
/// the same trainer are still accepted afterwards.
@Suite struct AdversarialTrainerTests {
    @Test func everyHostileUpdateIsRejectedCountedAndLeavesTheModelUnchanged() async throws {
        let directory = NSTemporaryDirectory() + "fedmq-hostile-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let metricsPath = directory + "/metrics.jsonl"
        let socketLimit = MessageSizeLimit.messageBytes(for: smallLayout)
        var expected: [String: UInt64] = [:]
        try await withBrokerAndAggregator(
            configure: { $0.bufferSize = 1; $0.metricsPath = metricsPath },
            configureBroker: { $0.maxMessageSize = socketLimit }
        ) { broker, aggregator, trainer in
            let id = try await trainer.register(identity: "hostile").trainerID
            var hostile = HostileMessages(codec: trainer.codec, trainerID: id, base: 1, acceptedSequence: 2, seed: 99)
            try await trainer.push(trainer.codec.update(delta: hostile.smallDelta, baseVersion: 0, trainerID: id, sequence: 2,
                                                        sampleCount: 10, trainingLoss: 0.5))
            let v1 = try await trainer.awaitModel { $0 == 1 }

            let crafted = hostile.all()
            for (reason, frames) in crafted {
                try await trainer.push(frames)
                expected[reason.rawValue, default: 0] += 1
            }
            try await trainer.sendControl([hostile.bytes(300)])  // arrives as [identity, bytes]
            expected[RejectionReason.wrongFrameCount.rawValue, default: 0] += 1
            try await eventually(timeout: .seconds(30)) { aggregator.status.counters.rejected == expected }

            // Over the sockets' ZMQ_MAXMSGSIZE: the broker drops the connections, nothing reaches the aggregator.
            try await trainer.push(hostile.withPayload(bytes: socketLimit + 1))
            try await trainer.sendControl(codec: trainer.codec, payloadBytes: MessageSizeLimit.controlMessageBytes + 1, hostile: &hostile)
            try await eventually(timeout: .seconds(30)) {
                broker.statistics.updates.disconnections >= 1 && broker.statistics.control.disconnections >= 1
            }

            let unchanged = try await trainer.awaitModel { $0 == 1 }
            #expect(unchanged.weights.map(\.bitPattern) == v1.weights.map(\.bitPattern))
            #expect(aggregator.status.version == 1 && aggregator.status.counters.updatesAccepted == 1)
            #expect(aggregator.status.counters.rejected == expected)

            // The same trainer's sockets reconnected: control and a valid update still work.
            #expect(try await trainer.register(identity: "hostile").trainerID == id)
            try await trainer.push(hostile.good())
            let v2 = try await trainer.awaitModel { $0 == 2 }
            #expect(v2.weights == zip(v1.weights, hostile.smallDelta).map { $0 + $1 })
        }
        let last = try #require(MetricsWriter.read(path: metricsPath).last)
        #expect(last.rejected == expected && last.updatesAccepted == 2)
    }

    @Test func hugeNormUpdateIsClippedToTheBoundUnderTheClipPolicy() async throws {
        let directory = NSTemporaryDirectory() + "fedmq-clip-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let metricsPath = directory + "/metrics.jsonl"
        try await withBrokerAndAggregator(configure: { $0.bufferSize = 1; $0.normPolicy = .clip(to: 2); $0.metricsPath = metricsPath }) {
            _, aggregator, trainer in
            let id = try await trainer.register(identity: nil).trainerID
            let v0 = try await trainer.awaitModel { $0 == 0 }
            let delta = (0..<smallLayout.count).map { Float($0 + 1) * 1000 }
            try await trainer.push(trainer.codec.update(delta: delta, baseVersion: 0, trainerID: id, sequence: 2,
                                                        sampleCount: 1, trainingLoss: 0))
            let v1 = try await trainer.awaitModel { $0 == 1 }
            let applied = zip(v1.weights, v0.weights).map { $0 - $1 }
            let norm = applied.reduce(0) { $0 + $1 * $1 }.squareRoot()
            #expect(abs(norm - 2) < 1e-3, "applied delta norm \(norm)")
            #expect(aggregator.status.counters.updatesClipped == 1 && aggregator.status.counters.rejectedTotal == 0)
        }
        #expect(MetricsWriter.read(path: metricsPath).last?.updatesClipped == 1)
    }
}

extension ScriptedTrainer {
    /// Sends a `register` whose JSON payload pads to `payloadBytes` (length and CRC valid).
    func sendControl(codec: MessageCodec, payloadBytes: Int, hostile: inout HostileMessages) async throws {
        let frames = codec.control(.register(RegisterRequest(identity: nil), sequence: 1))
        guard let header = try? MessageHeader.decode(frames[1]) else { return }
        try await sendControl(FrameCodec.encode(Message(header: header, payload: hostile.bytes(payloadBytes))))
    }
}
