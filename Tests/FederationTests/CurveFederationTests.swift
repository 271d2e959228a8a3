import FedMQAggregator
import FedMQBroker
import FedMQProtocol
import FedMQTransport
import Foundation
import Testing
import ZeroMQ

/// Encrypted federations: the in-process broker as a CURVE server, the aggregator and
/// scripted trainers as CURVE clients over loopback TCP (see `withBrokerAndAggregator`).
@Suite(.enabled(if: zmqHas("curve"), "libzmq built without CURVE"))
struct CurveFederationTests {
    let keys: FederationKeys
    let delta: [Float] = [1, 0, -1, 0, 0.5, 0, 0, 2]

    init() throws { keys = try FederationKeys() }

    @Test func anAllowedTrainersUpdatesAreAcceptedOverCurve() async throws {
        let trainerKey = keys.trainer.publicKey
        try await withBrokerAndAggregator(
            configure: keys.aggregator(trainers: [trainerKey]), configureBroker: keys.broker(allowed: [trainerKey]),
            trainerCurve: keys.client(keys.trainer)
        ) { broker, aggregator, trainer in
            let r = try await trainer.register(identity: "t-1")
            let v0 = try await trainer.awaitModel { $0 == 0 }  // (not inside #expect: it may evaluate twice)
            #expect(v0.weights == initialWeights)
            try await trainer.push(trainer.codec.update(delta: delta, baseVersion: 0, trainerID: r.trainerID,
                                                        sequence: 2, sampleCount: 1, trainingLoss: 0))
            let v1 = try await trainer.awaitModel { $0 == 1 }
            #expect(v1.weights == zip(initialWeights, delta).map { $0 + $1 })
            #expect(aggregator.status.counters.updatesAccepted == 1 && aggregator.status.counters.rejectedTotal == 0)
            let authentication = try #require(broker.authentication)
            #expect(authentication.accepted >= 6 && authentication.refused == 0)  // 3 aggregator + 3 trainer sockets
        }
    }

