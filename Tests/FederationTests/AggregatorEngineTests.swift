import FedMQAggregator
import FedMQProtocol
import FedMQTransport
import Logging
import SafeTensorsFormat
import Synchronization
import Testing
import ZeroMQ

private let quiet = Logger(label: "test.engine") { _ in SwiftLogNoOpLogHandler() }

private func engine(logger: Logger = quiet, _ configure: (inout AggregatorConfiguration) -> Void) throws -> AggregatorEngine {
    var configuration = AggregatorConfiguration()
    configuration.runID = 7
    configuration.heartbeatTimeout = 10
    configure(&configuration)
    return try AggregatorEngine(configuration: configuration, layout: smallLayout,
                                initialWeights: [Float](repeating: 0, count: 8), logger: logger)
}

private func register(_ engine: AggregatorEngine, _ identity: String, sender: MessageSender = .plaintext,
                      now: Double) throws -> Registration {
    let request = engine.codec.control(.register(RegisterRequest(identity: identity), sequence: 1))
    let reply = try #require(engine.handleControl(request, sender: sender, now: now))
    guard case .registered(let r) = try engine.codec.decodeControl(reply) else { throw AggregatorError("not registered") }
    return r
}

/// The engine's reply to `message` from `sender`, decoded (nil: no reply).
private func reply(_ engine: AggregatorEngine, _ message: ControlMessage, sender: MessageSender = .plaintext,
                   now: Double) throws -> ControlMessage? {
    try engine.handleControl(engine.codec.control(message), sender: sender, now: now).map { try engine.codec.decodeControl($0) }
}

private func send(_ engine: AggregatorEngine, from id: UInt32, base: UInt64, sequence: UInt64, now: Double) -> UInt64? {
    engine.handleUpdate(engine.codec.update(delta: [Float](repeating: 1, count: 8), baseVersion: base, trainerID: id,
                                            sequence: sequence, sampleCount: 5, trainingLoss: 0), now: now)
}

@Test func syncRoundsStopWaitingForExpiredTrainers() throws {
    let e = try engine { $0.mode = .sync; $0.roundSize = 3; $0.roundDeadline = nil }
    let a = try register(e, "a", now: 0), b = try register(e, "b", now: 0), c = try register(e, "c", now: 0)
    #expect(Set([a.trainerID, b.trainerID, c.trainerID]).count == 3)
    #expect(e.tick(now: 1) == nil)
    #expect(send(e, from: a.trainerID, base: 0, sequence: 2, now: 2) == nil)
    #expect(send(e, from: b.trainerID, base: 0, sequence: 2, now: 3) == nil)
    // c goes silent; after the heartbeat timeout the round closes with the two updates.
    _ = e.handleControl(e.codec.control(.heartbeat(trainerID: a.trainerID, sequence: 3)), now: 8)
    _ = e.handleControl(e.codec.control(.heartbeat(trainerID: b.trainerID, sequence: 3)), now: 8)
    #expect(e.tick(now: 12) == 1)
    #expect(e.registry.liveCount == 2 && e.model == [Float](repeating: 1, count: 8))
}

@Test func controlRequestsAreValidatedAndCounted() throws {
    let e = try engine { _ in }
    let a = try register(e, "a", now: 0)
    #expect(try register(e, "a", now: 1).trainerID == a.trainerID)
    #expect(try reply(e, .heartbeat(trainerID: 99, sequence: 1), now: 1) == .unregistered(trainerID: 99, sequence: 1))
    #expect(e.handleControl([[1, 2, 3]], now: 1) == nil)
    #expect(e.counters.rejected == [RejectionReason.unknownTrainer.rawValue: 1, RejectionReason.wrongFrameCount.rawValue: 1])
    _ = e.handleControl(e.codec.control(.goodbye(trainerID: a.trainerID, sequence: 2)), now: 2)
    #expect(e.registry.liveCount == 0)
}

