import FedMQAggregator
import Foundation
import Logging
import Testing

private func temporaryDirectory() -> String {
    let path = NSTemporaryDirectory() + "fedmq-ckpt-\(UUID().uuidString)"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

private func checkpoint(version: UInt64, seed: UInt64) -> Checkpoint {
    var registry = TrainerRegistry(shardCount: 2, timeout: 5)
    _ = registry.register(identity: "a", now: 0)
    return Checkpoint(
        state: CheckpointState(version: version, runID: 7, fingerprint: smallLayout.fingerprint, strategy: "buffered",
                               optimizerSteps: version, counters: ["accepted": 3 * version], registry: registry,
                               runSeconds: 1.5 * Double(version)),
        model: randomVector(smallLayout.count, seed: seed),
        stateVectors: ["optimizer.m": randomVector(8, seed: seed + 1), "optimizer.v": randomVector(8, seed: seed + 2)])
}

@Test func checkpointRoundTripsAndKeepsTheLastN() throws {
    let dir = temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let store = CheckpointStore(directory: dir, layout: smallLayout, keep: 2, logger: Logger(label: "test"))
    for v in UInt64(1)...4 { try store.save(checkpoint(version: v, seed: v)) }
    #expect(store.versions() == [3, 4])
    let loaded = try #require(store.latest())
    let original = checkpoint(version: 4, seed: 4)
    #expect(loaded.state.version == 4 && loaded.state.counters == original.state.counters)
    #expect(loaded.state.registry == original.state.registry && loaded.state.runSeconds == 6)
    #expect(loaded.model == original.model && loaded.stateVectors == original.stateVectors)
}

@Test(arguments: ["model.safetensors", "state.safetensors", "state.json", "MANIFEST.json"])
func corruptCheckpointIsSkippedForThePreviousOne(_ file: String) throws {
    let dir = temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let store = CheckpointStore(directory: dir, layout: smallLayout, keep: 5, logger: Logger(label: "test"))
    try store.save(checkpoint(version: 1, seed: 1))
    let newest = try store.save(checkpoint(version: 2, seed: 2))
    let path = newest + "/" + file
    var bytes = [UInt8](FileManager.default.contents(atPath: path)!)
    bytes[bytes.count / 2] ^= 0x5A  // one flipped byte
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    #expect(throws: CheckpointError.self) { try store.load(version: 2) }
    #expect(store.latest()?.state.version == 1)
}

@Test func halfWrittenCheckpointIsIgnored() throws {
    let dir = temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let store = CheckpointStore(directory: dir, layout: smallLayout, logger: Logger(label: "test"))
    try store.save(checkpoint(version: 5, seed: 5))
    // A crash mid-save leaves a temp dir, or a truncated model file in a renamed dir.
    try FileManager.default.createDirectory(atPath: dir + "/.tmp-6-1", withIntermediateDirectories: true)
    let broken = try store.save(checkpoint(version: 6, seed: 6))
    try Data([1, 2, 3]).write(to: URL(fileURLWithPath: broken + "/model.safetensors"))
    #expect(store.latest()?.state.version == 5)
    #expect(CheckpointStore(directory: dir + "/missing", layout: smallLayout, logger: Logger(label: "t")).latest() == nil)
}

@Test func truncatedModelFileIsRefusedWithItsNameAndThePreviousCheckpointIsUsed() throws {
    let dir = temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let store = CheckpointStore(directory: dir, layout: smallLayout, logger: Logger(label: "test"))
    try store.save(checkpoint(version: 7, seed: 7))
    let newest = try store.save(checkpoint(version: 8, seed: 8))
    let path = newest + "/model.safetensors"
    let bytes = try #require(FileManager.default.contents(atPath: path))
    try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: path))  // a torn write
    let error = #expect(throws: CheckpointError.self) { try store.load(version: 8) }
    #expect(error?.code == "checksum" && error?.message.contains("model.safetensors") == true, "\(String(describing: error))")
    #expect(store.latest()?.state.version == 7)
}

@Test func trainerMembershipRoundTripsAndAnUnreadableFileIsIgnored() throws {
    let dir = temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let store = CheckpointStore(directory: dir, layout: smallLayout, logger: Logger(label: "test"))
    #expect(store.latestRegistry() == nil)
    var registry = TrainerRegistry(shardCount: 3, timeout: 5)
    _ = registry.register(identity: "late", now: 1)
    try store.saveRegistry(registry)
    #expect(store.latestRegistry() == registry)
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["registry.json"], "no temp file left")
    try Data("{\"shardCount\":".utf8).write(to: URL(fileURLWithPath: dir + "/registry.json"))
    #expect(store.latestRegistry() == nil)
}
