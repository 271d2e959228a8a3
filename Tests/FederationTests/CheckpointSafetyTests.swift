// What an operator's accidents must not do to a run's checkpoints: another run or model started
// on the same directory, a disk that fills up. Real files, real processes' code paths (the
// aggregator service behind a real broker), and a real full disk (a small tmpfs) where root.
import FedMQAggregator
import FedMQProtocol
import Foundation
import SafeTensorsFormat
import Testing

private let otherLayout = ParameterLayout([ParameterSpec(name: "other.weight", shape: [3, 3])])

private func temporaryDirectory() -> String { NSTemporaryDirectory() + "fedmq-ckpt-\(UUID().uuidString)" }

private func checkpoint(_ version: UInt64, run: UInt64, layout: ParameterLayout) -> Checkpoint {
    Checkpoint(state: CheckpointState(version: version, runID: run, fingerprint: layout.fingerprint, mode: "buffered",
                                      optimizer: "sgd:1.0"),
               model: [Float](repeating: Float(version), count: layout.count), stateVectors: [:])
}

private func entries(_ directory: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
}

@Suite(.serialized) struct CheckpointSafetyTests {
    @Test func pruningNeverRemovesAnotherRunsCheckpoints() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let theirs = CheckpointStore(directory: directory, layout: otherLayout, keep: 2, logger: quietLogger)
        for v in UInt64(50)...52 { try theirs.save(checkpoint(v, run: 1, layout: otherLayout)) }
        #expect(theirs.versions() == [51, 52])
        let mine = CheckpointStore(directory: directory, layout: smallLayout, keep: 2, logger: quietLogger)
        for v in UInt64(1)...5 { try mine.save(checkpoint(v, run: 2, layout: smallLayout)) }
        #expect(mine.versions() == [4, 5, 51, 52])
        #expect(try theirs.load(version: 52).model == [Float](repeating: 52, count: otherLayout.count))
    }

    @Test func archivingMovesCheckpointsAndMembershipAsideIntact() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = CheckpointStore(directory: directory, layout: otherLayout, logger: quietLogger)
        for v in UInt64(7)...8 { try store.save(checkpoint(v, run: 1, layout: otherLayout)) }
        try store.saveRegistry(TrainerRegistry(shardCount: 2, timeout: 5))
        let folder = try store.archive(versions: [7, 8], label: "run-1-test")
        #expect(store.versions().isEmpty && store.states().isEmpty)
        #expect(entries(folder) == ["ckpt-00000000000000000007", "ckpt-00000000000000000008", "registry.json"])
        let archived = CheckpointStore(directory: folder, layout: otherLayout, logger: quietLogger)
        #expect(archived.latest()?.state.version == 8)
    }

    @Test func theAggregatorRefusesAnotherModelsCheckpointsAndStartsANewRunOnlyWhenToldLeavingThemIntact() async throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let theirs = CheckpointStore(directory: directory, layout: otherLayout, keep: 3, logger: quietLogger)
        for v in UInt64(20)...22 { try theirs.save(checkpoint(v, run: 7, layout: otherLayout)) }

        var c = AggregatorConfiguration()
        c.runID = 7
        c.evalEvery = 0
        c.checkpointDirectory = directory
        c.checkpointEvery = 1
        let refused = try AggregatorService(configuration: c, layout: smallLayout, initialWeights: initialWeights,
                                            evaluator: nil, logger: quietLogger)
        await #expect { try await refused.run() } throws: { "\($0)".contains("refusing to start") }
        #expect(theirs.versions() == [20, 21, 22])

        try await withBrokerAndAggregator(configure: {
            $0.checkpointDirectory = directory
            $0.checkpointEvery = 1
            $0.keepCheckpoints = 1
            $0.bufferSize = 1
            $0.startNewRun = true
        }) { _, aggregator, trainer in
            let r = try await trainer.register(identity: "t-1")
            for base in UInt64(0)..<3 {
                try await trainer.pushUpdate(delta: [Float](repeating: 0.5, count: 8), base: base, trainerID: r.trainerID)
                _ = try await trainer.awaitModel { $0 == base + 1 }
            }
            #expect(aggregator.status.resumedFrom == nil)
        }
        let archive = try #require(entries(directory + "/archive").first)
        let archived = CheckpointStore(directory: directory + "/archive/" + archive, layout: otherLayout, logger: quietLogger)
        #expect(archived.versions() == [20, 21, 22])
        #expect(archived.latest()?.model == [Float](repeating: 22, count: otherLayout.count))
        let mine = CheckpointStore(directory: directory, layout: smallLayout, logger: quietLogger)
        #expect(mine.versions() == [3])
    }

    @Test(.enabled(if: TmpfsMount.isAvailable, "needs root to mount a small tmpfs"))
    func aFailedSaveOnAFullDiskLeavesNoTemporaryDirectory() throws {
        let disk = try TmpfsMount(kilobytes: 64)
        defer { disk.unmount() }
        let store = CheckpointStore(directory: disk.path + "/ckpt", layout: smallLayout, logger: quietLogger)
        try store.save(checkpoint(1, run: 7, layout: smallLayout))
        try disk.fill()
        for v in UInt64(2)...4 {
            #expect(throws: CheckpointError.self) { try store.save(checkpoint(v, run: 7, layout: smallLayout)) }
        }
        #expect(entries(disk.path + "/ckpt") == ["ckpt-00000000000000000001"])
        try disk.free()
        try store.save(checkpoint(5, run: 7, layout: smallLayout))
        #expect(store.versions() == [1, 5])
    }

    @Test(.enabled(if: TmpfsMount.isAvailable, "needs root to mount a small tmpfs"))
    func whileCheckpointsFailNoVersionIsPublishedAndPublicationResumesWhenTheDiskDoes() async throws {
        let disk = try TmpfsMount(kilobytes: 128)
        defer { disk.unmount() }
        let directory = disk.path + "/ckpt"
        try await withBrokerAndAggregator(configure: {
            $0.checkpointDirectory = directory
            $0.checkpointEvery = 1
            $0.bufferSize = 1
        }) { _, aggregator, trainer in
            let r = try await trainer.register(identity: "t-1")
            let delta = [Float](repeating: 0.5, count: 8)
            try await trainer.pushUpdate(delta: delta, base: 0, trainerID: r.trainerID)
            _ = try await trainer.awaitModel { $0 == 1 }
            try disk.fill()
            try await trainer.pushUpdate(delta: delta, base: 1, trainerID: r.trainerID)
            try await eventually { aggregator.status.publicationHeld }
            // Not published while it is not on disk: the republished model stays at version 1.
            await #expect(throws: (any Error).self) { _ = try await trainer.awaitModel(within: .seconds(2)) { $0 >= 2 } }
            #expect(CheckpointStore(directory: directory, layout: smallLayout, logger: quietLogger).versions() == [1])
            #expect(!entries(directory).contains { $0.hasPrefix(".tmp-") })
            try disk.free()
            let v2 = try await trainer.awaitModel(within: .seconds(10)) { $0 == 2 }
            #expect(v2.weights == zip(initialWeights, delta).map { $0 + 2 * $1 })
            #expect(!aggregator.status.publicationHeld)
            #expect(CheckpointStore(directory: directory, layout: smallLayout, logger: quietLogger).versions() == [1, 2])
        }
    }
}

