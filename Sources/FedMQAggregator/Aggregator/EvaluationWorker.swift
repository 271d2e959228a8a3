import Foundation
import Synchronization
import ZeroMQ

/// Runs a `ModelEvaluator` on its own thread so evaluation never stalls update intake.
///
/// `submit` hands over a snapshot; if the worker is still busy, a newer snapshot replaces any
/// waiting one (evaluations are skipped, never queued without bound). Results are collected
/// with `drain()`.
final class EvaluationWorker: Sendable {
    struct Outcome: Sendable {
        var version: UInt64
        var result: Result<EvaluationResult, EvaluationFailure>
    }

    struct EvaluationFailure: Error, Sendable { let message: String }

    private struct State {
        var pending: (version: UInt64, weights: [Float])?
        var outcomes: [Outcome] = []
        var busy = false
        var stopping = false
    }

    private let evaluator: any ModelEvaluator
    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)
    init(evaluator: any ModelEvaluator) {
        self.evaluator = evaluator
        _ = SocketThread(name: "aggregator-eval") { [self] in loop() }
    }

    /// Queues `weights` of `version` for evaluation, replacing a not-yet-started snapshot.
    func submit(version: UInt64, weights: [Float]) {
        state.withLock { $0.pending = (version, weights) }
        wake.signal()
    }

    /// Results finished since the last call, oldest first.
    func drain() -> [Outcome] {
        state.withLock { s in
            defer { s.outcomes.removeAll() }
            return s.outcomes
        }
    }

    /// Whether nothing is running or waiting.
    var isIdle: Bool { state.withLock { !$0.busy && $0.pending == nil } }

    /// Waits (blocking, polling every 10 ms) until nothing is running or waiting, at most
    /// `timeout`; returns whether the worker became idle.
    func waitUntilIdle(timeout: Duration) -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while !isIdle {
            if clock.now >= deadline { return false }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return true
    }

    /// Asks the thread to end after the current evaluation; does not wait for it (an
    /// evaluation in progress is abandoned when the process exits).
    func stop() {
        state.withLock { $0.stopping = true }
        wake.signal()
    }

    private func loop() {
        while true {
            wake.wait()
            let job: (version: UInt64, weights: [Float])? = state.withLock { s in
                if s.stopping { return nil }
                let job = s.pending
                s.pending = nil
                s.busy = job != nil
                return job
            }
            if state.withLock({ $0.stopping }) { return }
            guard let job else { continue }
            let result: Result<EvaluationResult, EvaluationFailure>
            do {
                result = .success(try evaluator.evaluate(job.weights))
            } catch {
                result = .failure(EvaluationFailure(message: "\(error)"))
            }
            state.withLock { s in
                s.outcomes.append(Outcome(version: job.version, result: result))
                s.busy = false
            }
        }
    }
}
