// Tests of update feedback (`update_result`): the codec's encoding and checks, the aggregator's
// routes (learned from register and heartbeat, dropped at goodbye, never for strangers), and a
// TrainerSession that takes verdicts on its own updates only. Frames go by hand, no sockets.
@testable import FedMQAggregator
import FedMQProtocol
import FedMQTrainer
import Logging
import Testing

private let quiet = Logger(label: "test.feedback") { _ in SwiftLogNoOpLogHandler() }

@Suite struct UpdateFeedbackTests {
    private let delta = [Float](repeating: 0.01, count: 8)

    private func engine() throws -> AggregatorEngine {
        var configuration = AggregatorConfiguration()
        configuration.runID = 7
        configuration.mode = .async
        return try AggregatorEngine(configuration: configuration, layout: smallLayout,
                                    initialWeights: [Float](repeating: 0, count: 8), logger: quiet)
    }

    /// Sends `request` to the engine, lets `feedback` learn from it (arriving on `route`), returns the reply.
    private func control(_ request: [[UInt8]], _ engine: AggregatorEngine, _ feedback: inout UpdateFeedback,
                         route: [[UInt8]], now: Double) -> [[UInt8]]? {
        let reply = engine.handleControl(request, now: now)
        feedback.learn(request: request, reply: reply, envelope: route, sender: .plaintext, registry: engine.registry)
        return reply
    }

    /// Hands `update` to the engine and returns the routed verdict: route frames, then the message's three.
    private func verdict(_ update: [[UInt8]], _ engine: AggregatorEngine, _ feedback: inout UpdateFeedback,
                         now: Double) -> [[UInt8]]? {
        _ = engine.handleUpdate(update, now: now)
        return feedback.message(forUpdateHeader: update[1], sender: .plaintext, engine: engine)
    }

    @Test func theCodecCarriesTheVerdictInTheHeaderAndAJSONPayload() throws {
        let codec = smallCodec()
        let rejected = UpdateResult(trainerID: 3, sequence: 41, baseVersion: 9, modelVersion: 12, rejection: .tooStale)
        let frames = codec.control(.updateResult(rejected))
        let header = try MessageHeader.decode(frames[1])
        #expect(header.kind == .updateResult && frames[0] == Array("control".utf8))
        #expect(header.trainerID == 3 && header.sequence == 41 && header.baseVersion == 9 && header.modelVersion == 12)
        #expect(String(decoding: frames[2], as: UTF8.self) == #"{"accepted":false,"reason":"too_stale"}"#)
        #expect(try codec.decodeControl(frames) == .updateResult(rejected))
        let accepted = UpdateResult(trainerID: 3, sequence: 42, baseVersion: 12, modelVersion: 13, rejection: nil)
        #expect(String(decoding: codec.control(.updateResult(accepted))[2], as: UTF8.self) == #"{"accepted":true}"#)
    }

