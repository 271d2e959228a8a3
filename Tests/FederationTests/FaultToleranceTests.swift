import FedMQAggregator
import FedMQTools
import Foundation
import Logging
import TensorCore
import Testing

/// Faults with real OS processes: a trainer, the aggregator and the broker are each killed
/// with SIGKILL twice during a run and restarted after a pause, as a restart policy would. The
/// run must carry on and end at its target; versions never go back; checkpoints verify.
@Suite struct FaultToleranceTests {
    static let maxVersions: UInt64 = 80

    /// Buffered MLP run with 4 trainers (the fourth comes back under a new identity just before
    /// an aggregator crash), slowed down so the faults land mid-run; a checkpoint on every version.
    static func configuration(directory: String) -> LaunchConfiguration {
        var c = LaunchConfiguration.bufferedMLP(directory: directory, trainers: 4)
        c.maxVersions = maxVersions
        c.localWork = .steps(50)
        c.slowdowns = [4]
        c.aggregatorArguments = ["--checkpoint-every", "1"]
        return c
    }

    @Test func killedProcessesRestartAndTheRunEndsAtItsTarget() async throws {
        let directory = NSTemporaryDirectory() + "fedmq-faults-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let federation = try ProcessFederation(Self.configuration(directory: directory))
        let floors: [UInt64]
        do { floors = try await crashAndRestart(federation) } catch {
            await federation.killAll()
            throw error
        }
        expectVersionsNeverWentBack(federation, floors: floors)
        expectTrainersCarriedOn(federation)
        try expectCheckpointsVerify(directory + "/checkpoints")
        await federation.killAll()
    }

    // MARK: Steps

    /// Starts everything, then kills and restarts a trainer, the aggregator, the broker, another
    /// trainer, the aggregator and the broker, each after 5 more versions; waits for the end.
    /// Returns the newest metrics version before each aggregator crash.
    private func crashAndRestart(_ federation: ProcessFederation) async throws -> [UInt64] {
        try federation.startAll()

        var floors: [UInt64] = []  // newest version in the metrics before each aggregator crash
        for role in [ProcessFederation.Role.trainer(0), .aggregator, .broker, .trainer(1), .aggregator, .broker] {
            try await waitForProgress(federation, before: role)
            if role == .aggregator && floors.isEmpty { try await rejoinAsNewTrainer(federation) }
            if role == .aggregator { floors.append(federation.metrics.map(\.version).max() ?? 0) }
            await federation.kill9(role)
            try await Task.sleep(for: .seconds(1))
            try federation.start(role)
        }
        try await waitUntil("the aggregator ends the run", timeout: .seconds(300)) { federation.exit(.aggregator) != nil }
        #expect(federation.exit(.aggregator) == .code(0), "aggregator logs: \(federation.logs[.aggregator] ?? [])")
        try await waitUntil("every trainer exits on the stop broadcast", timeout: .seconds(60)) {
            (0..<4).allSatisfy { federation.exit(.trainer($0)) != nil }
        }
        return floors
    }

    /// Waits until the metrics show 5 versions more than now (the last restart worked).
    private func waitForProgress(_ federation: ProcessFederation, before role: ProcessFederation.Role) async throws {
        let mark = (federation.metrics.map(\.version).max() ?? 0) + 5
        try await waitUntil("version \(mark) before killing \(role)", timeout: .seconds(180)) {
            (federation.metrics.map(\.version).max() ?? 0) >= mark
        }
    }

    /// Restarts trainer 4 under a new identity and waits until the aggregator registered it
    /// (a new trainer id): the crash that follows may come before any checkpoint holds it.
    private func rejoinAsNewTrainer(_ federation: ProcessFederation) async throws {
        await federation.kill9(.trainer(3))
        try federation.start(.trainer(3), overrides: ["--identity": "newcomer"])
        try await waitUntil("the newcomer registers", timeout: .seconds(60)) {
            federation.logTexts(.aggregator).last?.contains("identity=newcomer") ?? false
        }
    }

    // MARK: Checks

    private func expectVersionsNeverWentBack(_ federation: ProcessFederation, floors: [UInt64]) {
        let metrics = federation.metrics
        let versions = metrics.map(\.version)
        #expect(versions == versions.sorted(), "metrics versions went back: \(versions)")
        #expect(versions.last == Self.maxVersions)
        let accuracies = metrics.compactMap(\.testAccuracy)
        #expect((accuracies.last ?? 0) > (accuracies.first ?? 1), "accuracies \(accuracies)")
        // Restarted aggregators resume at least where the metrics had got to.
        let logs = federation.logTexts(.aggregator)
        let resumed = logs.dropFirst().map { Self.resumedVersion(in: $0) }
        #expect(resumed.count == floors.count)
        for (version, floor) in zip(resumed, floors) {
            #expect((version ?? 0) >= floor, "resumed at \(version.map(String.init) ?? "nothing"), metrics had \(floor)")
        }
        #expect(logs.last?.contains("reached version \(Self.maxVersions)") ?? false)
        // Each broker restart is noticed and the model re-published (the broker's cache is empty).
        let reconnects = logs.joined().components(separatedBy: "model channel reconnected").count - 1
        #expect(reconnects >= 2, "the aggregators noticed \(reconnects) broker restarts")
        // A trainer adopting an older model would log it.
        for t in 0..<4 {
            for log in federation.logTexts(.trainer(t)) { #expect(!log.contains("went back to an earlier version")) }
        }
    }

    /// Every trainer incarnation trained; the late trainer's id survived the aggregator crash
    /// (no update or heartbeat was refused as coming from an unknown trainer).
    private func expectTrainersCarriedOn(_ federation: ProcessFederation) {
        for t in 0..<4 {
            for (i, log) in federation.logTexts(.trainer(t)).enumerated() {
                #expect(log.contains("update pushed"), "trainer-\(t + 1) incarnation \(i + 1) pushed nothing")
            }
            #expect(federation.logTexts(.trainer(t)).last?.contains("trainer finished") ?? false)
        }
        let final = federation.metrics.last
        #expect(final?.rejected["unknown_trainer"] == nil, "rejections: \(final?.rejected ?? [:])")
        #expect((final?.updatesAccepted ?? 0) >= 2 * Self.maxVersions)
    }

    private func expectCheckpointsVerify(_ directory: String) throws {
        let layout = try ModelArchitecture.named("mlp").layout
        let store = CheckpointStore(directory: directory, layout: layout, logger: Logger(label: "test"))
        let versions = store.versions()
        #expect(versions.last == Self.maxVersions)
        for version in versions { #expect(throws: Never.self) { try store.load(version: version) } }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
        #expect(!names.contains { $0.hasPrefix(".tmp-") }, "left over: \(names)")
    }

    /// The version of the "resumed from checkpoint" line of an aggregator log, if any.
    static func resumedVersion(in log: String) -> UInt64? {
        guard let line = log.split(separator: "\n").first(where: { $0.contains("resumed from checkpoint") }),
              let match = line.firstMatch(of: /version=(\d+)/) else { return nil }
        return UInt64(match.1)
    }
}
