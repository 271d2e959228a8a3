import FedMQProtocol
import Foundation
import Logging
import SafeTensorsFormat
import TensorCore
import ZeroMQ

/// The trainer thread's work: learn the run id, register, cut the shard, then repeatedly
/// train from the newest model held and push the delta, heartbeating throughout, until the
/// aggregator broadcasts stop or shutdown is requested.
final class TrainerLoop {
    /// Why the loop returned.
    enum Exit: Equatable {
        case stopBroadcast(String)
        case shutdown
    }

    private let configuration: TrainerConfiguration
    private let architecture: ModelArchitecture
    private let layout: ParameterLayout
    private let sockets: TrainerSockets
    private let shared: TrainerShared
    private let logger: Logger
    private let clock = ContinuousClock()
    private var codec: MessageCodec?
    private var registration: Registration?
    private var held: (version: UInt64, weights: [Float])?
    private var stopReason: String?
    private var sequence: UInt64 = 0
    /// The last sequence number sent before the current registration arrived: an `unregistered`
    /// reply to an older request is stale.
    private var registeredAfter: UInt64 = 0
    /// The aggregator answered `unregistered` for the current trainer id: register again.
    private var forgotten = false
    private var lastHeartbeat: ContinuousClock.Instant
    /// When to reopen the sockets after the broker refused this trainer's CURVE key.
    private var backoff: ReconnectBackoff
    private var lastPump: ContinuousClock.Instant

    init(configuration: TrainerConfiguration, architecture: ModelArchitecture, sockets: TrainerSockets,
         shared: TrainerShared, logger: Logger) {
        self.configuration = configuration
        self.architecture = architecture
        self.layout = architecture.layout
        self.sockets = sockets
        self.shared = shared
        self.logger = logger
        backoff = ReconnectBackoff(base: configuration.registerRetry)
        lastHeartbeat = clock.now
        lastPump = clock.now
        if let runID = configuration.runID { codec = makeCodec(runID: runID) }
    }

    /// Runs to the end. `dataset` replaces loading `configuration.data` (it is still partitioned
    /// when the source is the default dataset).
    func run(dataset provided: Dataset?) throws -> Exit {
        let data = try provided ?? loadData()
        guard try awaitRunID(), var registration = try register() else { return exit() }
        var trainer = try makeTrainer(data, registration)
        var lastBase: UInt64?
        var lastPush = clock.now
        while !shouldExit {
            if forgotten {
                guard let again = try registerAgain() else { break }
                if !Self.sameAssignment(again, registration) { trainer = try makeTrainer(data, again) }
                registration = again
                lastBase = nil  // the abandoned round's update never counted: train from the held model again
                continue
            }
            heartbeatIfDue()
            try pump(timeout: .zero)  // so the round starts from the newest model already queued
            guard let model = held, model.version != lastBase || seconds(since: lastPush) >= configuration.modelWait else {
                try pump(timeout: .milliseconds(100))
                continue
            }
            guard let result = try trainer.train(from: model.weights, shouldContinue: betweenBatches) else { continue }
            try push(result, base: model.version, trainerID: registration.trainerID)
            lastBase = model.version
            lastPush = clock.now
        }
        return exit()
    }

    /// The local trainer for `registration`'s shard (its seed depends on the trainer id).
    private func makeTrainer(_ data: Dataset, _ registration: Registration) throws -> LocalTrainer {
        let shard = try makeShard(data, registration)
        shared.update { $0.shardSize = shard.count }
        let seed = configuration.seed ^ (UInt64(registration.trainerID) << 32)
        let trainer = try LocalTrainer(architecture: architecture, dataset: shard, configuration: configuration, seed: seed)
        logger.info("trainer ready", metadata: [
            "id": "\(registration.trainerID)", "shard": "\(registration.shardIndex)/\(registration.shardCount)",
            "samples": "\(shard.count)", "work": "\(configuration.localWork)",
        ])
        return trainer
    }

    /// Whether two registrations assign the same trainer id and shard (the model version aside).
    private static func sameAssignment(_ a: Registration, _ b: Registration) -> Bool {
        var a = a
        a.modelVersion = b.modelVersion
        return a == b
    }

    /// Sends goodbye if registered (the aggregator stops counting this trainer at once).
    func sayGoodbye() {
        guard let codec, let registration else { return }
        sequence += 1
        _ = try? sockets.control.send(codec.control(.goodbye(trainerID: registration.trainerID, sequence: sequence)),
                                      options: .dontWait)
    }

    // MARK: Steps

    private var shouldExit: Bool { shared.shouldStop || stopReason != nil }

    private func exit() -> Exit {
        if let stopReason { return .stopBroadcast(stopReason) }
        return .shutdown
    }