@Suite struct MetricsWriterFailureTests {
    @Test func aFullDiskIsAnErrorNotACrashAndTheLineIsKept() throws {
        let writer = try MetricsWriter(path: "/dev/full")
        #expect { try writer.write(MetricsRecord(version: 1, wallTime: 1)) } throws: {
            "\($0)".contains("/dev/full") && "\($0)".contains("No space")
        }
        #expect(throws: ConfigurationError.self) { try writer.write(MetricsRecord(version: 2, wallTime: 2)) }
        #expect(writer.pending.count == 2)
    }

    @Test func aMetricsFileDeletedWhileRunningIsCreatedAgain() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/metrics.jsonl"
        let writer = try MetricsWriter(path: path)
        try writer.write(MetricsRecord(version: 1, wallTime: 1))
        try FileManager.default.removeItem(atPath: path)
        try writer.write(MetricsRecord(version: 2, wallTime: 2))
        #expect(MetricsWriter.read(path: path).map(\.version) == [2])
        #expect(writer.reopenings == 1)
    }

    @Test(.enabled(if: TmpfsMount.isAvailable, "needs root to mount a small tmpfs"))
    func linesHeldDuringAFullDiskAreWrittenWholeOnceItFrees() throws {
        let disk = try TmpfsMount(kilobytes: 64)
        defer { disk.unmount() }
        let path = disk.path + "/metrics.jsonl"
        let writer = try MetricsWriter(path: path)
        try writer.write(MetricsRecord(version: 1, wallTime: 1))
        try disk.fill()
        // Lines go into the file's last page until it is full; then each write fails and is kept.
        var version: UInt64 = 1
        var failures = 0
        while failures < 3 && version < 1_000 {
            version += 1
            do { try writer.write(MetricsRecord(version: version, wallTime: Double(version))) } catch { failures += 1 }
        }
        #expect(failures == 3)
        #expect(writer.pending.count == 3)
        try disk.free()
        version += 1
        try writer.write(MetricsRecord(version: version, wallTime: Double(version)))
        #expect(writer.pending.isEmpty)
        #expect(MetricsWriter.read(path: path).map(\.version) == Array(1...version))
    }
}
