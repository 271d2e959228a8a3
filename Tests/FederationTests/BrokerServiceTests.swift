import FedMQBroker
import FedMQProtocol
import Logging
import Testing
import ZeroMQ

/// End-to-end tests of the broker in-process on ephemeral loopback ports. Blocking socket
/// calls run on dedicated threads (`SocketThread.run`), never on the cooperative pool.
@Suite struct BrokerServiceTests {
    @Test func lateSubscriberGetsTheCachedModelAtOnce() async throws {
        try await withBroker { broker in
            let context = try Context()
            let publisher = try brokerTestSocket(context, .pub)
            try publisher.connect(broker.endpoints.modelIn)
            // PUB drops until the broker's subscription arrives: republish until v2 is cached.
            try await eventually {
                try await SocketThread.run {
                    try publisher.send([bytes("model/a"), bytes("v1")])
                    try publisher.send([bytes("model/b"), bytes("other")])
                    try publisher.send([bytes("model/a"), bytes("v2")])
                }
                return broker.statistics.cachedTopics == 2
            }
            let (message, elapsed) = try await SocketThread.run {
                let subscriber = try brokerTestSocket(context, .sub, timeout: .seconds(1))
                try subscriber.set(.subscribe("model/a"))
                let clock = ContinuousClock()
                let start = clock.now
                try subscriber.connect(broker.endpoints.modelOut)
                return (try subscriber.receiveMultipart(), clock.now - start)
            }
            #expect(message == [bytes("model/a"), bytes("v2")])
            #expect(elapsed < .seconds(1))
            let statistics = broker.statistics
            #expect(statistics.subscriptions >= 1)
            #expect(statistics.model.messagesOut >= 1)
        }
    }

    @Test func lateSubscriberDoesNotDuplicateTheModelForOthers() async throws {
        try await withBroker { broker in
            let context = try Context()
            let publisher = try brokerTestSocket(context, .pub)
            try publisher.connect(broker.endpoints.modelIn)
            try await eventually {
                _ = try await SocketThread.run { try publisher.send([bytes("model"), bytes("v1")]) }
                return broker.statistics.cachedTopics == 1
            }
            let (early, late, earlyAfterLateJoined, live) = try await SocketThread.run {
                func subscriber() throws -> Socket {
                    let socket = try brokerTestSocket(context, .sub, timeout: .milliseconds(300))
                    try socket.set(.subscribe("model"))
                    try socket.connect(broker.endpoints.modelOut)
                    return socket
                }
                let first = try subscriber()
                let early = try first.receiveMultipart()
                let second = try subscriber()
                let late = try second.receiveMultipart()
                let duplicate = try first.receiveMultipart()
                try publisher.send([bytes("model"), bytes("v2")])
                let live = [try first.receiveMultipart(), try second.receiveMultipart()]
                return (early, late, duplicate, live)
            }
            #expect(early == [bytes("model"), bytes("v1")])
            #expect(late == [bytes("model"), bytes("v1")])
            if broker.replaysModelToNewSubscriberOnly {
                #expect(earlyAfterLateJoined == nil)
            }
            // Manual subscriptions were applied: new publications still reach everyone.
            #expect(live == [[bytes("model"), bytes("v2")], [bytes("model"), bytes("v2")]])
        }
    }

    @Test func liveSubscriberReceivesEveryNewModelOnce() async throws {
        try await withBroker { broker in
            let context = try Context()
            let subscriber = try brokerTestSocket(context, .sub, timeout: .seconds(2))
            try subscriber.set(.subscribe("model"))
            try subscriber.connect(broker.endpoints.modelOut)
            let publisher = try brokerTestSocket(context, .pub)
            try publisher.connect(broker.endpoints.modelIn)
            try await eventually { broker.statistics.subscriptions >= 1 }
            // Wait until the publisher's link to the broker is up (PUB drops before that).
            try await eventually {
                _ = try await SocketThread.run { try publisher.send([bytes("warm-up")]) }
                return broker.statistics.cachedTopics >= 1
            }
            let received = try await SocketThread.run {
                var seen: [[UInt8]] = []
                for version in 1...3 { try publisher.send([bytes("model"), bytes("v\(version)")]) }
                while seen.count < 3, let message = try subscriber.receiveMultipart() { seen.append(message[1]) }
                return seen
            }
            #expect(received == [bytes("v1"), bytes("v2"), bytes("v3")])
        }
    }

