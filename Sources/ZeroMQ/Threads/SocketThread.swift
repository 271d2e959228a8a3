import Foundation
import Synchronization

/// A dedicated OS thread for a blocking socket loop (ZeroMQ calls must never block
/// Swift's cooperative thread pool). The body runs once; `join()`/`finished()` wait for it.
public final class SocketThread: Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let state = Mutex<State>(State())

    private struct State {
        var finished = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    /// Starts `body` on a new thread named `name`.
    public init(name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread { [self] in
            body()
            self.markFinished()
        }
        thread.name = name
        thread.start()
    }

    /// Runs a blocking `body` on a fresh dedicated thread and suspends until it returns,
    /// so async code can make blocking ZeroMQ calls without occupying the cooperative pool.
    public static func run<T: Sendable>(name: String = "zmq-blocking", _ body: @escaping @Sendable () throws -> T) async throws -> T {
        let result = Mutex<Result<T, any Error>?>(nil)
        let thread = SocketThread(name: name) {
            let outcome = Result { try body() }
            result.withLock { $0 = outcome }
        }
        await thread.finished()
        return try result.withLock { $0! }.get()
    }

    /// Whether the body has returned.
    public var isFinished: Bool { state.withLock { $0.finished } }

    /// Blocks the calling thread until the body has returned (do not call from async code;
    /// use `finished()` there).
    public func join() {
        done.wait()
        done.signal()
    }

    /// Suspends (without blocking a cooperative thread) until the body has returned.
    public func finished() async {
        await withCheckedContinuation { continuation in
            let alreadyDone = state.withLock { state -> Bool in
                if state.finished { return true }
                state.waiters.append(continuation)
                return false
            }
            if alreadyDone { continuation.resume() }
        }
    }

    private func markFinished() {
        let waiters = state.withLock { state in
            state.finished = true
            defer { state.waiters = [] }
            return state.waiters
        }
        done.signal()
        for waiter in waiters { waiter.resume() }
    }
}
