import CZMQ

/// Flags for `Socket.send(_:options:)` and `Socket.receiveMultipart(options:)`.
public struct SendOptions: OptionSet, Sendable {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// Do not block: a send that cannot be queued returns `false`, a receive with nothing
    /// pending returns `nil` (`ZMQ_DONTWAIT`).
    public static let dontWait = SendOptions(rawValue: ZMQ_DONTWAIT)
}

/// Flags for receive calls (same `dontWait` semantics as `SendOptions`).
public typealias ReceiveOptions = SendOptions
