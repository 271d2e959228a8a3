/// A broker failure: invalid configuration or a socket that could not be set up.
public struct BrokerError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, coarsely.
    public enum Code: String, Sendable {
        /// A configuration value is out of range or inconsistent.
        case invalidConfiguration
        /// A socket could not be created, configured or bound.
        case socketSetupFailed
        /// A channel's forwarding loop ended with a socket error.
        case channelFailed
        /// `run()` was called more than once.
        case alreadyRunning
    }

    public let code: Code
    public let message: String
    /// The error this one wraps (a file system, JSON, ZeroMQ or parser error), if any.
    public let underlying: (any Error)?

    public init(_ code: Code, _ message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String { "broker \(code.rawValue): \(message)" }
}
