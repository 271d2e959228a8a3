import Federation
import Logging
import Testing

private let quiet = Logger(label: "test.engine") { _ in SwiftLogNoOpLogHandler() }

private func engine(_ configure: (inout AggregatorConfiguration) -> Void) throws -> AggregatorEngine {
    var configuration = AggregatorConfiguration()
    configuration.runID = 7
    configuration.heartbeatTimeout = 10
    configure(&configuration)
    return try AggregatorEngine(configuration: configuration, layout: smallLayout,
                                initialWeights: [Float](repeating: 0, count: 8), logger: quiet)
}

private func register(_ engine: AggregatorEngine, _ identity: String, now: Double) throws -> Registration {
    let reply = try #require(engine.handleControl(engine.codec.control(.register(RegisterRequest(identity: identity), sequence: 1)), now: now))
    guard case .registered(let r) = try engine.codec.decodeControl(reply) else { throw AggregatorError("not registered") }
    return r
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
    #expect(e.handleControl(e.codec.control(.heartbeat(trainerID: 99, sequence: 1)), now: 1) == nil)
    #expect(e.handleControl([[1, 2, 3]], now: 1) == nil)
    #expect(e.counters.rejected == [RejectionReason.unknownTrainer.rawValue: 1, RejectionReason.wrongFrameCount.rawValue: 1])
    _ = e.handleControl(e.codec.control(.goodbye(trainerID: a.trainerID, sequence: 2)), now: 2)
    #expect(e.registry.liveCount == 0)
}

@Test func checkpointOfAnEngineRestoresIntoAnother() throws {
    let first = try engine { $0.mode = .buffered; $0.bufferSize = 1; $0.optimizer = "momentum:1,0.5" }
    let r = try register(first, "a", now: 0)
    _ = send(first, from: r.trainerID, base: 0, sequence: 2, now: 1)
    let second = try engine { $0.mode = .buffered; $0.bufferSize = 1; $0.optimizer = "momentum:1,0.5" }
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
