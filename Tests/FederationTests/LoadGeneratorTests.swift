import FedMQBroker
import FedMQProtocol
import FedMQTools
import FedMQTransport
import Foundation
import SafeTensorsFormat
import TensorCore
import Testing
import ZeroMQ

/// `LoadGenerator` against an in-process broker and aggregator (CNN layout, real-sized updates).
@Suite struct LoadGeneratorTests {
    @Test func fiveSimulatedTrainersRegisterGetModelsAndHaveUpdatesAccepted() async throws {
        let layout = ModelArchitecture.cnn.layout
        try await withBrokerAndAggregator(
            configure: { $0.bufferSize = 3; $0.shardCount = 5 }, layout: layout,
            weights: [Float](repeating: 0, count: layout.count)
        ) { broker, aggregator, _ in
            var configuration = loadConfiguration(broker, trainers: 5, duration: 2)
            configuration.watchedProcesses = [("self", getpid())]
            let report = try await LoadGenerator(configuration: configuration, logger: quietLogger).run()
            #expect(report.readyTrainers == 5)
            #expect(report.updatesSent > 0)
            try await eventually(timeout: .seconds(30)) { aggregator.status.counters.updatesAccepted == UInt64(report.updatesSent) }
            #expect(aggregator.status.counters.rejectedTotal == 0)
            #expect(aggregator.status.version >= UInt64(report.updatesSent / 3))
            // New versions reached the simulated trainers, stamped with their publish time.
            #expect(report.modelReceipts > 0 && report.receiptsWithoutTimestamp == 0)
            #expect(report.lastSubscriberLatencyP99 >= report.lastSubscriberLatencyP50)
            #expect(report.lastSubscriberLatencyP50 >= 0)
            #expect((report.peakResidentBytes["self"] ?? 0) > 0 && report.peakResidentBytes["loadgen"] != nil)
        }
    }

    /// The same load through an encrypting broker: every simulated trainer is a CURVE client
    /// with the one admitted key pair.
    @Test(.enabled(if: zmqHas("curve"), "libzmq built without CURVE"))
    func simulatedTrainersWorkThroughAnEncryptingBroker() async throws {
        let keys = try FederationKeys()
        let loadKey = try CurveKeyPair.generate()
        let admitted: Set<CurveKey> = [loadKey.publicKey, keys.trainer.publicKey]  // the load, the observer
        let layout = ModelArchitecture.cnn.layout
        try await withBrokerAndAggregator(
            configure: { keys.aggregator(trainers: admitted)(&$0); $0.bufferSize = 3; $0.shardCount = 3 },
            configureBroker: keys.broker(allowed: admitted), layout: layout,
            weights: [Float](repeating: 0, count: layout.count), trainerCurve: keys.client(keys.trainer)
        ) { broker, aggregator, _ in
            var configuration = loadConfiguration(broker, trainers: 3, duration: 1)
            configuration.curve = keys.client(loadKey)
            let report = try await LoadGenerator(configuration: configuration, logger: quietLogger).run()
            #expect(report.readyTrainers == 3 && report.updatesSent > 0)
            try await eventually(timeout: .seconds(30)) { aggregator.status.counters.updatesAccepted == UInt64(report.updatesSent) }
            #expect(aggregator.status.counters.rejectedTotal == 0)
        }
    }

    /// `trainers` simulated trainers against `broker`, an update every 0.2 s each, for `duration` s.
    private func loadConfiguration(_ broker: BrokerService, trainers: Int, duration: Double) -> LoadGeneratorConfiguration {
        var configuration = LoadGeneratorConfiguration()
        configuration.trainers = trainers
        configuration.modelEndpoint = broker.endpoints.modelOut
        configuration.updateEndpoint = broker.endpoints.updatesIn
        configuration.controlEndpoint = broker.endpoints.controlIn
        configuration.updateInterval = 0.2
        configuration.duration = duration
        return configuration
    }

    @Test func rejectsNonsenseSettings() {
        var configuration = LoadGeneratorConfiguration()
        configuration.trainers = 0
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
        configuration.trainers = 3
        configuration.updateEndpoint = "localhost:5557"
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
    }

    @Test func modelsCarryTheirPublishTime() throws {
        let codec = smallCodec()
        let frames = codec.model([Float](repeating: 1, count: smallLayout.count), version: 3, publishedAt: 1_700_000_000.25)
        let metadata = try frames[2].withUnsafeBytes { try SafeTensors.metadata($0) }
        #expect(metadata[MessageCodec.publishedKey] == "1700000000250000")
        #expect(metadata["fedmq.version"] == "3")
        guard case .model(let version, _) = try codec.decodeBroadcast(frames) else { Issue.record("not a model"); return }
        #expect(version == 3)
    }

    @Test func fileDescriptorLimitIsRaisedToTheHardLimitAndMemoryIsReadable() {
        let limits = FileDescriptorLimit.raiseToHardLimit()
        #expect(limits.soft == limits.hard && limits.soft > 0)
        #expect((ProcessMemory.residentBytesOfSelf ?? 0) > 1 << 20)
        #expect(ProcessMemory.residentBytes(pid: Int32.max) == nil)
    }
}