@Test func checkpointOfAnEngineRestoresIntoAnother() throws {
    let first = try engine { $0.mode = .buffered; $0.bufferSize = 1; $0.optimizer = .momentum(lr: 1, beta: 0.5) }
    let r = try register(first, "a", now: 0)
    _ = send(first, from: r.trainerID, base: 0, sequence: 2, now: 1)
    let second = try engine { $0.mode = .buffered; $0.bufferSize = 1; $0.optimizer = .momentum(lr: 1, beta: 0.5) }
    try second.restore(first.checkpoint(savedAt: 0), now: 100)
    #expect(second.version == 1 && second.model == first.model && second.counters.updatesAccepted == 1)
    // Same momentum state: the next identical update moves both identically.
    #expect(send(first, from: r.trainerID, base: 1, sequence: 3, now: 2) == 2)
    #expect(send(second, from: r.trainerID, base: 1, sequence: 3, now: 101) == 2)
    #expect(second.model == first.model)
    let otherRun = try engine { $0.runID = 8 }
    #expect(throws: ConfigurationError.self) { try otherRun.restore(first.checkpoint(savedAt: 0), now: 0) }
}

@Test func syncRoundsWaitForTheMinimumTrainersToRegisterThenFollowTheLiveOnes() throws {
    let e = try engine { $0.mode = .sync; $0.roundSize = 8; $0.minTrainers = 3; $0.roundDeadline = nil }
    let a = try register(e, "a", now: 0), b = try register(e, "b", now: 0)
    #expect(e.tick(now: 1) == nil)
    #expect(send(e, from: a.trainerID, base: 0, sequence: 2, now: 2) == nil)
    #expect(send(e, from: b.trainerID, base: 0, sequence: 2, now: 2) == nil, "two of the three expected trainers do not close a round")
    let c = try register(e, "c", now: 3)
    #expect(e.tick(now: 3) == nil)
    #expect(send(e, from: c.trainerID, base: 0, sequence: 2, now: 4) == 1)
    // The gate stays open: when c goes silent, rounds close with the two live trainers.
    for now in [6.0, 12.0] {
        _ = e.handleControl(e.codec.control(.heartbeat(trainerID: a.trainerID, sequence: UInt64(now))), now: now)
        _ = e.handleControl(e.codec.control(.heartbeat(trainerID: b.trainerID, sequence: UInt64(now))), now: now)
    }
    #expect(e.tick(now: 15) == nil && e.registry.liveCount == 2)
    #expect(send(e, from: a.trainerID, base: 1, sequence: 20, now: 15) == nil)
    #expect(send(e, from: b.trainerID, base: 1, sequence: 20, now: 15) == 2)
}

@Test func heartbeatsAndGoodbyesOfForgottenTrainersAreAnsweredUnregisteredAndTheyRegisterAgain() throws {
    let first = try engine { $0.shardCount = 2 }
    let a = try register(first, "a", now: 0), b = try register(first, "b", now: 0)
    #expect(try reply(first, .heartbeat(trainerID: a.trainerID, sequence: 2), now: 1) == nil)
    // A restart without checkpoints: the new engine knows no one.
    let second = try engine { $0.shardCount = 2 }
    #expect(try reply(second, .heartbeat(trainerID: a.trainerID, sequence: 3), now: 2) == .unregistered(trainerID: a.trainerID, sequence: 3))
    #expect(try reply(second, .goodbye(trainerID: b.trainerID, sequence: 7), now: 2) == .unregistered(trainerID: b.trainerID, sequence: 7))
    #expect(second.counters.rejected == [RejectionReason.unknownTrainer.rawValue: 2])
    #expect(send(second, from: a.trainerID, base: 0, sequence: 4, now: 2) == nil)
    #expect(second.counters.rejected == [RejectionReason.unknownTrainer.rawValue: 3])
    // Registering again under the same identities: ids and updates are accepted again.
    let again = try register(second, "a", now: 3), other = try register(second, "b", now: 3)
    #expect(Set([again.shardIndex, other.shardIndex]) == [0, 1])
    #expect(try reply(second, .heartbeat(trainerID: again.trainerID, sequence: 5), now: 4) == nil)
    #expect(second.registry.liveCount == 2)
    _ = send(second, from: again.trainerID, base: 0, sequence: 6, now: 4)
    #expect(second.counters.updatesAccepted == 1 && second.counters.rejectedTotal == 3)
    // Replies are requests' answers only: an aggregator never takes one as a request.
    #expect(try reply(second, .unregistered(trainerID: again.trainerID, sequence: 8), now: 5) == nil)
    #expect(second.counters.rejected[RejectionReason.unknownKind.rawValue] == 1)
}

