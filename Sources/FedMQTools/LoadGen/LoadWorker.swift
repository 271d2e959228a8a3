import FedMQProtocol
import Foundation
import SafeTensorsFormat
import Synchronization
import TensorCore
import ZeroMQ

/// One thread's share of the simulated trainers: polls their SUB and DEALER sockets, answers
/// registration, records model receipts and sends updates and heartbeats when due.
///
/// `@unchecked Sendable`: used by its own thread only; the coordinator reads the results
/// after that thread has finished.
final class LoadWorker: @unchecked Sendable {
    /// A model receipt: version, aggregator publish time and receipt time (µs since 1970).
    struct Receipt {
        var version: UInt64
        var publishedMicroseconds: Int64
        var receivedMicroseconds: Int64
    }

    private let trainers: [SimulatedTrainer]
    private let configuration: LoadGeneratorConfiguration
    private let layout: ParameterLayout
    private let phase: LoadPhase
    private let delta: [Float]
    private var payloads: [UInt64: UpdatePayload] = [:]
    private var generator: SeededGenerator
    private let metrics: LoadGeneratorMetrics?
    private(set) var receipts: [Receipt] = []
    private(set) var updatesSent = 0
    private(set) var updatesBlocked = 0
    private(set) var receiptsWithoutTimestamp = 0
    private(set) var failure: String?
    /// Trainers that received a stop broadcast.
    var stoppedTrainers: Int { trainers.filter(\.stopped).count }

    init(trainers: [SimulatedTrainer], configuration: LoadGeneratorConfiguration, layout: ParameterLayout,
         delta: [Float], phase: LoadPhase, seed: UInt64, metrics: LoadGeneratorMetrics? = nil) {
        self.metrics = metrics
        self.trainers = trainers
        self.configuration = configuration
        self.layout = layout
        self.delta = delta
        self.phase = phase
        generator = SeededGenerator(seed: seed)
    }

    /// Runs until the phase is `.done`, then says goodbye and closes every socket.
    func run() {
        let clock = ContinuousClock()
        let start = clock.now
        let items = trainers.flatMap { [PollItem($0.models), PollItem($0.control)] }
        var measuring = false
        do {
            while phase.current != .done {
                let instant = clock.now
                let now = (instant - start) / .seconds(1)
                if !measuring, phase.current == .measuring {
                    measuring = true
                    scheduleFirstUpdates(now: now)
                }
                // Poll without waiting while an update is already due (high offered loads).
                let due = measuring && trainers.contains { $0.isReady && $0.nextUpdate <= now }
                let events = try Poller.poll(items, timeout: due ? .zero : .milliseconds(10))
                for (i, trainer) in trainers.enumerated() {
                    if events[2 * i].contains(.readable) { try receiveModels(trainer, measuring: measuring) }
                    if events[2 * i + 1].contains(.readable) { try trainer.drainControl() }
                    try act(trainer, at: clock.now, start: start, measuring: measuring)
                }
                phase.report(ready: trainers.filter(\.isReady).count, from: self)
            }
        } catch {
            failure = "\(error)"
        }
        for trainer in trainers { trainer.close() }
    }

    private func receiveModels(_ trainer: SimulatedTrainer, measuring: Bool) throws(ZMQError) {
        try trainer.drainModels { version, published, received in
            guard measuring else { return }
            if let published {
                receipts.append(Receipt(version: version, publishedMicroseconds: published, receivedMicroseconds: received))
            } else {
                receiptsWithoutTimestamp += 1
            }
        }
    }

    /// Registration, heartbeats and (while measuring) updates that are due.
    private func act(_ trainer: SimulatedTrainer, at instant: ContinuousClock.Instant, start: ContinuousClock.Instant,
                     measuring: Bool) throws(ZMQError) {
        guard !trainer.stopped else { return }
        try trainer.requestIfDue(now: instant)
        let now = (instant - start) / .seconds(1)
        guard measuring, trainer.isReady, now >= trainer.nextUpdate, let base = trainer.session.heldVersion else { return }
        trainer.nextUpdate = max(trainer.nextUpdate + configuration.updateInterval, now)
        if try trainer.sendUpdate(payload(base: base)) {
            updatesSent += 1
            metrics?.updatesSent.increment()
        } else {
            updatesBlocked += 1
            metrics?.updatesBlocked.increment()
        }
    }

    /// Spreads the trainers' first updates over one interval (seeded).
    private func scheduleFirstUpdates(now: Double) {
        for trainer in trainers {
            trainer.nextUpdate = now + generator.nextUnitDouble() * configuration.updateInterval
        }
    }

    /// The encoded delta on `base`, made once per version (the last few kept).
    private func payload(base: UInt64) -> UpdatePayload {
        if let cached = payloads[base] { return cached }
        if payloads.count >= 8, let oldest = payloads.keys.min() { payloads[oldest] = nil }
        let made = UpdatePayload(delta: delta, layout: layout, baseVersion: base)
        payloads[base] = made
        return made
    }
}

/// The load generator's phase, shared by the coordinator and the workers, with the
/// number of trainers ready (registered, holding a model) per worker.
final class LoadPhase: Sendable {
    enum Value: Int { case setup, measuring, done }

    private let value = Atomic<Int>(Value.setup.rawValue)
    private let readyCounts: Mutex<[ObjectIdentifier: Int]> = Mutex([:])

    var current: Value { Value(rawValue: value.load(ordering: .acquiring)) ?? .done }
    func set(_ next: Value) { value.store(next.rawValue, ordering: .releasing) }

    func report(ready: Int, from worker: LoadWorker) {
        readyCounts.withLock { $0[ObjectIdentifier(worker)] = ready }
    }

    /// Trainers ready over all workers.
    var ready: Int { readyCounts.withLock { $0.values.reduce(0, +) } }
}
