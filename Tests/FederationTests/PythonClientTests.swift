import FedMQTransport
import Foundation
import Testing
import ZeroMQ

/// The wire protocol is language-neutral: `clients/python/fedmq_client.py`, written from
/// docs/PROTOCOL.md with pyzmq, numpy and safetensors, registers through the real broker,
/// decodes the current model and pushes a delta that the aggregator accepts and applies.
@Suite struct PythonClientTests {
    @Test(.enabled(if: PythonPeer.available, "python3 with pyzmq, numpy and safetensors (scripts/install-deps.sh)"))
    func pythonClientJoinsAndItsUpdateIsApplied() async throws {
        try await withBrokerAndAggregator(configure: { $0.bufferSize = 1 }) { broker, aggregator, observer in
            let result = try await PythonPeer.runClient(endpoints: broker.endpoints, runID: 7, deltaScale: 0.001)
            let summary = try #require(
                try JSONSerialization.jsonObject(with: Data(result.utf8)) as? [String: Any], "client printed: \(result)")
            #expect(summary["names"] as? [String] == ["fc.weight", "fc.bias"])
            #expect(summary["model_version"] as? Int == 0)
            #expect((summary["trainer_id"] as? Int ?? 0) >= 1)
            #expect(summary["fingerprint"] as? String == String(format: "%016llx", smallLayout.fingerprint))

            let expected = initialWeights.map { $0 + Float(0.001) * ($0 > 0 ? 1 : $0 < 0 ? -1 : 0) }
            let v1 = try await observer.awaitModel { $0 == 1 }
            #expect(v1.weights.map(\.bitPattern) == expected.map(\.bitPattern))
            #expect(aggregator.status.counters.updatesAccepted == 1)
            #expect(aggregator.status.counters.rejectedTotal == 0)
        }
    }

    /// The same client as a CURVE client (pyzmq), with its key read from a file as `fedmq
    /// keygen` writes it: the broker and the aggregator admit it only by that key.
    @Test(.enabled(if: PythonPeer.available && zmqHas("curve"), "python3 with pyzmq, numpy and safetensors; libzmq with CURVE"))
    func pythonClientJoinsOverCurveWithItsKeyFromAFile() async throws {
        let keys = try FederationKeys()
        let python = try CurveKeyPair.generate()
        let keyFile = NSTemporaryDirectory() + "fedmq-python-\(UUID().uuidString).key"
        try (python.secretKey.z85 + "\n").write(toFile: keyFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: keyFile) }
        let admitted: Set<CurveKey> = [python.publicKey, keys.trainer.publicKey]  // the client, the observer
        try await withBrokerAndAggregator(
            configure: keys.aggregator(trainers: admitted), configureBroker: keys.broker(allowed: admitted),
            trainerCurve: keys.client(keys.trainer)
        ) { broker, aggregator, observer in
            let result = try await PythonPeer.runClient(
                endpoints: broker.endpoints, runID: 7, deltaScale: 0.001,
                extraArguments: ["--curve-server-key", keys.broker.publicKey.z85, "--curve-secret-key-file", keyFile])
            let summary = try #require(
                try JSONSerialization.jsonObject(with: Data(result.utf8)) as? [String: Any], "client printed: \(result)")
            #expect(summary["model_version"] as? Int == 0)
            let v1 = try await observer.awaitModel { $0 == 1 }
            #expect(v1.weights != initialWeights)
            #expect(aggregator.status.counters.updatesAccepted == 1 && aggregator.status.counters.rejectedTotal == 0)
        }
    }
}

/// Runs the Python protocol client as a child process.
enum PythonPeer {
    static let clientPath = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("clients/python/fedmq_client.py").path

    /// True when python3 imports zmq, numpy and safetensors. In CI (`CI` set) the test always
    /// runs, so a missing install fails loudly instead of skipping.
    static let available: Bool = {
        if ProcessInfo.processInfo.environment["CI"] != nil { return true }
        return (try? run(["-c", "import zmq, numpy, safetensors"], timeout: 30)) != nil
    }()

    static func runClient(endpoints: BrokerEndpoints, runID: UInt64, deltaScale: Double,
                          extraArguments: [String] = []) async throws -> String {
        let args = [clientPath, "--host", "127.0.0.1",
                    "--model-port", port(endpoints.modelOut), "--updates-port", port(endpoints.updatesIn),
                    "--control-port", port(endpoints.controlIn), "--run-id", "\(runID)",
                    "--delta-scale", "\(deltaScale)", "--json", "--timeout", "20"] + extraArguments
        return try await SocketThread.run { try run(args, timeout: 60) }
    }

    private static func port(_ endpoint: String) -> String {
        String(endpoint.split(separator: ":").last ?? "")
    }

    /// Runs `python3 args`, returning stdout; throws with stderr on failure or timeout.
    static func run(_ args: [String], timeout: TimeInterval) throws -> String {
        let result = try ChildCommand.run("/usr/bin/env", ["python3"] + args, timeout: timeout)
        guard result.status == 0 else {
            throw ChildCommandError(message: "python3 \(args.joined(separator: " ")) exited \(result.status): \(result.stderr)")
        }
        return result.stdout
    }
}