@Test(.enabled(if: zmqHas("curve"), "libzmq built without CURVE"))
func withCurveTheUnregisteredReplyNeverBypassesTheKeyChecks() throws {
    let owner = try CurveKeyPair.generate().publicKey, other = try CurveKeyPair.generate().publicKey
    let stranger = try CurveKeyPair.generate().publicKey
    let keys = try FederationKeys()
    let configure: (inout AggregatorConfiguration) -> Void = {
        $0.curve = keys.client(keys.aggregator)
        $0.allowedTrainerKeys = [owner, other]
    }
    let first = try engine(configure)
    let a = try register(first, "a", sender: .key(owner), now: 0)
    // Another key may not heartbeat for a's id, and an unlisted key gets no answer at all.
    #expect(try reply(first, .heartbeat(trainerID: a.trainerID, sequence: 2), sender: .key(other), now: 1) == nil)
    #expect(try reply(first, .heartbeat(trainerID: 99, sequence: 2), sender: .key(stranger), now: 1) == nil)
    #expect(try reply(first, .heartbeat(trainerID: 99, sequence: 2), sender: .unknown, now: 1) == nil)
    #expect(first.counters.rejected == [RejectionReason.unauthorizedKey.rawValue: 3])
    // Restarted with the membership (checkpoint): a's identity stays bound to its key.
    let restored = try engine(configure)
    try restored.restore(first.checkpoint(savedAt: 0), now: 2)
    #expect(try reply(restored, .register(RegisterRequest(identity: "a"), sequence: 3), sender: .key(other), now: 2) == nil)
    #expect(restored.counters.rejected[RejectionReason.unauthorizedKey.rawValue] == 4)
    // Restarted without it: a listed key is told to register again, and the identity it
    // registers binds the id to that key.
    let fresh = try engine(configure)
    #expect(try reply(fresh, .heartbeat(trainerID: a.trainerID, sequence: 4), sender: .key(owner), now: 3)
        == .unregistered(trainerID: a.trainerID, sequence: 4))
    let again = try register(fresh, "a", sender: .key(owner), now: 3)
    #expect(fresh.registry.records[again.trainerID]?.publicKey == owner.z85)
    #expect(try reply(fresh, .register(RegisterRequest(identity: "a"), sequence: 5), sender: .key(other), now: 4) == nil)
    #expect(try reply(fresh, .heartbeat(trainerID: again.trainerID, sequence: 5), sender: .key(other), now: 4) == nil)
    #expect(fresh.counters.rejected == [RejectionReason.unknownTrainer.rawValue: 1, RejectionReason.unauthorizedKey.rawValue: 2])
}

@Test func repeatedUnknownTrainerRejectionsAreLoggedAtMostEveryTenSeconds() throws {
    let lines = LogCapture()
    let e = try engine(logger: Logger(label: "test.engine") { _ in lines }) { _ in }
    for now in [0.0, 1, 2, 3, 9.5] { _ = e.handleControl(e.codec.control(.heartbeat(trainerID: 5, sequence: 1)), now: now) }
    _ = send(e, from: 5, base: 0, sequence: 2, now: 9.9)
    #expect(e.counters.rejected == [RejectionReason.unknownTrainer.rawValue: 6], "every one is counted")
    #expect(lines.entries.count == 1)
    _ = e.handleControl(e.codec.control(.heartbeat(trainerID: 5, sequence: 3)), now: 10.5)
    let entries = lines.entries
    #expect(entries.count == 2 && entries.allSatisfy { $0.metadata["reason"] == "unknown_trainer" })
    #expect(entries.last?.metadata["suppressed"] == "5")
    // Other reasons are not throttled.
    for _ in 0..<3 { _ = e.handleControl([[1]], now: 11) }
    #expect(lines.entries.count == 5)
}

