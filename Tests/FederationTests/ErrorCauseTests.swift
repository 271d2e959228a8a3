// Errors that wrap another error keep it as `underlying`, so a caller (or a log line) can
// still tell an ENOSPC from an EACCES, or a ZeroMQ bind failure from a bad key, after the
// error has crossed a module boundary. One test per error type shows the cause is kept.
import FedMQAggregator
import FedMQBroker
import FedMQProtocol
import FedMQTools
import FedMQTrainer
import FedMQTransport
import Foundation
import Logging
import SafeTensorsFormat
import Testing
import ZeroMQ

@Suite struct ErrorCauseTests {
    @Test func configurationErrorKeepsTheKeyParsersError() {
        let error = #expect(throws: ConfigurationError.self) { try CurveKeyList.key("tooShort", what: "--curve-secret-key") }
        #expect(error?.code == "curve_key")
        #expect(error?.underlying != nil)
        // Equality ignores the cause.
        #expect(error == ConfigurationError(error?.message ?? "", code: "curve_key"))
    }

    @Test func brokerErrorKeepsTheZeroMQError() {
        var configuration = BrokerConfiguration()
        configuration.ports = .ephemeral
        configuration.bindHost = "no-such-interface-fedmq"
        let error = #expect(throws: BrokerError.self) { _ = try BrokerService(configuration: configuration, logger: Logger(label: "test")) }
        #expect(error?.code == .socketSetupFailed)
        #expect(error?.underlying is ZMQError, "\(String(describing: error?.underlying))")
    }

    @Test func trainerErrorKeepsItsCauseAndComparesWithoutIt() {
        let cause = ProtocolError(.fingerprintMismatch, "layout differs")
        let error = TrainerError("the aggregator's model differs", code: "fingerprint_mismatch", underlying: cause)
        #expect(error.underlying as? ProtocolError == cause)
        #expect(error == TrainerError("the aggregator's model differs", code: "fingerprint_mismatch"))
    }

    @Test func checkpointWriteFailureKeepsThePOSIXError() throws {
        let directory = NSTemporaryDirectory() + "fedmq-cause-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // A directory where the registry's temporary file goes: open(O_CREAT) fails with EISDIR.
        try FileManager.default.createDirectory(
            atPath: directory + "/.tmp-registry-\(ProcessInfo.processInfo.processIdentifier)", withIntermediateDirectories: true)
        let store = CheckpointStore(directory: directory, layout: smallLayout, keep: 2, logger: Logger(label: "test"))
        let error = #expect(throws: CheckpointError.self) { try store.saveRegistry(TrainerRegistry(shardCount: 2, timeout: 5)) }
        #expect(error?.code == "io")
        #expect((error?.underlying as? POSIXError)?.code == .EISDIR, "\(String(describing: error?.underlying))")
    }

    @Test func launchErrorKeepsTheSpawnError() {
        let log = NSTemporaryDirectory() + "fedmq-cause-\(UUID().uuidString).log"
        defer { try? FileManager.default.removeItem(atPath: log) }
        let child = ChildProcess(name: "ghost", executable: "/nonexistent/fedmq-ghost", arguments: [], logPath: log)
        let error = #expect(throws: LaunchError.self) { try child.start() }
        #expect(error?.code == "spawn")
        #expect(error?.underlying != nil)
    }

    @Test func protocolErrorKeepsTheSafeTensorsError() throws {
        let codec = smallCodec()
        let frames = codec.model(randomVector(smallLayout.count, seed: 1), version: 1)
        let renamed = ParameterLayout(smallLayout.parameters.map { ParameterSpec(name: $0.name + "_x", shape: $0.shape) })
        let header = try MessageHeader.decode(frames[1])
        let wrong = FrameCodec.encode(Message(header: header, payload: SafeTensors.encode(flat: randomVector(smallLayout.count, seed: 2), layout: renamed)))
        let error = #expect(throws: ProtocolError.self) { _ = try codec.decodeBroadcast(wrong) }
        #expect(error?.reason == .payloadDecode)
        #expect(error?.underlying is SafeTensorsError, "\(String(describing: error?.underlying))")
    }

    @Test func safeTensorsErrorKeepsTheJSONError() {
        let json = Array("{\"a\": ".utf8)
        var bytes = withUnsafeBytes(of: UInt64(json.count).littleEndian, Array.init)
        bytes += json
        let error = #expect(throws: SafeTensorsError.self) { _ = try SafeTensors.decode(bytes) }
        #expect(error?.code == .invalidJSON)
        #expect(error?.underlying != nil)
    }
}
