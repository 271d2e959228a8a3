// The port a server ended up bound to, which callers may ask for before the server is
// listening: they wait until it listens (the port) or stops without listening (nil).
import Synchronization

/// A once-set port with waiters; thread-safe.
final class BoundPort: Sendable {
    private enum State {
        case waiting([CheckedContinuation<Int?, Never>])
        case settled(Int?)
    }

    private let state = Mutex(State.waiting([]))

    /// The port once `settle` was called; suspends until then.
    func value() async -> Int? {
        await withCheckedContinuation { continuation in
            let settled: Int?? = state.withLock { state in
                switch state {
                case .settled(let port):
                    return .some(port)
                case .waiting(var waiters):
                    waiters.append(continuation)
                    state = .waiting(waiters)
                    return .none
                }
            }
            if let port = settled { continuation.resume(returning: port) }
        }
    }

    /// Sets the port (nil: never listened) and wakes the waiters; later calls are ignored.
    func settle(_ port: Int?) {
        let waiters: [CheckedContinuation<Int?, Never>] = state.withLock { state in
            guard case .waiting(let waiters) = state else { return [] }
            state = .settled(port)
            return waiters
        }
        for waiter in waiters { waiter.resume(returning: port) }
    }
}