    @Test func updatesFlowFromPushersToThePuller() async throws {
        try await withBroker { broker in
            let context = try Context()
            let messages = try await SocketThread.run {
                let aggregator = try brokerTestSocket(context, .pull)
                try aggregator.connect(broker.endpoints.updatesOut)
                let trainers = try (0..<2).map { _ in try brokerTestSocket(context, .push) }
                for trainer in trainers { try trainer.connect(broker.endpoints.updatesIn) }
                for (index, trainer) in trainers.enumerated() {
                    for round in 0..<5 { try trainer.send([[UInt8(index)], [UInt8(round)], [UInt8](repeating: 7, count: 100)]) }
                }
                var messages: [[[UInt8]]] = []
                // Keep the trainers open: released early with linger 0 they would drop their queue.
                try withExtendedLifetime(trainers) {
                    while messages.count < 10, let message = try aggregator.receiveMultipart() { messages.append(message) }
                }
                return messages
            }
            #expect(messages.count == 10)
            #expect(messages.allSatisfy { $0.count == 3 && $0[2].count == 100 })
            let updates = broker.statistics.updates
            #expect(updates.messagesIn == 10)
            #expect(updates.messagesOut == 10)
            #expect(updates.bytesIn == 10 * 102)
        }
    }

    @Test func controlRequestsReachTheLeaseHolderAndRepliesComeBack() async throws {
        try await withBroker { broker in
            let context = try Context()
            let (request, reply) = try await SocketThread.run {
                let aggregator = try brokerTestSocket(context, .dealer)
                try aggregator.connect(broker.endpoints.controlOut)
                #expect(try claimLease(aggregator, instance: 1) == .granted(timeoutMilliseconds: 3_000))
                let trainer = try brokerTestSocket(context, .dealer)
                try trainer.set(.routingId(bytes("trainer-1")))
                try trainer.connect(broker.endpoints.controlIn)
                try trainer.send([bytes("register"), bytes("{}")])
                guard let request = try aggregator.receiveMultipart(), request.count >= 1 else {
                    return ([[UInt8]](), [[UInt8]]?.none)
                }
                try aggregator.send([request[0], bytes("welcome")])
                return (request, try trainer.receiveMultipart())
            }
            #expect(request == [bytes("trainer-1"), bytes("register"), bytes("{}")])
            #expect(reply == [bytes("welcome")])
            let statistics = broker.statistics
            #expect(statistics.control.messagesIn == 2)
            #expect(statistics.control.messagesOut == 2)
            #expect(statistics.aggregatorLease?.instance == 1)
        }
    }

    @Test(.enabled(if: zmqHas("curve"), "libzmq built without CURVE"))
    func curveBrokerAdmitsOnlyAllowedClients() async throws {
        let brokerKeys = try CurveKeyPair.generate()
        let trainerKeys = try CurveKeyPair.generate()
        let aggregatorKeys = try CurveKeyPair.generate()
        let strangerKeys = try CurveKeyPair.generate()
        var configuration = BrokerConfiguration.ephemeralLoopback
        configuration.curveSecretKey = brokerKeys.secretKey
        configuration.allowedClientKeys = [trainerKeys.publicKey, aggregatorKeys.publicKey]
        try await withBroker(configuration) { broker in
            let context = try Context()
            func client(_ type: SocketType, _ keys: CurveKeyPair, _ endpoint: String) throws -> Socket {
                let socket = try brokerTestSocket(context, type, timeout: .milliseconds(800))
                try socket.set(.curveServerKey(brokerKeys.publicKey), .curvePublicKey(keys.publicKey), .curveSecretKey(keys.secretKey))
                try socket.connect(endpoint)
                return socket
            }
            let aggregator = try client(.pull, aggregatorKeys, broker.endpoints.updatesOut)
            let trainer = try client(.push, trainerKeys, broker.endpoints.updatesIn)
            let stranger = try client(.push, strangerKeys, broker.endpoints.updatesIn)
            let received = try await SocketThread.run {
                try stranger.send(bytes("forged"), options: .dontWait)
                try trainer.send(bytes("update"), options: .dontWait)
                var received: [[UInt8]] = []
                while let frame = try aggregator.receive() { received.append(frame) }
                return received
            }
            #expect(received == [bytes("update")])
            let authentication = try #require(broker.authentication)
            #expect(authentication.accepted >= 2)
            #expect(authentication.refused >= 1)
        }
    }

