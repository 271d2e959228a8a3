// TrainerSession against a real AggregatorEngine, both without sockets: frames go from one to
// the other by hand and time is an instant the test moves, as AggregatorEngineTests does for
// the aggregator alone.
import FedMQAggregator
import FedMQProtocol
import FedMQTrainer
import Logging
import Testing

private let quiet = Logger(label: "test.session") { _ in SwiftLogNoOpLogHandler() }
private let t0 = ContinuousClock().now

private func at(_ seconds: Double) -> ContinuousClock.Instant { t0 + .seconds(seconds) }

private func asyncEngine() throws -> AggregatorEngine {
    var configuration = AggregatorConfiguration()
    configuration.runID = 7
    configuration.mode = .async
    configuration.heartbeatTimeout = 10
    return try AggregatorEngine(configuration: configuration, layout: smallLayout,
                                initialWeights: [Float](repeating: 0, count: 8), logger: quiet)
}

private func session(runID: UInt64? = nil) -> TrainerSession {
    TrainerSession(layout: smallLayout, identity: "silo-a", runID: runID, registerRetry: 2, heartbeatInterval: 5)
}

/// Sends whatever the session has due at `now` to the engine and hands the replies back.
private func exchange(_ s: inout TrainerSession, _ engine: AggregatorEngine, now: Double) -> [TrainerSession.Event] {
    var events: [TrainerSession.Event] = []
    for frames in [s.registerIfDue(now: at(now)), s.heartbeatIfDue(now: at(now))].compactMap({ $0 }) {
        if let reply = engine.handleControl(frames, now: now), let event = s.receiveControl(reply) { events.append(event) }
    }
    return events
}

/// The weights of the last model adopted among `events`.
private func adoptedWeights(_ events: [TrainerSession.Event]) -> [Float]? {
    for case .adopted(_, _, let weights?) in events.reversed() { return weights }
    return nil
}

private func address(_ x: [Float]) -> UInt { x.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) } }

@Suite struct TrainerSessionTests {
    @Test func aRecycledModelsStorageReceivesTheNextModelWithoutAllocating() throws {
        let codec = smallCodec(runID: 7)
        var s = session(runID: 7)
        var first = try #require(adoptedWeights(s.receiveBroadcasts([codec.model([Float](repeating: 1, count: 8), version: 1)])))
        let storage = address(first)
        s.recycle(first)
        first = []
        var second = try #require(adoptedWeights(s.receiveBroadcasts([codec.model([Float](repeating: 2, count: 8), version: 2)])))
        #expect(second == [Float](repeating: 2, count: 8))
        #expect(address(second) == storage)
        // A payload that fails validation leaves the storage with the session, unharmed for the next.
        s.recycle(second)
        second = []
        var broken = codec.model([Float](repeating: 3, count: 8), version: 3)
        broken[2][broken[2].count - 1] ^= 0xFF
        #expect(adoptedWeights(s.receiveBroadcasts([broken])) == nil)
        let third = try #require(adoptedWeights(s.receiveBroadcasts([codec.model([Float](repeating: 4, count: 8), version: 4)])))
        #expect(third == [Float](repeating: 4, count: 8))
        #expect(address(third) == storage)
    }

