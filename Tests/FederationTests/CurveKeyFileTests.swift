import FedMQProtocol
import FedMQTools
import FedMQTransport
import Foundation
import Testing
import ZeroMQ

/// `fedmq keygen`'s files, key list parsing and `fedmq run --curve` wiring.
@Suite(.enabled(if: zmqHas("curve"), "libzmq built without CURVE"))
struct CurveKeyFileTests {
    @Test func keygenWritesPairsWithPrivateSecretsAndTheTwoLists() throws {
        let directory = CurveKeyDirectory(path: NSTemporaryDirectory() + "fedmq-keys-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(atPath: directory.path) }
        let names = ["broker", "aggregator"] + CurveKeyDirectory.trainerNames(count: 2)
        let pairs = try directory.generate(names: names)
        for name in names {
            let secret = try String(contentsOfFile: directory.secretKeyFile(name), encoding: .utf8)
            let published = try String(contentsOfFile: directory.publicKeyFile(name), encoding: .utf8)
            let derived = try CurveKeyPair(secretKey: CurveKeyList.key(secret, what: name))
            #expect(derived.publicKey == (try CurveKeyList.key(published, what: name)))
            #expect(derived == pairs[name])
            #expect(try permissions(directory.secretKeyFile(name)) == 0o600)
            #expect(try permissions(directory.publicKeyFile(name)) == 0o644)
        }
        let allowed = try CurveKeyList.keys(String(contentsOfFile: directory.allowedKeysFile, encoding: .utf8), what: "allowed")
        let trainers = try CurveKeyList.keys(String(contentsOfFile: directory.trainerKeysFile, encoding: .utf8), what: "trainers")
        #expect(allowed == Set(names.dropFirst().map { pairs[$0]!.publicKey }))
        #expect(trainers == [pairs["trainer-1"]!.publicKey, pairs["trainer-2"]!.publicKey])
        // Never overwrites: a second run into the same directory fails and leaves the keys.
        #expect(throws: ConfigurationError.self) { try directory.generate(names: ["broker"]) }
        #expect(try String(contentsOfFile: directory.secretKeyFile("broker"), encoding: .utf8) == pairs["broker"]!.secretKey.z85 + "\n")
    }

    @Test func keyListsTakeCommasBlanksAndCommentsAndRejectGarbage() throws {
        let a = try CurveKeyPair.generate().publicKey
        let b = try CurveKeyPair.generate().publicKey
        #expect(try CurveKeyList.keys("\(a.z85),\(b.z85)", what: "list") == [a, b])
        #expect(try CurveKeyList.keys("# clients\n\(a.z85)  # trainer-1\n\n  \(b.z85)\n", what: "list") == [a, b])
        #expect(throws: ConfigurationError.self) { try CurveKeyList.keys("# nobody\n", what: "list") }
        #expect(throws: ConfigurationError.self) { try CurveKeyList.keys("\(a.z85),tooShort", what: "list") }
        #expect(throws: ConfigurationError.self) { try CurveKeyList.key(String(a.z85.dropLast()) + "~", what: "key") }
        #expect(throws: ConfigurationError.self) { try CurveKeyDirectory(path: "/tmp").generate(names: ["../evil"]) }
    }

    @Test func runWithCurveWiresEveryProcessToItsOwnKeyFiles() throws {
        let directory = NSTemporaryDirectory() + "fedmq-run-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = LaunchConfiguration(executablesDirectory: "/bin", outputDirectory: directory)
        configuration.trainers = 2
        configuration.curve = true
        let plan = try LaunchPlan(configuration: configuration, layout: RunLayout(directory: directory))
        try plan.generateKeys()
        let keys = plan.keys
        let broker = plan.brokerArguments
        #expect(value(broker, "--curve-secret-key-file") == keys.secretKeyFile("broker"))
        #expect(value(broker, "--allowed-keys-file") == keys.allowedKeysFile)
        #expect(value(broker, "--aggregator-keys-file") == keys.publicKeyFile("aggregator"))
        let clients = [("aggregator", plan.aggregatorArguments)] + (0..<2).map { ("trainer-\($0 + 1)", plan.trainerArguments(index: $0)) }
        for (name, arguments) in clients {
            #expect(value(arguments, "--curve-server-key-file") == keys.publicKeyFile("broker"))
            #expect(value(arguments, "--curve-secret-key-file") == keys.secretKeyFile(name))
            let client = try CurveClientKeys(
                serverKey: String(contentsOfFile: keys.publicKeyFile("broker"), encoding: .utf8),
                secretKey: String(contentsOfFile: keys.secretKeyFile(name), encoding: .utf8))
            #expect(client.keyPair.publicKey == (try CurveKeyList.key(String(contentsOfFile: keys.publicKeyFile(name), encoding: .utf8), what: name)))
        }
        #expect(value(plan.aggregatorArguments, "--trainer-keys-file") == keys.trainerKeysFile)
        // Without --curve nothing mentions keys.
        configuration.curve = false
        let plain = try LaunchPlan(configuration: configuration, layout: RunLayout(directory: directory))
        let all = plain.brokerArguments + plain.aggregatorArguments + plain.trainerArguments(index: 0)
        #expect(!all.contains { $0.contains("curve") || $0.contains("keys") })
    }

    private func permissions(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }
}