    /// A client the broker does not admit — a key outside its list, or no CURVE at all — gets
    /// no model, no registration, and its pushes never reach the aggregator.
    @Test(arguments: [Intruder.unlistedKey, .plaintext])
    func clientsTheBrokerDoesNotAdmitNeverReachTheModel(_ kind: Intruder) async throws {
        let trainerKey = keys.trainer.publicKey
        let stranger = try CurveKeyPair.generate()
        try await withBrokerAndAggregator(
            configure: keys.aggregator(trainers: nil), configureBroker: keys.broker(allowed: [trainerKey]),
            trainerCurve: keys.client(keys.trainer)
        ) { broker, aggregator, trainer in
            let r = try await trainer.register(identity: "t-1")
            let intruder = try ScriptedTrainer(endpoints: broker.endpoints, codec: trainer.codec,
                                               curve: kind == .plaintext ? nil : keys.client(stranger))
            defer { intruder.close() }
            await #expect(throws: (any Error).self) { try await intruder.awaitAnyBroadcast(within: .seconds(2)) }
            await #expect(throws: (any Error).self) { _ = try await intruder.register(identity: "t-9") }
            let poison = delta.map { $0 * 10 }  // within the harness norm bound (100)
            try await intruder.push(intruder.codec.update(delta: poison, baseVersion: 0, trainerID: r.trainerID,
                                                          sequence: 2, sampleCount: 1, trainingLoss: 0))
            try await trainer.push(trainer.codec.update(delta: delta, baseVersion: 0, trainerID: r.trainerID,
                                                        sequence: 3, sampleCount: 1, trainingLoss: 0))
            let v1 = try await trainer.awaitModel { $0 == 1 }
            #expect(v1.weights == zip(initialWeights, delta).map { $0 + $1 })  // the genuine update alone
            try await Task.sleep(for: .seconds(1))  // a late intrusion would show up as a second update
            #expect(broker.statistics.updates.messagesIn == 1)
            #expect(aggregator.status.version == 1 && aggregator.status.counters.updatesAccepted == 1)
            #expect(aggregator.status.counters.rejectedTotal == 0)
            if kind == .unlistedKey { #expect(try #require(broker.authentication).refused >= 1) }
        }
    }

    /// The broker admits any CURVE key (encryption only); the aggregator's own trainer list
    /// still refuses an unlisted key, and a listed trainer cannot use another trainer's id.
    @Test func theAggregatorRefusesKeysOutsideItsListAndForeignTrainerIDs() async throws {
        let second = try CurveKeyPair.generate()
        let stranger = try CurveKeyPair.generate()
        try await withBrokerAndAggregator(
            configure: keys.aggregator(trainers: [keys.trainer.publicKey, second.publicKey]), configureBroker: keys.broker(allowed: nil),
            trainerCurve: keys.client(keys.trainer)
        ) { broker, aggregator, trainer in
            let r = try await trainer.register(identity: "t-1")
            let outsider = try ScriptedTrainer(endpoints: broker.endpoints, codec: trainer.codec, curve: keys.client(stranger))
            let colleague = try ScriptedTrainer(endpoints: broker.endpoints, codec: trainer.codec, curve: keys.client(second))
            defer { outsider.close(); colleague.close() }
            let v0 = try await outsider.awaitModel { $0 == 0 }  // admitted by the broker: it can read models
            let other = try await colleague.register(identity: "t-2")
            #expect(other.trainerID != r.trainerID)
            let poison = delta.map { $0 * 10 }  // within the harness norm bound (100)
            try await outsider.push(outsider.codec.update(delta: poison, baseVersion: 0, trainerID: r.trainerID,
                                                          sequence: 2, sampleCount: 1, trainingLoss: 0))
            try await colleague.push(colleague.codec.update(delta: poison, baseVersion: 0, trainerID: r.trainerID,
                                                            sequence: 3, sampleCount: 1, trainingLoss: 0))
            try await eventually(timeout: .seconds(20)) { aggregator.status.counters.rejectedTotal >= 2 }
            #expect(aggregator.status.counters.rejected == [RejectionReason.unauthorizedKey.rawValue: 2])
            #expect(aggregator.status.version == 0 && aggregator.status.counters.updatesAccepted == 0)
            let republished = try await trainer.awaitModel { $0 == 0 }
            #expect(republished.weights.map(\.bitPattern) == v0.weights.map(\.bitPattern))
            #expect(v0.weights.map(\.bitPattern) == initialWeights.map(\.bitPattern))
            // The rightful owner of the id is still heard.
            try await trainer.push(trainer.codec.update(delta: delta, baseVersion: 0, trainerID: r.trainerID,
                                                        sequence: 4, sampleCount: 1, trainingLoss: 0))
            let v1 = try await trainer.awaitModel { $0 == 1 }
            #expect(v1.weights == zip(initialWeights, delta).map { $0 + $1 })
        }
    }

    /// A wiretap between the trainer and the broker: with CURVE it never sees the published
    /// model's or the pushed delta's bytes; the same tap on a plaintext run does.
    @Test(arguments: [true, false])
    func aWiretapSeesNoParametersOnlyWhenEncrypted(_ encrypted: Bool) async throws {
        var relays: [TCPRelay] = []
        defer { relays.forEach { $0.stop() } }
        let route = { (endpoints: BrokerEndpoints) throws -> BrokerEndpoints in
            var routed = endpoints
            for path in [\BrokerEndpoints.modelOut, \.updatesIn, \.controlIn] {
                let relay = try TCPRelay(target: endpoints[keyPath: path])
                relays.append(relay)
                routed[keyPath: path] = relay.endpoint
            }
            return routed
        }
        let trainerKey = keys.trainer.publicKey
        let delta = (0..<8).map { Float($0) * 0.37 + 0.11 }
        var published: [UInt8] = []
        var pushed: [UInt8] = []
        try await withBrokerAndAggregator(
            configure: encrypted ? keys.aggregator(trainers: [trainerKey]) : { $0.bufferSize = 1 },
            configureBroker: encrypted ? keys.broker(allowed: [trainerKey]) : { _ in },
            trainerCurve: encrypted ? keys.client(keys.trainer) : nil, route: route
        ) { _, _, trainer in
            let r = try await trainer.register(identity: "t-1")
            _ = try await trainer.awaitModel { $0 == 0 }
            let update = trainer.codec.update(delta: delta, baseVersion: 0, trainerID: r.trainerID,
                                              sequence: 2, sampleCount: 1, trainingLoss: 0)
            try await trainer.push(update)
            _ = try await trainer.awaitModel { $0 == 1 }
            published = trainer.codec.model(initialWeights, version: 0)[2]
            pushed = update[2]
        }
        #expect(relays.count == 3 && relays.allSatisfy { !$0.recorded.isEmpty })
        // 64-byte windows ending with the float data of each safetensors payload.
        let windows = [("model", Array(published.suffix(64))), ("delta", Array(pushed.suffix(64)))]
        for (what, window) in windows {
            #expect(window.count == 64)
            let seen = relays.contains { $0.recorded.contains(run: window) }
            #expect(seen == !encrypted, "\(what) bytes \(seen ? "seen" : "not seen") on the wire, encrypted: \(encrypted)")
        }
    }
}

/// A client the broker should not admit.
enum Intruder: String, Sendable, CustomTestStringConvertible {
    case unlistedKey, plaintext
    var testDescription: String { rawValue }
}

/// The key pairs of one encrypted test federation and the configurations using them.
struct FederationKeys: Sendable {
    let broker: CurveKeyPair
    let aggregator: CurveKeyPair
    let trainer: CurveKeyPair

    init() throws {
        broker = try .generate()
        aggregator = try .generate()
        trainer = try .generate()
    }

    /// CURVE client keys of `pair` for this broker.
    func client(_ pair: CurveKeyPair) -> CurveClientKeys { CurveClientKeys(serverKey: broker.publicKey, keyPair: pair) }

    /// The broker as CURVE server: `allowed` keys on the trainer side (nil: any key), the
    /// aggregator's key alone on the aggregator side.
    func broker(allowed: Set<CurveKey>?) -> (inout BrokerConfiguration) -> Void {
        { [self] in
            $0.curveSecretKey = broker.secretKey
            $0.allowedClientKeys = allowed
            $0.aggregatorKeys = [aggregator.publicKey]
        }
    }

    /// The aggregator as CURVE client accepting `trainers` (nil: any key), one update per version.
    func aggregator(trainers: Set<CurveKey>?) -> @Sendable (inout AggregatorConfiguration) -> Void {
        { [self] in
            $0.bufferSize = 1
            $0.curve = client(aggregator)
            $0.allowedTrainerKeys = trainers
        }
    }
}
