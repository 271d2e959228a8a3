// A wait on the broker has different causes depending on how far the connection got: no TCP
// connection at all (broker down, wrong host or port), a TCP connection whose ZeroMQ handshake
// never completes (one side CURVE, the other plaintext, or another server key), or a complete
// connection (then the broker is fine and the peer behind it is missing). This type reads the
// socket monitor's events into those stages so `WaitCauses` names only the causes that fit.
import ZeroMQ

/// How far one socket's connection to the broker has got, from its monitor's events.
public struct ConnectionProgress: Sendable, Equatable {
    /// The monitor events to ask for (`Socket.monitor(_:)`).
    public static let events: SocketEvent.Kind = [.connected, .handshakeSucceeded]

    /// A TCP connection opened (at least once).
    public private(set) var connected = false
    /// The ZeroMQ handshake (CURVE included) completed (at least once).
    public private(set) var handshaken = false

    public init(connected: Bool = false, handshaken: Bool = false) {
        self.connected = connected || handshaken
        self.handshaken = handshaken
    }

    /// For logs: `up` (handshake done), `tcp_only` (connected, no handshake) or `none`.
    public var summary: String { handshaken ? "up" : connected ? "tcp_only" : "none" }

    /// Takes in one monitor event; other kinds are ignored.
    public mutating func record(_ kind: SocketEvent.Kind) {
        if kind.contains(.connected) { connected = true }
        if kind.contains(.handshakeSucceeded) { (connected, handshaken) = (true, true) }
    }
}
