// One broker serves one aggregator. These tests hold the lease logic to that on three levels:
// the broker's decision table and the aggregator's keeper with time as a number, the lease
// messages as bytes (hostile ones included), and real sockets — a second claimant refused
// while the holder keeps every trainer request, a killed holder replaced at once, requests
// that arrive before any aggregator delivered after the grant.
@testable import FedMQAggregator
@testable import FedMQBroker
import FedMQProtocol
import Foundation
import Testing
import ZeroMQ

private let first = LeaseClaim(instance: 1, runID: 7, processID: 100, host: "host-a")
private let second = LeaseClaim(instance: 2, runID: 8, processID: 200, host: "host-b")

@Suite struct AggregatorLeaseTableTests {
    @Test func grantsAFreeLeaseRenewsItAndRefusesASecondClaimantWhileTheHolderLives() {
        var table = AggregatorLeaseTable(timeout: 10)
        let granted = table.claim(first, from: [1], now: 0) { Issue.record("no holder to probe"); return true }
        let renewed = table.claim(first, from: [9], now: 1) { true }
        #expect(granted == .granted(.new) && renewed == .granted(.renewed))
        #expect(table.isHolder([9]) && !table.isHolder([1]))  // a reconnected holder keeps its lease
        let refused = table.claim(second, from: [2], now: 5) { true }
        #expect(refused == .refused(holder: first, silent: 4))
        #expect(table.holder?.claim == first)
    }

    @Test func aSilentHolderLosesTheLeaseOnlyAfterTheTimeout() {
        var table = AggregatorLeaseTable(timeout: 10)
        _ = table.claim(first, from: [1], now: 0) { true }
        let early = table.claim(second, from: [2], now: 10) { true }
        let late = table.claim(second, from: [2], now: 10.5) { true }
        #expect(early == .refused(holder: first, silent: 10))
        #expect(late == .granted(.tookOverSilent(first, silent: 10.5)))
        #expect(table.isHolder([2]))
        // The deposed aggregator's renewal is now the second claimant's.
        let deposed = table.claim(first, from: [1], now: 11) { true }
        #expect(deposed == .refused(holder: second, silent: 0.5))
    }

    @Test func aHolderWhoseConnectionIsGoneIsReplacedAtOnce() {
        var table = AggregatorLeaseTable(timeout: 10)
        _ = table.claim(first, from: [1], now: 0) { true }
        var probed = 0
        let decision = table.claim(second, from: [2], now: 0.5) { probed += 1; return false }
        #expect(decision == .granted(.tookOverDisconnected(first)))
        #expect(probed == 1 && table.isHolder([2]))
    }
}

@Suite struct LeaseKeeperTests {
    @Test func holdsTheLeaseUntilTheTimeoutCountedFromTheClaimItAnswers() {
        var keeper = LeaseKeeper(claim: first)
        #expect(!keeper.isHeld(now: 0))
        let sends = [keeper.claimDue(now: 0), keeper.claimDue(now: 0.1), keeper.claimDue(now: 0.3)]
        #expect(sends == [true, false, true])  // not held: claims every 0.25 s
        let grant = keeper.receive(.granted(timeoutMilliseconds: 10_000), now: 0.6)
        #expect(grant == .granted)
        // Counted from the first unanswered claim (0 s), not from the reply (0.6 s).
        #expect(keeper.isHeld(now: 9.9) && !keeper.isHeld(now: 10))
        let renewals = [keeper.claimDue(now: 0.9), keeper.claimDue(now: 1.3)]
        #expect(renewals == [false, true])  // held: renews every second
        let renewal = keeper.receive(.granted(timeoutMilliseconds: 10_000), now: 1.4)
        let probe = keeper.receive(.probe, now: 2)
        #expect(renewal == .none && probe == .none)
        #expect(keeper.isHeld(now: 11.2) && !keeper.isHeld(now: 11.3))
    }

    @Test func waitsForADeadHoldersLeaseThenGivesUpOnALiveOne() {
        var keeper = LeaseKeeper(claim: second, grace: 3)
        let refusal = LeaseReply.refused(holder: first, silentMilliseconds: 500, timeoutMilliseconds: 2_000)
        _ = keeper.claimDue(now: 0)
        let outcomes = [keeper.receive(refusal, now: 0.1), keeper.receive(refusal, now: 5), keeper.receive(refusal, now: 5.2)]
        #expect(outcomes == [.waiting(holder: first, silent: 0.5, timeout: 2), .waiting(holder: first, silent: 0.5, timeout: 2),
                             .refused(holder: first, silent: 0.5)])
        #expect(!keeper.isHeld(now: 5.2))
    }

    @Test func aHolderRefusedLaterWasDeposedAndMustStop() {
        var keeper = LeaseKeeper(claim: first)
        _ = keeper.claimDue(now: 0)
        _ = keeper.receive(.granted(timeoutMilliseconds: 10_000), now: 0)
        _ = keeper.claimDue(now: 41)  // woke up after a 40 s freeze
        let outcome = keeper.receive(.refused(holder: second, silentMilliseconds: 0, timeoutMilliseconds: 10_000), now: 41)
        #expect(outcome == .deposed(by: second))
        #expect(!keeper.isHeld(now: 41))
    }
}

