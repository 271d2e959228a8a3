import FedMQTools
import FedMQTransport
import Foundation
import Testing

/// Key rotation without a restart, with real processes: the broker executable reads its key
/// files again on SIGHUP. A trainer whose key is missing from `allowed_keys` gets nothing until
/// the key is added and the broker is sent SIGHUP (the refused trainer says why and reconnects
/// with a growing wait); a list that does not parse leaves the keys in force unchanged and the
/// broker running; the aggregator's SIGHUP revokes a key's messages at once.
@Suite struct KeyReloadTests {
    @Test func aTrainerAddedToTheKeyFileIsAdmittedOnSIGHUP() async throws {
        let directory = NSTemporaryDirectory() + "fedmq-key-reload-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let federation = try ProcessFederation(Self.configuration(directory: directory))
        do { try await rotate(federation) } catch {
            await federation.killAll()
            throw error
        }
        await federation.killAll()
    }

    /// Buffered MLP run (K 1) of 2 CURVE trainers with a version cap it does not reach.
    static func configuration(directory: String) -> LaunchConfiguration {
        var c = LaunchConfiguration.bufferedMLP(directory: directory, trainers: 2)
        (c.bufferSize, c.maxVersions, c.evalEvery, c.localWork) = (1, 100_000, 1_000, .steps(5))
        c.curve = true
        return c
    }

    private func rotate(_ federation: ProcessFederation) async throws {
        try federation.plan.generateKeys()
        let keys = federation.plan.keys
        let allowed = try String(contentsOfFile: keys.allowedKeysFile, encoding: .utf8)
        let late = try String(contentsOfFile: keys.publicKeyFile(CurveKeyDirectory.trainerName(1)), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let withoutLate = allowed.split(separator: "\n").filter { !$0.contains(late) }.joined(separator: "\n") + "\n"
        #expect(withoutLate != allowed)
        try withoutLate.write(toFile: keys.allowedKeysFile, atomically: true, encoding: .utf8)

        try federation.start(.broker)
        try federation.start(.aggregator)
        try federation.start(.trainer(0))
        try federation.start(.trainer(1))
        try await waitUntil("trainer 2 says the broker refused its key", timeout: .seconds(120)) {
            federation.logTexts(.trainer(1)).joined().contains("the broker refused this trainer's CURVE key")
        }
        try await waitUntil("trainer 1 pushes 5 updates", timeout: .seconds(120)) { pushes(federation, 0) >= 5 }
        #expect(pushes(federation, 1) == 0, "a key the broker does not list gets no model")

        try allowed.write(toFile: keys.allowedKeysFile, atomically: true, encoding: .utf8)
        federation.signal(.broker, SIGHUP)
        try await waitUntil("trainer 2 pushes after the SIGHUP", timeout: .seconds(120)) { pushes(federation, 1) >= 2 }
        #expect(federation.logTexts(.broker).joined().contains("CURVE keys reloaded"))

        try "not a key\n".write(toFile: keys.allowedKeysFile, atomically: true, encoding: .utf8)
        federation.signal(.broker, SIGHUP)
        try await waitUntil("the broker refuses the broken list", timeout: .seconds(30)) {
            federation.logTexts(.broker).joined().contains("keys not reloaded")
        }
        let mark = pushes(federation, 1) + 2
        try await waitUntil("trainer 2 carries on", timeout: .seconds(60)) { pushes(federation, 1) >= mark }
        #expect(federation.exit(.broker) == nil, "the broker still runs")
        try await revokeAtTheAggregator(late, federation)
    }

    /// Removing trainer 2's key from the aggregator's trainer_keys and sending it SIGHUP refuses
    /// that trainer's messages at once, on its open connection, while trainer 1 goes on.
    private func revokeAtTheAggregator(_ late: String, _ federation: ProcessFederation) async throws {
        let file = federation.plan.keys.trainerKeysFile
        let listed = try String(contentsOfFile: file, encoding: .utf8)
        try (listed.split(separator: "\n").filter { !$0.contains(late) }.joined(separator: "\n") + "\n")
            .write(toFile: file, atomically: true, encoding: .utf8)
        federation.signal(.aggregator, SIGHUP)
        let refused = { (log: String) in log.components(separatedBy: "trainer keys reloaded").dropFirst().joined() }
        try await waitUntil("trainer 2's messages are refused", timeout: .seconds(60)) {
            refused(federation.logTexts(.aggregator).joined()).contains("is not an allowed trainer")
        }
        let mark = pushes(federation, 0) + 2
        try await waitUntil("trainer 1 goes on", timeout: .seconds(60)) { pushes(federation, 0) >= mark }
        #expect(federation.exit(.aggregator) == nil, "the aggregator still runs")
    }

    /// Updates trainer `index` has pushed so far, from its log.
    private func pushes(_ federation: ProcessFederation, _ index: Int) -> Int {
        federation.logTexts(.trainer(index)).joined().components(separatedBy: "update pushed").count - 1
    }
}