/// A log handler keeping every entry (message and metadata as text).
private final class LogCapture: LogHandler, Sendable {
    struct Entry: Sendable {
        let message: String
        let metadata: [String: String]
    }

    private let store = Mutex<[Entry]>([])
    var entries: [Entry] { store.withLock { $0 } }

    var metadata: Logger.Metadata {
        get { [:] }
        set {}
    }
    var logLevel: Logger.Level {
        get { .trace }
        set {}
    }
    subscript(metadataKey _: String) -> Logger.Metadata.Value? {
        get { nil }
        set {}
    }

    func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String,
             file: String, function: String, line: UInt) {
        let entry = Entry(message: message.description, metadata: (metadata ?? [:]).mapValues { "\($0)" })
        store.withLock { $0.append(entry) }
    }
}

// MARK: Model frames, encoded once per version

/// An async engine that takes updates without registration.
private func asyncEngine() throws -> AggregatorEngine {
    try engine { $0.mode = .async; $0.requireRegistration = false }
}

private func submitRandom(_ engine: AggregatorEngine, seed: UInt64) -> UInt64? {
    engine.handleUpdate(engine.codec.update(delta: randomVector(8, seed: seed), baseVersion: engine.version, trainerID: 1,
                                            sequence: seed, sampleCount: 1, trainingLoss: 0), now: 0)
}

