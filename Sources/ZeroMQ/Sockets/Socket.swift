import CZMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A ZeroMQ socket.
///
/// Threading contract: like libzmq sockets, a `Socket` must be used from **one thread at a
/// time**. It may be moved to another thread (for example created on one thread and then
/// handed to a dedicated `SocketThread`), which is why it is `@unchecked Sendable`; it must
/// never be used concurrently. Blocking calls (`receive`, blocking `send`, `Poller.poll`,
/// `Proxy.run`) must run on dedicated threads, never on Swift's cooperative thread pool.
///
/// The socket keeps its `Context` alive. It is closed by `close(linger:)` or on deinit.
/// Note that optimized builds may release (and so close) a socket right after its last use,
/// before the end of its scope: with `linger(.zero)`, messages still queued are then
/// discarded. Keep such sockets alive with `withExtendedLifetime` or close them
/// explicitly with a linger. (libzmq's default linger is infinite: queued messages are still
/// delivered after close, but terminating the context waits for them.)
public final class Socket: @unchecked Sendable {
    /// The context this socket belongs to (kept alive by the socket).
    public let context: Context
    /// The socket pattern.
    public let type: SocketType
    private(set) var handle: UnsafeMutableRawPointer?

    init(context: Context, type: SocketType) throws(ZMQError) {
        guard let handle = zmq_socket(context.handle, type.rawValue) else {
            throw ZMQError.last("zmq_socket(\(type))")
        }
        self.context = context
        self.type = type
        self.handle = handle
    }

    deinit {
        if let handle { zmq_close(handle) }
    }

    /// Closes the socket. Pending outgoing messages are kept for at most `linger`
    /// (`nil` keeps the socket's current `ZMQ_LINGER`, by default infinite). Idempotent.
    public func close(linger: Duration? = nil) {
        guard let handle else { return }
        if let linger { try? set(.linger(linger)) }
        zmq_close(handle)
        self.handle = nil
    }

    /// The open handle, or `ENOTSOCK` if the socket was closed.
    func open(_ operation: @autoclosure () -> String) throws(ZMQError) -> UnsafeMutableRawPointer {
        guard let handle else {
            throw ZMQError(code: ENOTSOCK, message: "socket is closed", operation: operation())
        }
        return handle
    }

    /// Binds to an endpoint, for example `"tcp://*:5555"`, `"tcp://127.0.0.1:*"` (ephemeral
    /// port, read it back with `lastEndpoint()`) or `"inproc://name"`.
    public func bind(_ endpoint: String) throws(ZMQError) {
        let handle = try open("zmq_bind(\(endpoint))")
        _ = try retryingInterrupts("zmq_bind(\(endpoint))") { zmq_bind(handle, endpoint) }
    }

    /// Connects to an endpoint, for example `"tcp://broker:5555"` (host names are resolved).
    public func connect(_ endpoint: String) throws(ZMQError) {
        let handle = try open("zmq_connect(\(endpoint))")
        _ = try retryingInterrupts("zmq_connect(\(endpoint))") { zmq_connect(handle, endpoint) }
    }

    /// Stops listening on an endpoint previously bound (use the exact `lastEndpoint()` text
    /// for wildcard binds).
    public func unbind(_ endpoint: String) throws(ZMQError) {
        let handle = try open("zmq_unbind(\(endpoint))")
        _ = try retryingInterrupts("zmq_unbind(\(endpoint))") { zmq_unbind(handle, endpoint) }
    }

    /// Disconnects from an endpoint previously connected.
    public func disconnect(_ endpoint: String) throws(ZMQError) {
        let handle = try open("zmq_disconnect(\(endpoint))")
        _ = try retryingInterrupts("zmq_disconnect(\(endpoint))") { zmq_disconnect(handle, endpoint) }
    }
}