    @Test(arguments: [#"{"accepted":false}"#, #"{"accepted":true,"reason":"too_stale"}"#, #"{"accepted":false,"reason":""}"#, #"{"reason":"x"}"#])
    func aContradictoryPayloadIsRejected(payload: String) {
        let header = MessageHeader(kind: .updateResult, runID: 7, fingerprint: smallLayout.fingerprint)
        let frames = FrameCodec.encode(Message(header: header, payload: Array(payload.utf8)))
        #expect(throws: ProtocolError.self) { try smallCodec().decodeControl(frames) }
    }

    @Test func aReasonThisBuildDoesNotKnowIsStillARejection() throws {
        var result = UpdateResult(trainerID: 1, sequence: 2, baseVersion: 0, modelVersion: 0, rejection: nil)
        result.reason = "quota_exceeded"
        guard case .updateResult(let decoded) = try smallCodec().decodeControl(smallCodec().control(.updateResult(result))) else {
            Issue.record("not an update_result")
            return
        }
        #expect(!decoded.accepted && decoded.reason == "quota_exceeded" && decoded.rejection == nil)
    }

    @Test func eachUpdatesSenderLearnsItsVerdictAlongItsLatestControlRoute() throws {
        let engine = try engine()
        var feedback = UpdateFeedback()
        var session = TrainerSession(layout: smallLayout, identity: "silo-a", runID: 7, registerRetry: 2, heartbeatInterval: 5)
        let first: [[UInt8]] = [Array("dealer-1".utf8)]
        let register = session.registerIfDue(now: .now)
        let reply = control(try #require(register), engine, &feedback, route: first, now: 0)
        _ = session.receiveControl(try #require(reply))
        let pushed = session.update(delta: delta, base: 0, sampleCount: 4, trainingLoss: 0.5)
        let update = try #require(pushed)

        let firstVerdict = verdict(update, engine, &feedback, now: 1)
        let accepted = try #require(firstVerdict)
        #expect(Array(accepted.dropLast(3)) == first)
        let event = session.receiveControl(Array(accepted.suffix(3)))
        guard case .updateResult(let result)? = event else {
            Issue.record("no verdict event")
            return
        }
        #expect(result.accepted && result.sequence == 2 && result.baseVersion == 0 && result.modelVersion == engine.version)

        // The trainer reconnected (a new DEALER): its heartbeat moves the route; a replay is rejected there.
        let second: [[UInt8]] = [Array("dealer-2".utf8)]
        let heartbeat = session.heartbeatIfDue(now: .now + .seconds(6))
        let heartbeatReply = control(try #require(heartbeat), engine, &feedback, route: second, now: 2)
        #expect(heartbeatReply == nil)
        let again = verdict(update, engine, &feedback, now: 3)
        let replay = try #require(again)
        #expect(Array(replay.dropLast(3)) == second)
        let replayEvent = session.receiveControl(Array(replay.suffix(3)))
        #expect(replayEvent == .updateResult(UpdateResult(
            trainerID: result.trainerID, sequence: 2, baseVersion: 0, modelVersion: engine.version, rejection: .duplicateSequence)))

        // After goodbye the route is gone: the next update's rejection reaches nobody.
        let goodbye = session.goodbye()
        _ = control(try #require(goodbye), engine, &feedback, route: second, now: 4)
        let late = smallCodec().update(delta: delta, baseVersion: 1, trainerID: result.trainerID, sequence: 9, sampleCount: 4, trainingLoss: 0)
        let lateVerdict = verdict(late, engine, &feedback, now: 5)
        #expect(lateVerdict == nil)
        #expect(feedback.addressed == 2 && feedback.unrouted == 1)
    }

    @Test func anUpdateFromAnIdThatNeverRegisteredOrOfAnotherRunGetsNoVerdict() throws {
        let engine = try engine()
        var feedback = UpdateFeedback()
        let stranger = smallCodec().update(delta: delta, baseVersion: 0, trainerID: 99, sequence: 1, sampleCount: 4, trainingLoss: 0)
        let strangerVerdict = verdict(stranger, engine, &feedback, now: 0)
        #expect(strangerVerdict == nil)
        let register = smallCodec().control(.register(RegisterRequest(identity: "a"), sequence: 1))
        let reply = try #require(control(register, engine, &feedback, route: [[1]], now: 0))
        let id = try MessageHeader.decode(reply[1]).trainerID
        let foreign = smallCodec(runID: 8).update(delta: delta, baseVersion: 0, trainerID: id, sequence: 2, sampleCount: 4, trainingLoss: 0)
        let foreignVerdict = verdict(foreign, engine, &feedback, now: 1)
        #expect(foreignVerdict == nil)
        #expect(feedback.routeCount == 1 && feedback.addressed == 0 && feedback.unrouted == 2)
    }

    @Test func aSessionIgnoresVerdictsOnOtherTrainersOrOnUpdatesFromBeforeItRegistered() throws {
        let engine = try engine()
        var session = TrainerSession(layout: smallLayout, identity: "silo-b", runID: 7, registerRetry: 2, heartbeatInterval: 5)
        let early = UpdateResult(trainerID: 1, sequence: 1, baseVersion: 0, modelVersion: 0, rejection: nil)
        let beforeRegistering = session.receiveControl(engine.codec.control(.updateResult(early)))
        #expect(beforeRegistering == nil)
        let register = session.registerIfDue(now: .now)
        let reply = engine.handleControl(try #require(register), now: 0)
        _ = session.receiveControl(try #require(reply))
        let id = try #require(session.trainerID)
        let stale = UpdateResult(trainerID: id, sequence: 1, baseVersion: 0, modelVersion: 0, rejection: .tooStale)
        let answeringRegister = session.receiveControl(engine.codec.control(.updateResult(stale)))
        #expect(answeringRegister == nil)  // the register's own number
        let other = UpdateResult(trainerID: id + 1, sequence: 5, baseVersion: 0, modelVersion: 0, rejection: nil)
        let othersVerdict = session.receiveControl(engine.codec.control(.updateResult(other)))
        #expect(othersVerdict == nil)
        let mine = UpdateResult(trainerID: id, sequence: 5, baseVersion: 0, modelVersion: 0, rejection: .normExceeded)
        let myVerdict = session.receiveControl(engine.codec.control(.updateResult(mine)))
        #expect(myVerdict == .updateResult(mine))
    }
}
