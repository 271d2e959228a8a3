// Tests of federated evaluation: the `evaluate`/`evaluation` messages and their checks, the
// aggregator's sample-weighted collection per version (closing when everyone asked answered or
// at the deadline), and the engine taking answers only from registered trainers.
import FedMQAggregator
import FedMQProtocol
import Logging
import Testing

private let quiet = Logger(label: "test.federated") { _ in SwiftLogNoOpLogHandler() }

@Suite struct FederatedEvaluationTests {
    private func report(_ trainer: UInt32, version: UInt64 = 4, samples: UInt32, accuracy: Double, loss: Double = 1) -> EvaluationReport {
        EvaluationReport(trainerID: trainer, sequence: 9, version: version, samples: samples, loss: loss, accuracy: accuracy)
    }

    @Test func answersAreAveragedWeightedBySamplesOnceEveryTrainerAskedAnswered() {
        var collection = FederatedEvaluation(timeout: 30)
        collection.open(version: 4, asked: 2, now: 0)
        let taken = [collection.record(report(1, samples: 1000, accuracy: 0.9, loss: 0.3)),
                     collection.record(report(1, samples: 1000, accuracy: 0.1)),  // one answer per trainer
                     collection.record(report(2, version: 5, samples: 10, accuracy: 0.5))]  // not asked
        #expect(taken == [true, false, false])
        let early = collection.close(now: 1)
        #expect(early.isEmpty)  // trainer 2 has not answered, deadline not reached
        let second = collection.record(report(2, samples: 3000, accuracy: 0.5, loss: 0.7))
        #expect(second)
        let results = collection.close(now: 2)
        #expect(results.count == 1 && collection.openVersions.isEmpty)
        let result = results.first
        #expect(result?.version == 4 && result?.samples == 4000 && result?.trainers == 2)
        #expect(abs((result?.accuracy ?? 0) - 0.6) < 1e-12)  // (0.9 × 1000 + 0.5 × 3000) / 4000
        #expect(abs((result?.loss ?? 0) - 0.6) < 1e-12)  // (0.3 × 1000 + 0.7 × 3000) / 4000
    }

    @Test func theDeadlineClosesAVersionWithTheAnswersItHasAndNoneGivesNoResult() {
        var collection = FederatedEvaluation(timeout: 10)
        collection.open(version: 2, asked: 3, now: 0)
        collection.open(version: 4, asked: 3, now: 5)
        collection.open(version: 6, asked: 0, now: 5)  // nobody to ask: nothing opened
        collection.record(report(7, version: 4, samples: 50, accuracy: 0.8))
        #expect(collection.openVersions == [2, 4])
        let atTen = collection.close(now: 10)
        #expect(atTen.isEmpty)  // version 2 expired without answers
        let atFifteen = collection.close(now: 15)
        #expect(atFifteen.map(\.version) == [4])
        #expect(collection.openVersions.isEmpty)
    }

    @Test func atMostSixteenVersionsWaitAndTheOldestIsClosedWithWhatItHas() {
        var collection = FederatedEvaluation(timeout: 1000)
        for version in UInt64(1)...16 { collection.open(version: version, asked: 2, now: 0) }
        collection.record(report(1, version: 1, samples: 5, accuracy: 0.25))
        collection.open(version: 17, asked: 2, now: 0)
        #expect(collection.openVersions == Array(2...17))
        let closed = collection.close(now: 1)
        #expect(closed.map(\.accuracy) == [0.25])
    }

    @Test func theMessagesRoundTripAndImpossibleFiguresAreRejected() throws {
        let codec = smallCodec()
        let answer = report(3, samples: 2000, accuracy: 0.8125, loss: 0.5)
        let frames = codec.control(.evaluation(answer))
        let header = try MessageHeader.decode(frames[1])
        #expect(header.kind == .evaluation && header.modelVersion == 4 && header.sampleCount == 2000 && header.trainerID == 3)
        #expect(try codec.decodeControl(frames) == .evaluation(answer))
        #expect(try codec.decodeControl(codec.control(.evaluate(version: 12))) == .evaluate(version: 12))
        for bad in [report(3, samples: 0, accuracy: 0.5), report(3, samples: 10, accuracy: 1.5),
                    report(3, samples: 10, accuracy: .nan), report(3, samples: 10, accuracy: 0.5, loss: .infinity)] {
            #expect(throws: ProtocolError.self, "\(bad)") { try codec.decodeControl(codec.control(.evaluation(bad))) }
        }
        var lying = codec.control(.evaluation(answer))
        var h = try MessageHeader.decode(lying[1])
        h.sampleCount = 1  // the header disagrees with the payload
        lying[1] = h.encoded()
        #expect(throws: ProtocolError.self) { try codec.decodeControl(lying) }
    }

    @Test func theEngineTakesAnswersFromRegisteredTrainersOnly() throws {
        var configuration = AggregatorConfiguration()
        configuration.runID = 7
        let engine = try AggregatorEngine(configuration: configuration, layout: smallLayout,
                                          initialWeights: [Float](repeating: 0, count: 8), logger: quiet)
        let request = engine.requestFederatedEvaluation(of: 0, asked: 1, now: 0)
        #expect(try engine.codec.decodeControl(request) == .evaluate(version: 0))
        let stranger = engine.codec.control(.evaluation(report(42, version: 0, samples: 10, accuracy: 0.5)))
        #expect(engine.handleControl(stranger, now: 1) == nil)
        #expect(engine.counters.rejected[RejectionReason.unknownTrainer.rawValue] == 1)
        let reply = try #require(engine.handleControl(engine.codec.control(.register(RegisterRequest(identity: "a"), sequence: 1)), now: 1))
        let id = try MessageHeader.decode(reply[1]).trainerID
        #expect(engine.handleControl(engine.codec.control(.evaluation(report(id, version: 0, samples: 10, accuracy: 0.5))), now: 2) == nil)
        #expect(engine.closeFederatedEvaluations(now: 3).map(\.trainers) == [1])
    }
}
