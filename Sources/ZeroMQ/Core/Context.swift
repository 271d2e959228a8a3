import CZMQ
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A libzmq context: owns the I/O threads and the `inproc://` namespace.
///
/// Every `Socket` keeps a strong reference to its context, so the context outlives all of
/// its sockets; when the last reference goes away the context is terminated
/// (`zmq_ctx_term`, retried on `EINTR`). Call `shutdown()` to make every blocking call on
/// this context's sockets return `ETERM` (how long-running socket loops are stopped).
///
/// `@unchecked Sendable`: libzmq contexts are thread-safe, the handle is immutable and the
/// termination flag is atomic.
public final class Context: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer
    private let terminated = Atomic<Bool>(false)

    /// Creates a context with `ioThreads` background I/O threads (libzmq default: 1) and room
    /// for `maxSockets` sockets (`ZMQ_MAX_SOCKETS`; `nil` keeps libzmq's default of 1023 —
    /// a process that simulates many peers needs more, and as many file descriptors).
    public init(ioThreads: Int = 1, maxSockets: Int? = nil) throws(ZMQError) {
        guard let handle = zmq_ctx_new() else { throw ZMQError.last("zmq_ctx_new") }
        self.handle = handle
        var settings: [(Int32, String, Int)] = []
        if ioThreads != 1 { settings.append((ZMQ_IO_THREADS, "ZMQ_IO_THREADS", ioThreads)) }
        if let maxSockets { settings.append((ZMQ_MAX_SOCKETS, "ZMQ_MAX_SOCKETS", maxSockets)) }
        for (option, name, value) in settings where zmq_ctx_set(handle, option, Int32(clamping: value)) != 0 {
            let error = ZMQError.last("zmq_ctx_set(\(name))")
            zmq_ctx_term(handle)
            throw error
        }
    }

    /// The number of sockets this context allows (`ZMQ_MAX_SOCKETS`).
    public var maxSockets: Int { Int(zmq_ctx_get(handle, ZMQ_MAX_SOCKETS)) }

    /// Makes all blocking operations on this context's sockets fail with `ETERM` now and
    /// later; sockets must still be closed (dropped) before the context can terminate.
    public func shutdown() {
        zmq_ctx_shutdown(handle)
    }

    /// Terminates the context now (`zmq_ctx_term`, retried on `EINTR`) instead of on deinit.
    /// Blocks until every socket of the context has been closed — close them first.
    /// Afterwards `socket(_:)` fails with `ETERM`. Idempotent.
    public func terminate() {
        guard terminated.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        while zmq_ctx_term(handle) != 0 && zmq_errno() == EINTR {}
    }

    /// Creates a socket of the given type on this context.
    public func socket(_ type: SocketType) throws(ZMQError) -> Socket {
        guard !terminated.load(ordering: .acquiring) else {
            throw ZMQError(code: ETERM, message: "context was terminated", operation: "zmq_socket(\(type))")
        }
        return try Socket(context: self, type: type)
    }

    deinit {
        terminate()
    }
}