@Suite struct LeaseMessageTests {
    @Test func claimsAndRepliesRoundTrip() throws {
        #expect(try LeaseMessage.claim(LeaseMessage.frames(first)) == first)
        for reply in [LeaseReply.granted(timeoutMilliseconds: 10_000), .probe,
                      .refused(holder: second, silentMilliseconds: 1_234, timeoutMilliseconds: 10_000)] {
            #expect(try LeaseMessage.reply(LeaseMessage.frames(reply)) == reply)
        }
    }

    @Test func tellsLeaseMessagesFromTrainerTrafficAndRefusesMalformedOnes() {
        let claim = LeaseMessage.frames(first)
        #expect(LeaseMessage.matches(claim))
        #expect(!LeaseMessage.matches([[1, 2, 3, 4, 5]] + claim.dropFirst()))  // a routing id is never empty
        #expect(!LeaseMessage.matches(claim + [[]]))
        let bodies = ["", "{}", "[1]", #"{"instance":-1,"run":7,"pid":1,"host":"h"}"#,
                      #"{"status":"granted"}"#, #"{"status":"maybe","timeout_ms":1}"#,
                      "{\"instance\":1,\"run\":7,\"pid\":1,\"host\":\"\(String(repeating: "h", count: 256))\"}"]
        for body in bodies {
            let frames = [[], LeaseMessage.tag, Array(body.utf8)]
            #expect(throws: ProtocolError.self) { try LeaseMessage.claim(frames) }
            #expect(throws: ProtocolError.self) { try LeaseMessage.reply(frames) }
        }
        #expect(throws: ProtocolError.self) { try LeaseMessage.claim([[], LeaseMessage.tag]) }
    }
}

@Suite struct BrokerAggregatorLeaseTests {
    @Test func aSecondAggregatorIsRefusedAndTrainersStayWithTheFirst() async throws {
        try await withLeaseBroker { broker, context in
            try await SocketThread.run {
                let holder = try brokerTestSocket(context, .dealer)
                try holder.connect(broker.endpoints.controlOut)
                #expect(try claimLease(holder, instance: 1) == .granted(timeoutMilliseconds: 3_600_000))
                let rival = try brokerTestSocket(context, .dealer, timeout: .milliseconds(500))
                try rival.connect(broker.endpoints.controlOut)
                guard case .refused(let named, _, _)? = try claimLease(rival, instance: 2) else {
                    Issue.record("the second aggregator was not refused")
                    return
                }
                #expect(named.instance == 1)
                let trainer = try brokerTestSocket(context, .dealer)
                try trainer.connect(broker.endpoints.controlIn)
                for index in 0..<6 { try trainer.send([Array("request-\(index)".utf8)]) }
                var received = 0
                while received < 6, let message = try holder.receiveMultipart() {
                    if !LeaseMessage.matches(message) { received += 1 }  // skip the broker's probe
                }
                #expect(received == 6)
                #expect(try rival.receiveMultipart() == nil)  // not one request dealt to the rival
                // A reply from the refused aggregator does not reach the trainer.
                try rival.send([[0, 1, 2, 3, 4], Array("forged".utf8)])
                try trainer.set(.receiveTimeout(.milliseconds(300)))
                #expect(try trainer.receiveMultipart() == nil)
            }
            #expect(broker.statistics.refusedAggregatorClaims == 1)
            #expect(broker.statistics.aggregatorLease?.instance == 1)
        }
    }

    @Test func aClosedHoldersLeaseGoesToTheNextClaimantAtOnce() async throws {
        try await withLeaseBroker { broker, context in
            let reply = try await SocketThread.run {
                let holder = try brokerTestSocket(context, .dealer)
                try holder.connect(broker.endpoints.controlOut)
                _ = try claimLease(holder, instance: 1)
                holder.close(linger: .zero)  // as a killed aggregator's connection closes
                let successor = try brokerTestSocket(context, .dealer)
                try successor.connect(broker.endpoints.controlOut)
                // Far less than the hour's timeout: the broker must notice the closed connection.
                for _ in 0..<20 {
                    let reply = try claimLease(successor, instance: 2)
                    if case .granted? = reply { return reply }
                    Thread.sleep(forTimeInterval: 0.1)
                }
                return nil
            }
            #expect(reply == .granted(timeoutMilliseconds: 3_600_000))
            #expect(broker.statistics.aggregatorLease?.instance == 2)
        }
    }