    private func loadData() throws -> Dataset {
        let start = clock.now
        let data = try configuration.data.load()
        logger.info("training data loaded", metadata: ["samples": "\(data.count)", "seconds": "\(format(seconds(since: start)))"])
        return data
    }

    /// Without a configured run id, waits for the first broadcast and takes the run id from
    /// its header. False if shutdown came first.
    private func awaitRunID() throws -> Bool {
        while codec == nil {
            if shared.shouldStop { return false }
            try watchForRefusal()
            guard try sockets.poll(timeout: .milliseconds(100)).models else { continue }
            let messages = try sockets.drain(sockets.models)
            guard let header = messages.last.flatMap({ $0.count == 3 ? try? MessageHeader.decode($0[1]) : nil }) else {
                continue
            }
            codec = makeCodec(runID: header.runID)
            logger.info("joined run", metadata: ["run": "\(header.runID)"])
            try handleBroadcasts(messages)
        }
        return true
    }

    /// Sends `register` every `registerRetry` seconds until `registered` arrives.
    private func register() throws -> Registration? {
        guard let codec else { return nil }
        let request = RegisterRequest(identity: configuration.effectiveIdentity)
        var lastAttempt: ContinuousClock.Instant?
        while !shouldExit {
            if lastAttempt.map({ seconds(since: $0) >= configuration.registerRetry }) ?? true {
                if lastAttempt != nil { logger.notice("no answer from the aggregator yet; registering again") }
                sequence += 1
                _ = try sockets.control.send(codec.control(.register(request, sequence: sequence)), options: .dontWait)
                lastAttempt = clock.now
            }
            try watchForRefusal()
            let readable = try sockets.poll(timeout: .milliseconds(100))
            if readable.models { try handleBroadcasts(sockets.drain(sockets.models)) }
            guard readable.control else { continue }
            for frames in try sockets.drain(sockets.control) {
                guard case .registered(let registration)? = try? codec.decodeControl(frames) else { continue }
                self.registration = registration
                registeredAfter = sequence
                forgotten = false
                backoff.reset()
                shared.update { $0.registration = registration }
                lastHeartbeat = clock.now
                return registration
            }
        }
        return nil
    }

    /// A broker that refuses this trainer's CURVE key closes the connection for good: the
    /// sockets are opened again after a wait (`ReconnectBackoff`), so a key added to the
    /// broker's list later (SIGHUP) is picked up.
    private func watchForRefusal() throws {
        if !backoff.isWaiting, try sockets.refusedByBroker() {
            let wait = backoff.refused(now: clock.now)
            logger.error("the broker refused this trainer's CURVE key (is its public key in the broker's allowed keys?)",
                         metadata: ["retry_in_seconds": "\(format(wait))", "refusals": "\(backoff.refusals)"])
        }
        guard backoff.takeDue(now: clock.now) else { return }
        try sockets.reopen()
        logger.notice("connecting to the broker again")
    }

    /// The aggregator answered that it does not know this trainer's id (it restarted without
    /// its membership): registers again under the same identity. Nil if the run ended first.
    private func registerAgain() throws -> Registration? {
        logger.notice("the aggregator does not know this trainer (restarted without its membership?); registering again",
                      metadata: ["id": "\(registration?.trainerID ?? 0)"])
        guard let again = try register() else { return nil }
        shared.update { $0.reregistrations += 1 }
        logger.notice("registered again", metadata: [
            "id": "\(again.trainerID)", "shard": "\(again.shardIndex)/\(again.shardCount)", "version": "\(again.modelVersion)",
        ])
        return again
    }

    /// The samples this trainer trains on: the first `sampleLimit`, then (default dataset
    /// only) the registration's shard.
    private func makeShard(_ data: Dataset, _ registration: Registration) throws -> Dataset {
        var data = data
        if let limit = configuration.sampleLimit, limit < data.count { data = data.subset(Array(0..<limit)) }
        guard configuration.data.isPartitioned, registration.shardCount > 1 else { return data }
        let scheme = try configuration.partition ?? PartitionScheme(parsing: registration.partition)
        let indices = try Partitioner.shard(registration.shardIndex, of: registration.shardCount, labels: data.labels,
                                            scheme: scheme, seed: registration.seed)
        return data.subset(indices)
    }

    /// Called after every mini-batch: heartbeat, look for new models or stop a few times a
    /// second. False abandons the round.
    private func betweenBatches() -> Bool {
        heartbeatIfDue()
        if seconds(since: lastPump) >= 0.2 {
            do { try pump(timeout: .zero) } catch {
                logger.warning("receiving broadcasts failed", metadata: ["error": "\(error)"])
            }
        }
        return !shouldExit && !forgotten
    }

