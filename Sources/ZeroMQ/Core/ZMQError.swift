import CZMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one error type of the ZeroMQ module: an `errno` value reported by libzmq, its
/// `zmq_strerror` text and the operation that failed.
public struct ZMQError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The `errno` value (for example `EAGAIN`, `ETERM`, `EINVAL`).
    public let code: Int32
    /// Human-readable text for `code`, from `zmq_strerror` (or a module-specific text).
    public let message: String
    /// The operation that failed, for example `"zmq_connect(tcp://broker:5555)"`.
    public let operation: String

    /// Creates an error from an explicit code and message.
    public init(code: Int32, message: String, operation: String) {
        self.code = code
        self.message = message
        self.operation = operation
    }

    /// Captures the calling thread's current `zmq_errno()`.
    static func last(_ operation: @autoclosure () -> String) -> ZMQError {
        let code = zmq_errno()
        return ZMQError(code: code, message: String(cString: zmq_strerror(code)), operation: operation())
    }

    /// An invalid-argument error raised by this module before calling libzmq.
    static func invalidArgument(_ message: String, operation: String) -> ZMQError {
        ZMQError(code: EINVAL, message: message, operation: operation)
    }

    public var description: String { "\(operation) failed: \(message) (errno \(code))" }

    /// The operation would block, or a send/receive timeout expired (`EAGAIN`).
    public var isWouldBlock: Bool { code == EAGAIN }
    /// The context was terminated or shut down (`ETERM`): loops should exit cleanly.
    public var isContextTerminated: Bool { code == ETERM }
    /// A ROUTER with `routerMandatory` was asked to send to a routing id that has no
    /// connection (`EHOSTUNREACH`).
    public var isHostUnreachable: Bool { code == EHOSTUNREACH }
    /// A signal interrupted the call (`EINTR`); the module retries these internally.
    public var isInterrupted: Bool { code == EINTR }

    /// `errno` for "would block / timed out".
    public static let wouldBlockCode: Int32 = EAGAIN
    /// `errno` for "context terminated".
    public static let contextTerminatedCode: Int32 = ETERM
    /// `errno` for an invalid argument (bad option value, malformed endpoint).
    public static let invalidArgumentCode: Int32 = EINVAL
    /// `errno` for an unsupported transport (for example `"bogus://x"`).
    public static let protocolNotSupportedCode: Int32 = EPROTONOSUPPORT
}

/// Calls `body` until it does not fail with `EINTR`; returns its non-negative result or throws.
@inline(__always)
func retryingInterrupts(_ operation: @autoclosure () -> String, _ body: () -> Int32) throws(ZMQError) -> Int32 {
    while true {
        let rc = body()
        if rc >= 0 { return rc }
        let error = ZMQError.last(operation())
        if !error.isInterrupted { throw error }
    }
}