    @Test func learnsTheRunIDFromTheFirstBroadcastThenRegistersRetryingEveryRetryInterval() throws {
        let engine = try asyncEngine()
        var s = session()
        let early = s.registerIfDue(now: at(0))
        #expect(early == nil)  // no run id yet: nothing to send
        let joined = s.receiveBroadcasts([engine.modelFrames()])
        #expect(joined.first == .joined(runID: 7))
        #expect(s.heldVersion == 0)
        let first = try #require(s.registerIfDue(now: at(0)) as [[UInt8]]?)
        let tooSoon = s.registerIfDue(now: at(1.9))
        #expect(tooSoon == nil)
        let second = try #require(s.registerIfDue(now: at(2)) as [[UInt8]]?)
        #expect(s.registerAttempts == 2)
        #expect(first != second)  // a new sequence number
        let reply = try #require(engine.handleControl(second, now: 2))
        let registered = s.receiveControl(reply)
        guard case .registered(let registration, again: false)? = registered else {
            Issue.record("not registered")
            return
        }
        #expect(s.trainerID == registration.trainerID)
        #expect(s.registerAttempts == 0)
        let afterRegistration = s.registerIfDue(now: at(10))
        #expect(afterRegistration == nil)
        // A second `registered` (the answer to the first request) changes nothing.
        let duplicate = s.receiveControl(try #require(engine.handleControl(first, now: 2.1)))
        #expect(duplicate == nil)
    }

    @Test func heartbeatsFollowTheIntervalAndKeepTheTrainerLiveAtTheEngine() throws {
        let engine = try asyncEngine()
        var s = session(runID: 7)
        _ = exchange(&s, engine, now: 0)
        #expect(s.isRegistered)
        let early = s.heartbeatIfDue(now: at(4.9))
        #expect(early == nil)
        for step in 1...4 { _ = exchange(&s, engine, now: 5 * Double(step)) }
        #expect(s.heartbeatsSent == 4)
        // Heartbeats every 5 s keep it live past the engine's 10 s timeout; silence ends it.
        _ = engine.tick(now: 21)
        #expect(engine.registry.liveCount == 1)
        _ = engine.tick(now: 31)
        #expect(engine.registry.liveCount == 0)
    }

    @Test func onlyTheNewestQueuedModelIsAdoptedAndABadOneFallsBackToTheOlder() throws {
        let codec = smallCodec(runID: 7)
        var s = session(runID: 7)
        let v1 = codec.model([Float](repeating: 1, count: 8), version: 1)
        let v2 = codec.model([Float](repeating: 2, count: 8), version: 2)
        var broken = codec.model([Float](repeating: 3, count: 8), version: 3)
        broken[2][broken[2].count - 1] ^= 0xFF  // CRC mismatch
        let events = s.receiveBroadcasts([v1, v2, broken])
        #expect(events.count == 2)
        guard case .rejected(let error) = events[0] else { Issue.record("not rejected: \(events)"); return }
        #expect(error.reason == .badChecksum)
        #expect(events[1] == .adopted(version: 2, previous: nil, weights: [Float](repeating: 2, count: 8)))
        let repeated = s.receiveBroadcasts([v2])
        #expect(repeated.isEmpty)  // the version held again: no-op
        // The aggregator went back (restarted from a checkpoint): adopted, with the version before.
        let back = s.receiveBroadcasts([v1])
        #expect(back == [.adopted(version: 1, previous: 2, weights: [Float](repeating: 1, count: 8))])
        // Another run's model is not ours.
        let other = smallCodec(runID: 8).model([Float](repeating: 9, count: 8), version: 5)
        let foreign = s.receiveBroadcasts([other])
        guard case .rejected? = foreign.first else { Issue.record("other run adopted"); return }
        #expect(s.heldVersion == 1)
    }

    @Test func aForgottenTrainerRegistersAgainUnderItsIdentityAndStaleRepliesAreIgnored() throws {
        let engine = try asyncEngine()
        var s = session(runID: 7)
        _ = exchange(&s, engine, now: 0)
        let id = try #require(s.trainerID)
        // An `unregistered` answering a request from before the registration is stale.
        let stale = s.receiveControl(engine.codec.control(.unregistered(trainerID: id, sequence: 1)))
        #expect(stale == nil)
        #expect(s.isRegistered)
        // A restarted aggregator without membership answers the next heartbeat `unregistered`.
        let restarted = try asyncEngine()
        let heartbeat = try #require(s.heartbeatIfDue(now: at(5)) as [[UInt8]]?)
        let answer = try #require(restarted.handleControl(heartbeat, now: 5))
        let forgotten = s.receiveControl(answer)
        #expect(forgotten == .forgotten(trainerID: id))
        #expect(!s.isRegistered)
        let silent = s.heartbeatIfDue(now: at(20))
        #expect(silent == nil)
        let refused = s.update(delta: [Float](repeating: 0, count: 8), base: 0, sampleCount: 1, trainingLoss: 0)
        #expect(refused == nil)
        // It registers again at once, not after the retry interval.
        let events = exchange(&s, restarted, now: 5.1)
        guard case .registered(let again, again: true)? = events.first else { Issue.record("\(events)"); return }
        #expect(s.trainerID == again.trainerID)
        #expect(s.registration == again)
    }

    @Test func updatesCarryTheIdBaseAndIncreasingSequencesAndTheEngineAcceptsThem() throws {
        let engine = try asyncEngine()
        var s = session()
        _ = s.receiveBroadcasts([engine.modelFrames()])
        _ = exchange(&s, engine, now: 0)
        let delta = [Float](repeating: 0.5, count: 8)
        let first = try #require(s.update(delta: delta, base: 0, sampleCount: 10, trainingLoss: 0.25) as [[UInt8]]?)
        #expect(engine.handleUpdate(first, now: 1) == 1)
        // The pre-encoded variant (the load generator's) builds the same bytes but the sequence.
        let payload = first[2]
        let second = try #require(s.update(encodedPayload: payload, checksum: CRC32C.checksum(payload), sampleCount: 10,
                                           trainingLoss: 0.25) as [[UInt8]]?)
        #expect(second[2] == payload)
        let h1 = try MessageHeader.decode(first[1])
        let h2 = try MessageHeader.decode(second[1])
        #expect(h2.sequence == h1.sequence + 1)
        #expect((h2.trainerID, h2.baseVersion, h2.payloadChecksum) == (h1.trainerID, h1.baseVersion, h1.payloadChecksum))
        #expect(engine.handleUpdate(second, now: 2) == 2)
        // Goodbye ends it at the engine.
        #expect(engine.registry.liveCount == 1)
        let goodbye = try #require(s.goodbye() as [[UInt8]]?)
        _ = engine.handleControl(goodbye, now: 3)
        #expect(engine.registry.liveCount == 0)
    }

    @Test func aStopBroadcastEndsRegistration() throws {
        let engine = try asyncEngine()
        var s = session(runID: 7)
        let stopped = s.receiveBroadcasts([engine.stopFrames(reason: "target reached")])
        #expect(stopped == [.stopped(version: 0, reason: "target reached")])
        #expect(s.stopReason == "target reached")
        let afterStop = s.registerIfDue(now: at(0))
        #expect(afterStop == nil)
    }

    @Test func headerOnlySessionsFollowVersionsBothWaysWithoutDecoding() throws {
        let codec = smallCodec(runID: 7)
        var s = session()
        var header = try MessageHeader.decode(codec.model([Float](repeating: 1, count: 8), version: 4)[1])
        let first = s.receiveBroadcast(header: header)
        #expect(first == [.joined(runID: 7), .adopted(version: 4, previous: nil, weights: nil)])
        let repeated = s.receiveBroadcast(header: header)
        #expect(repeated.isEmpty)
        header.modelVersion = 2
        let back = s.receiveBroadcast(header: header)
        #expect(back == [.adopted(version: 2, previous: 4, weights: nil)])
        header.runID = 99
        header.modelVersion = 50
        let foreign = s.receiveBroadcast(header: header)
        #expect(foreign.isEmpty)
        #expect(s.heldVersion == 2)
    }

    @Test func refusalsDoubleTheReconnectWaitUntilRegistrationResetsIt() throws {
        let engine = try asyncEngine()
        var s = session(runID: 7)
        let waits = [s.brokerRefused(now: at(0)), s.brokerRefused(now: at(0.5))]
        #expect(waits == [2, nil])  // the second while already waiting
        let due = [s.reconnectDue(now: at(1.9)), s.reconnectDue(now: at(2)), s.reconnectDue(now: at(2.1))]
        #expect(due == [false, true, false])  // once
        let doubled = s.brokerRefused(now: at(3))
        #expect(doubled == 4)
        let dueAgain = s.reconnectDue(now: at(7))
        #expect(dueAgain)
        _ = exchange(&s, engine, now: 8)
        #expect(s.isRegistered)
        let reset = s.brokerRefused(now: at(9))
        #expect(reset == 2)
    }
}

@Test func retrainingOnTheSameBaseSlowsDownWhileNoNewerModelComes() {
    var c = TrainerConfiguration()
    c.modelWait = 0
    #expect((0...8).map { c.sameBaseWait(after: $0) } == [0, 0, 4, 8, 16, 32, 60, 60, 60])
    c.modelWait = 10
    #expect((1...5).map { c.sameBaseWait(after: $0) } == [10, 10, 10, 16, 32])
    c.modelWait = .infinity
    #expect(c.sameBaseWait(after: 7) == .infinity)
}