    @Test func requestsSentBeforeAnyAggregatorArriveAfterTheGrant() async throws {
        try await withLeaseBroker { broker, context in
            let received = try await SocketThread.run {
                let trainer = try brokerTestSocket(context, .dealer)
                try trainer.connect(broker.endpoints.controlIn)
                for index in 0..<3 { try trainer.send([Array("early-\(index)".utf8)]) }
                Thread.sleep(forTimeInterval: 0.3)
                let aggregator = try brokerTestSocket(context, .dealer)
                try aggregator.connect(broker.endpoints.controlOut)
                _ = try claimLease(aggregator, instance: 1)
                var bodies: [String] = []
                while bodies.count < 3, let message = try aggregator.receiveMultipart() {
                    if !LeaseMessage.matches(message), let last = message.last { bodies.append(String(decoding: last, as: UTF8.self)) }
                }
                return bodies
            }
            #expect(received == ["early-0", "early-1", "early-2"])
        }
    }
}

/// A broker whose lease timeout is an hour: whatever these tests see happens at once or not at all.
private func withLeaseBroker(_ body: (BrokerService, Context) async throws -> Void) async throws {
    var configuration = BrokerConfiguration.ephemeralLoopback
    configuration.aggregatorLeaseTimeout = .seconds(3600)
    let broker = try BrokerService(configuration: configuration, logger: quietLogger)
    let run = Task { try await broker.run() }
    do {
        try await body(broker, try Context())
    } catch {
        run.cancel()
        throw error
    }
    run.cancel()
    try await run.value
}

@Suite struct SecondAggregatorTests {
    /// A second aggregator started on the broker of a running one fails with the first one's
    /// name, having taken no trainer and published nothing; trainers stay with the first.
    @Test func isRefusedWhileTrainersFollowTheFirst() async throws {
        try await withBrokerAndAggregator(configure: { $0.bufferSize = 1 }, configureBroker: { $0.aggregatorLeaseTimeout = .seconds(2) }) {
            broker, aggregator, trainer in
            var configuration = aggregator.configuration
            configuration.runID = 8
            let rival = try AggregatorService(configuration: configuration, layout: smallLayout, initialWeights: initialWeights,
                                              evaluator: nil, logger: quietLogger)
            let rivalRun = Task { try await rival.run() }
            var registrations: [UInt32] = []
            for identity in ["t-1", "t-2", "t-3", "t-4"] { registrations.append(try await trainer.register(identity: identity).trainerID) }
            #expect(Set(registrations).count == 4)  // one aggregator numbers them: no id given twice
            try await trainer.pushUpdate(delta: [Float](repeating: 0.5, count: 8), base: 0, trainerID: registrations[0])
            _ = try await trainer.awaitModel { $0 == 1 }
            let failure = await #expect(throws: AggregatorError.self) { try await rivalRun.value }
            #expect(failure?.message.contains("another aggregator is serving this broker") == true)
            #expect(failure?.message.contains("run 7") == true)
            #expect(rival.status.version == 0 && rival.status.liveTrainers == 0)
            #expect(aggregator.status.liveTrainers == 4 && aggregator.status.version == 1)
            #expect(broker.statistics.refusedAggregatorClaims > 0)
        }
    }

    /// An aggregator that stops (its connection closes, as after kill -9) is replaced by the
    /// next one on the same broker at once, not after the lease timeout (an hour here).
    @Test func aRestartedAggregatorTakesOverWithoutWaitingForTheTimeout() async throws {
        var brokerConfiguration = BrokerConfiguration.ephemeralLoopback
        brokerConfiguration.aggregatorLeaseTimeout = .seconds(3600)
        let broker = try BrokerService(configuration: brokerConfiguration, logger: quietLogger)
        let brokerRun = Task { try await broker.run() }
        defer { brokerRun.cancel() }
        let start = { () throws -> (AggregatorService, Task<Void, any Error>) in
            let service = try AggregatorService(configuration: .test(broker: broker), layout: smallLayout,
                                                initialWeights: initialWeights, evaluator: nil, logger: quietLogger)
            return (service, Task { try await service.run() })
        }
        let (_, firstRun) = try start()
        try await eventually { broker.statistics.aggregatorLease != nil }
        let firstInstance = broker.statistics.aggregatorLease?.instance
        firstRun.cancel()
        try await firstRun.value
        let (_, secondRun) = try start()
        defer { secondRun.cancel() }
        try await eventually(timeout: .seconds(20)) {
            broker.statistics.aggregatorLease.map { $0.instance != firstInstance } ?? false
        }
    }
}