    private func push(_ result: LocalResult, base: UInt64, trainerID: UInt32) throws {
        guard let codec else { return }
        guard result.meanLoss.isFinite, result.delta.allSatisfy(\.isFinite) else {
            logger.error("local training diverged (non-finite loss or weights); update not sent; lower the learning rate",
                         metadata: ["base": "\(base)"])
            return
        }
        sequence += 1
        let frames = codec.update(delta: result.delta, baseVersion: base, trainerID: trainerID, sequence: sequence,
                                  sampleCount: UInt32(clamping: result.sampleCount), trainingLoss: result.meanLoss)
        guard try sockets.updates.send(frames) else {
            logger.warning("update not sent: the broker did not take it in time", metadata: ["base": "\(base)"])
            return
        }
        shared.update {
            $0.updatesSent += 1
            $0.lastLoss = result.meanLoss
        }
        logger.info("update pushed", metadata: [
            "base": "\(base)", "loss": "\(format(Double(result.meanLoss)))", "samples": "\(result.sampleCount)",
            "seconds": "\(format(result.seconds))",
        ])
        if result.secondsBehindPace > 0.1 * (result.seconds - result.secondsBehindPace) {
            logger.warning("the machine could not keep the emulated device's pace (--step-time)", metadata: [
                "seconds": "\(format(result.seconds))", "behind": "\(format(result.secondsBehindPace))",
            ])
        }
    }

    // MARK: Sockets

    /// Waits up to `timeout` for input, then handles every broadcast and control reply.
    private func pump(timeout: Duration) throws {
        lastPump = clock.now
        try watchForRefusal()
        let readable = try sockets.poll(timeout: timeout)
        if readable.control { handleReplies(try sockets.drain(sockets.control)) }
        if readable.models { try handleBroadcasts(sockets.drain(sockets.models)) }
    }

    /// Notes an `unregistered` reply about the current trainer id to a request sent since it
    /// registered (an older one is stale); discards the rest (duplicate `registered`, invalid).
    private func handleReplies(_ messages: [[[UInt8]]]) {
        guard let codec, let registration else { return }
        for frames in messages {
            guard case .unregistered(let id, let answered)? = try? codec.decodeControl(frames),
                  id == registration.trainerID, answered > registeredAfter else { continue }
            forgotten = true
        }
    }

    /// Adopts the newest model among `messages` (oldest first; superseded ones are never
    /// decoded) or records a stop. A repeat of the version held is a no-op.
    private func handleBroadcasts(_ messages: [[[UInt8]]]) throws {
        guard let codec else { return }
        for frames in messages.reversed() {
            if let header = frames.count == 3 ? try? MessageHeader.decode(frames[1]) : nil,
               header.kind == .model, header.runID == codec.runID, header.modelVersion == held?.version {
                return
            }
            do {
                switch try codec.decodeBroadcast(frames) {
                case .model(let version, let weights):
                    adopt(version: version, weights: weights)
                case .stop(let version, let reason):
                    stopReason = reason
                    shared.update { $0.stopReason = reason }
                    logger.notice("aggregator stopped the run", metadata: ["version": "\(version)", "reason": "\(reason)"])
                }
                return
            } catch {
                if error.reason == .fingerprintMismatch {
                    throw TrainerError("the aggregator's model differs from --model \(configuration.modelName): \(error.message)",
                                       code: "fingerprint_mismatch")
                }
                shared.update { $0.broadcastsRejected += 1 }
                logger.warning("broadcast rejected", metadata: ["reason": "\(error.reason.rawValue)", "detail": "\(error.message)"])
            }
        }
    }

    private func adopt(version: UInt64, weights: [Float]) {
        if let current = held?.version, version < current {
            logger.notice("the aggregator went back to an earlier version (restarted from a checkpoint)",
                          metadata: ["from": "\(current)", "to": "\(version)"])
        }
        held = (version, weights)
        shared.update { $0.adopt(version: version) }
        logger.debug("model received", metadata: ["version": "\(version)"])
    }

    private func heartbeatIfDue() {
        guard let codec, let registration, seconds(since: lastHeartbeat) >= configuration.heartbeatInterval else { return }
        lastHeartbeat = clock.now
        sequence += 1
        do {
            _ = try sockets.control.send(codec.control(.heartbeat(trainerID: registration.trainerID, sequence: sequence)),
                                         options: .dontWait)
            shared.update { $0.heartbeatsSent += 1 }
        } catch {
            logger.warning("heartbeat failed", metadata: ["error": "\(error)"])
        }
    }

    // MARK: Helpers

    private func makeCodec(runID: UInt64) -> MessageCodec {
        MessageCodec(layout: layout, runID: runID, payloadCodec: SafeTensorsPayloadCodec())
    }

    private func seconds(since instant: ContinuousClock.Instant) -> Double {
        instant.duration(to: clock.now) / .seconds(1)
    }

    private func format(_ value: Double) -> String { String(format: "%.3f", value) }
}
