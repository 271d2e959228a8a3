import FedMQProtocol
import FedMQTransport
import Foundation
import Testing
import ZeroMQ

/// Adding keys to an existing key directory (`fedmq keygen` run again to enrol one more
/// trainer): the new public keys are appended to `allowed_keys` and `trainer_keys`, each key
/// listed once; an existing key is never overwritten; a refused or failed call leaves every
/// file as it was (no key without its list entry, no list entry without its key).
@Suite(.enabled(if: zmqHas("curve"), "libzmq built without CURVE"))
struct KeygenAppendTests {
    @Test func aSecondKeygenAddsATrainerToBothListsOnce() throws {
        let directory = CurveKeyDirectory(path: NSTemporaryDirectory() + "fedmq-keys-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(atPath: directory.path) }
        let first = try directory.generate(names: ["broker", "aggregator"] + CurveKeyDirectory.trainerNames(count: 2))
        let second = try directory.generate(names: ["trainer-3"])
        let pairs = first.merging(second) { old, _ in old }
        try expectLists(directory, clients: ["aggregator", "trainer-1", "trainer-2", "trainer-3"], pairs)
        #expect(try String(contentsOfFile: directory.secretKeyFile("trainer-1"), encoding: .utf8) == first["trainer-1"]!.secretKey.z85 + "\n")
    }

    @Test func aRefusedOrFailedKeygenLeavesTheDirectoryAsItWas() throws {
        let directory = CurveKeyDirectory(path: NSTemporaryDirectory() + "fedmq-keys-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(atPath: directory.path) }
        try directory.generate(names: ["broker", "aggregator", "trainer-1"])
        let before = try snapshot(directory)

        // trainer-1's secret key exists: refused before trainer-2 is written.
        let exists = #expect(throws: ConfigurationError.self) { try directory.generate(names: ["trainer-2", "trainer-1"]) }
        #expect(exists?.code == "keygen_exists")
        #expect(exists?.message.contains("never overwrites") == true)
        #expect(try snapshot(directory) == before)

        // A list that does not parse: nothing is added anywhere.
        let brokenTrainerKeys = "not a key\n"
        try brokenTrainerKeys.write(toFile: directory.trainerKeysFile, atomically: true, encoding: .utf8)
        var broken = before
        broken["trainer_keys"] = brokenTrainerKeys
        #expect(throws: ConfigurationError.self) { try directory.generate(names: ["trainer-2"]) }
        #expect(try snapshot(directory) == broken)
    }

    @Test func fedmqKeygenWithMoreTrainersAddsOnlyTheNewOnes() throws {
        let fedmq = LauncherEndToEndTests.executables.appendingPathComponent("fedmq").path
        try #require(FileManager.default.isExecutableFile(atPath: fedmq), "no fedmq executable at \(fedmq)")
        let directory = CurveKeyDirectory(path: NSTemporaryDirectory() + "fedmq-keys-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(atPath: directory.path) }
        let first = try ChildCommand.run(fedmq, ["keygen", "--out", directory.path, "--trainers", "2"], timeout: 30)
        #expect(first.status == 0, "\(first.stderr)")
        let before = try snapshot(directory)
        let second = try ChildCommand.run(fedmq, ["keygen", "--out", directory.path, "--trainers", "3"], timeout: 30)
        #expect(second.status == 0, "\(second.stderr)")
        let after = try snapshot(directory)
        for name in ["broker", "aggregator", "trainer-1", "trainer-2"] {
            #expect(after["\(name).key"] == before["\(name).key"], "\(name)'s key is kept")
        }
        let pairs = try Dictionary(uniqueKeysWithValues: ["aggregator", "trainer-1", "trainer-2", "trainer-3"].map {
            ($0, try CurveKeyPair(secretKey: CurveKeyList.key(String(contentsOfFile: directory.secretKeyFile($0), encoding: .utf8), what: $0)))
        })
        try expectLists(directory, clients: ["aggregator", "trainer-1", "trainer-2", "trainer-3"], pairs)

        let refused = try ChildCommand.run(fedmq, ["keygen", "--out", directory.path, "--name", "trainer-1"], timeout: 30)
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("never overwrites"), "\(refused.stderr)")
        #expect(try snapshot(directory) == after)
    }

    /// `allowed_keys` holds every client's public key exactly once, `trainer_keys` every trainer's.
    private func expectLists(_ directory: CurveKeyDirectory, clients: [String], _ pairs: [String: CurveKeyPair]) throws {
        let allowed = try String(contentsOfFile: directory.allowedKeysFile, encoding: .utf8)
        let trainers = try String(contentsOfFile: directory.trainerKeysFile, encoding: .utf8)
        for name in clients {
            let key = pairs[name]!.publicKey.z85
            #expect(allowed.components(separatedBy: key).count == 2, "\(name) once in allowed_keys")
            #expect(trainers.components(separatedBy: key).count == (CurveKeyDirectory.isTrainer(name) ? 2 : 1),
                    "\(name) in trainer_keys once if a trainer")
        }
        #expect(try CurveKeyList.keys(allowed, what: "allowed").count == clients.count)
        #expect(try CurveKeyList.keys(trainers, what: "trainers").count == clients.filter(CurveKeyDirectory.isTrainer).count)
    }

    /// Every file of the directory by name, with its text.
    private func snapshot(_ directory: CurveKeyDirectory) throws -> [String: String] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        return try Dictionary(uniqueKeysWithValues: names.map {
            ($0, try String(contentsOfFile: directory.path + "/" + $0, encoding: .utf8))
        })
    }
}
