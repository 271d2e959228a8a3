import CZMQ

/// One connection event of a monitored socket (see `Socket.monitor(_:)`).
public struct SocketEvent: Sendable, Equatable {
    /// Which events to monitor, and which one happened (`ZMQ_EVENT_*`).
    public struct Kind: OptionSet, Sendable, Hashable {
        public let rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }

        /// A peer connected to a bound socket (`ZMQ_EVENT_ACCEPTED`).
        public static let accepted = Kind(rawValue: UInt16(ZMQ_EVENT_ACCEPTED))
        /// A connection closed: the peer left, or libzmq dropped it, e.g. for a message over
        /// `SocketOption.maxMessageSize` (`ZMQ_EVENT_DISCONNECTED`).
        public static let disconnected = Kind(rawValue: UInt16(ZMQ_EVENT_DISCONNECTED))
        /// An outgoing connection was established (`ZMQ_EVENT_CONNECTED`).
        public static let connected = Kind(rawValue: UInt16(ZMQ_EVENT_CONNECTED))
        /// The security handshake (e.g. CURVE) with a peer completed (`ZMQ_EVENT_HANDSHAKE_SUCCEEDED`).
        public static let handshakeSucceeded = Kind(rawValue: UInt16(ZMQ_EVENT_HANDSHAKE_SUCCEEDED))
        /// The peer's authentication refused this socket (a ZAP status other than 200, e.g. a
        /// CURVE key the server does not admit; `ZMQ_EVENT_HANDSHAKE_FAILED_AUTH`). libzmq does not
        /// reconnect after this: the socket must be closed and opened again.
        public static let handshakeFailedAuth = Kind(rawValue: UInt16(ZMQ_EVENT_HANDSHAKE_FAILED_AUTH))
    }

    /// The event.
    public let kind: Kind
    /// The event's value (for connection events the file descriptor).
    public let value: UInt32
    /// The endpoint concerned, e.g. `tcp://127.0.0.1:5557`.
    public let endpoint: String

    /// Parses libzmq's two-frame event message: u16 event + u32 value, then the endpoint.
    init?(frames: [[UInt8]]) {
        guard frames.count == 2, frames[0].count == 6 else { return nil }
        kind = Kind(rawValue: UInt16(frames[0][0]) | UInt16(frames[0][1]) << 8)
        value = frames[0][2...].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        endpoint = String(decoding: frames[1], as: UTF8.self)
    }
}
