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

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "broker \(code.rawValue): \(message)" }
}