@Test func republishingAVersionReusesItsFramesAndFirstPublishTime() throws {
    let e = try asyncEngine()
    let first = e.modelFrames(publishedAt: 1_700_000_000.25)
    for i in 1...20 { #expect(e.modelFrames(publishedAt: 1_700_000_000.25 + Double(i)) == first, "republish \(i)") }
    #expect(e.modelEncodes == 1)
    // Byte-equal to a fresh encode with the first publish's time (the stamp a republish keeps).
    #expect(first == e.codec.model(e.model, version: 0, publishedAt: 1_700_000_000.25))
    let metadata = try first[2].withUnsafeBytes { try SafeTensors.metadata($0) }
    #expect(metadata[MessageCodec.publishedKey] == "1700000000250000")
    #expect(e.counters.bytesOut == UInt64(21 * first.reduce(0) { $0 + $1.count }))  // every send is still counted
}

@Test func aNewVersionIsEncodedAgain() throws {
    let e = try asyncEngine()
    _ = e.modelFrames(publishedAt: 10)
    #expect(submitRandom(e, seed: 1) == 1)
    let second = e.modelFrames(publishedAt: 20)
    #expect(e.modelEncodes == 2 && e.modelFrames(publishedAt: 30) == second && e.modelEncodes == 2)
    #expect(second == e.codec.model(e.model, version: 1, publishedAt: 20))
    guard case .model(let version, let weights) = try e.codec.decodeBroadcast(second) else { Issue.record("not a model"); return }
    #expect(version == 1 && weights == e.model)
}

@Test func restoringACheckpointDropsTheEncodedModelEvenAtTheSameVersion() throws {
    let e = try asyncEngine(), other = try asyncEngine()
    #expect(submitRandom(e, seed: 1) == 1 && submitRandom(other, seed: 2) == 1 && e.model != other.model)
    _ = e.modelFrames(publishedAt: 10)
    try e.restore(other.checkpoint(savedAt: 0), now: 0)
    let restored = e.modelFrames(publishedAt: 20)
    #expect(e.modelEncodes == 2 && restored == e.codec.model(other.model, version: 1, publishedAt: 20))
}

@Test func aRepublishSendsTheLastPublishedVersionCountedEvenWhenANewerOneIsUnpublished() throws {
    let e = try asyncEngine()
    #expect(e.lastModelFrames() == nil)
    let published = e.modelFrames(publishedAt: 10)
    let sent = e.counters.bytesOut
    #expect(submitRandom(e, seed: 1) == 1)  // version 1 exists but is not published (held for its checkpoint)
    #expect(e.lastModelFrames() == published)
    #expect(e.counters.bytesOut == sent + UInt64(published.reduce(0) { $0 + $1.count }))
    #expect(e.modelEncodes == 1)
}

@Test func trainerRowsCountEachTrainersAcceptedUpdatesAndStaleness() throws {
    let e = try engine { $0.mode = .async; $0.shardCount = 2; $0.shardSizes = [600, 400] }
    let a = try register(e, "a", now: 0), b = try register(e, "b", now: 0)
    #expect(send(e, from: a.trainerID, base: 0, sequence: 2, now: 1) == 1)
    #expect(send(e, from: a.trainerID, base: 0, sequence: 3, now: 4) == 2)  // staleness 1
    #expect(send(e, from: a.trainerID, base: 0, sequence: 3, now: 5) == nil)  // replay: rejected, not counted
    let rows = e.trainerRows(now: 10)
    #expect(rows.map(\.id) == [a.trainerID, b.trainerID] && rows.map(\.identity) == ["a", "b"])
    #expect(rows[0].updatesAccepted == 2 && rows[0].meanStaleness == 0.5 && rows[0].updateInterval == 3)
    #expect(rows[0].samplesPerUpdate == 5 && rows[0].lastSeenAgo == 6)
    #expect(rows.map(\.shardSize) == [600, 400] && rows.map(\.shard) == [0, 1])
    #expect(rows[1].updatesAccepted == 0 && rows[1].meanStaleness == nil && rows[1].updateInterval == nil)
}

/// After a freeze a trainer's updates from one base arrive in a burst: the repeats that come
/// after the model moved past that base count 1/2, 1/3 …; repeats while the base is current
/// (more updates per version than trainers) count in full.
@Test func staleRepeatsOfATrainersStepFromOneBaseAreDiscounted() throws {
    let e = try engine { $0.mode = .buffered; $0.bufferSize = 1; $0.staleness = .constant }
    let a = try register(e, "a", now: 0)
    #expect(send(e, from: a.trainerID, base: 0, sequence: 2, now: 1) == 1)
    #expect(e.model == [Float](repeating: 1, count: 8))
    #expect(send(e, from: a.trainerID, base: 0, sequence: 3, now: 1) == 2)  // stale repeat: × 1/2
    #expect(send(e, from: a.trainerID, base: 0, sequence: 4, now: 1) == 3)  // × 1/3
    #expect(e.model.allSatisfy { abs($0 - (1 + 1.0 / 2 + 1.0 / 3)) < 1e-6 }, "\(e.model)")
    #expect(e.counters.updatesDiscounted == 2)
    #expect(send(e, from: a.trainerID, base: 3, sequence: 5, now: 1) == 4)  // a new base: in full
    #expect(e.model.allSatisfy { abs($0 - (2 + 1.0 / 2 + 1.0 / 3)) < 1e-6 }, "\(e.model)")

    let current = try engine { $0.mode = .buffered; $0.bufferSize = 2; $0.staleness = .constant }
    let b = try register(current, "b", now: 0)
    #expect(send(current, from: b.trainerID, base: 0, sequence: 2, now: 1) == nil)
    #expect(send(current, from: b.trainerID, base: 0, sequence: 3, now: 1) == 1)  // base still current
    #expect(current.model == [Float](repeating: 1, count: 8) && current.counters.updatesDiscounted == 0)
}