    @Test func stoppingReturnsPromptly() async throws {
        let service = try BrokerService(configuration: .ephemeralLoopback, logger: quietLogger)
        let run = Task { try await service.run() }
        try await Task.sleep(for: .milliseconds(100))
        let clock = ContinuousClock()
        let start = clock.now
        run.cancel()
        try await run.value
        #expect(clock.now - start < .seconds(2))
        await #expect(throws: BrokerError.self) { try await service.run() }
    }

    @Test func invalidConfigurationIsRejected() {
        var duplicate = BrokerConfiguration()
        duplicate.ports.updatesOut = duplicate.ports.updatesIn
        #expect(throws: BrokerError.self) { try duplicate.validate() }
        var outOfRange = BrokerConfiguration()
        outOfRange.ports.controlIn = 70_000
        #expect(throws: BrokerError.self) { try outOfRange.validate() }
        var negative = BrokerConfiguration()
        negative.updateHighWaterMark = -1
        #expect(throws: BrokerError.self) { try BrokerService(configuration: negative, logger: quietLogger) }
        var keysWithoutSecret = BrokerConfiguration()
        keysWithoutSecret.allowedClientKeys = []
        #expect(throws: BrokerError.self) { try keysWithoutSecret.validate() }
        #expect(throws: Never.self) { try BrokerConfiguration().validate() }
    }
}

// MARK: - Helpers


extension BrokerConfiguration {
    /// All six ports ephemeral on the loopback interface, so parallel tests never collide.
    static var ephemeralLoopback: BrokerConfiguration {
        var configuration = BrokerConfiguration()
        configuration.bindHost = "127.0.0.1"
        configuration.ports = .ephemeral
        return configuration
    }
}

/// Runs `body` against a running broker on ephemeral ports, then stops the broker.
private func withBroker(
    _ configuration: BrokerConfiguration = .ephemeralLoopback,
    _ body: (BrokerService) async throws -> Void
) async throws {
    let service = try BrokerService(configuration: configuration, logger: quietLogger)
    let run = Task { try await service.run() }
    do {
        try await body(service)
    } catch {
        run.cancel()
        try? await run.value
        throw error
    }
    run.cancel()
    try await run.value
}

/// Polls `condition` every 20 ms for up to `timeout`; records an issue if it never holds.
private func eventually(
    timeout: Duration = .seconds(5),
    sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () async throws -> Bool
) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    Issue.record("condition did not hold within \(timeout)", sourceLocation: sourceLocation)
}

/// A client socket with zero linger and a receive/send timeout (a failing test never hangs).
func brokerTestSocket(_ context: Context, _ type: SocketType, timeout: Duration = .seconds(5)) throws -> Socket {
    let socket = try context.socket(type)
    try socket.set(.linger(.zero), .receiveTimeout(timeout), .sendTimeout(timeout))
    return socket
}

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Sends a lease claim as aggregator `instance` (run 7) on `socket` (a DEALER connected to
/// control-out) and returns the broker's answer, skipping probes.
func claimLease(_ socket: Socket, instance: UInt64) throws -> LeaseReply? {
    try socket.send(LeaseMessage.frames(LeaseClaim(instance: instance, runID: 7, processID: 1, host: "test")))
    while let frames = try socket.receiveMultipart() {
        guard LeaseMessage.matches(frames) else { continue }
        let reply = try LeaseMessage.reply(frames)
        if reply != .probe { return reply }
    }
    return nil
}
