/// A socket option with a typed value, applied with `Socket.set(_:)`.
///
/// Durations are rounded to whole milliseconds; `nil` durations mean "infinite" where
/// libzmq supports it (`-1`).
public enum SocketOption: Sendable {
    /// How long pending outgoing messages are kept after close (`ZMQ_LINGER`); `nil` = forever.
    case linger(Duration?)
    /// Outgoing queue limit in messages (`ZMQ_SNDHWM`); 0 = unlimited.
    case sendHighWaterMark(Int)
    /// Incoming queue limit in messages (`ZMQ_RCVHWM`); 0 = unlimited.
    case receiveHighWaterMark(Int)
    /// SUB/XSUB: subscribe to messages whose first frame starts with these bytes (empty = all).
    case subscribe([UInt8])
    /// SUB/XSUB: remove a subscription previously added.
    case unsubscribe([UInt8])
    /// XPUB: pass every subscription message upstream, including duplicates (`ZMQ_XPUB_VERBOSE`).
    case xpubVerbose(Bool)
    /// XPUB: subscriptions are not applied automatically; after receiving a subscription
    /// message, apply it with `.subscribe`/`.unsubscribe` on the XPUB (`ZMQ_XPUB_MANUAL`).
    case xpubManual(Bool)
    /// XPUB with `xpubManual`: the first message sent after a manually applied subscription
    /// goes only to that new subscriber (`ZMQ_XPUB_MANUAL_LAST_VALUE`, a libzmq draft option
    /// that stable 4.3 builds accept; rejected with `EINVAL` where unsupported).
    case xpubManualLastValue(Bool)
    /// Largest accepted inbound message in bytes (`ZMQ_MAXMSGSIZE`); `nil` = unlimited.
    /// Peers sending bigger messages are disconnected.
    case maxMessageSize(Int?)
    /// Keep only the last message in the queues (`ZMQ_CONFLATE`; single-part messages only).
    case conflate(Bool)
    /// Interval between ZMTP heartbeats (`ZMQ_HEARTBEAT_IVL`).
    case heartbeatInterval(Duration)
    /// Drop the connection if no traffic arrives this long after a heartbeat (`ZMQ_HEARTBEAT_TIMEOUT`).
    case heartbeatTimeout(Duration)
    /// Time-to-live announced to the peer in heartbeats (`ZMQ_HEARTBEAT_TTL`).
    case heartbeatTimeToLive(Duration)
    /// Initial reconnection interval (`ZMQ_RECONNECT_IVL`).
    case reconnectInterval(Duration)
    /// Maximum reconnection interval with exponential back-off (`ZMQ_RECONNECT_IVL_MAX`); `nil` = none.
    case reconnectIntervalMax(Duration?)
    /// Blocking receives give up after this long (`ZMQ_RCVTIMEO`); `nil` = wait forever.
    case receiveTimeout(Duration?)
    /// Blocking sends give up after this long (`ZMQ_SNDTIMEO`); `nil` = wait forever.
    case sendTimeout(Duration?)
    /// The identity this socket announces to ROUTER peers (`ZMQ_ROUTING_ID`, 1…255 bytes).
    case routingId([UInt8])
    /// ROUTER: a message addressed to a routing id with no connection fails with
    /// `EHOSTUNREACH` (`ZMQError.isHostUnreachable`) instead of being dropped silently
    /// (`ZMQ_ROUTER_MANDATORY`).
    case routerMandatory(Bool)
    /// Queue messages only to completed connections (`ZMQ_IMMEDIATE`).
    case immediate(Bool)
    /// TCP keep-alive (`ZMQ_TCP_KEEPALIVE`): `true` on, `false` off.
    case tcpKeepalive(Bool)
    /// Act as CURVE server (`ZMQ_CURVE_SERVER`); also set `curveSecretKey`.
    case curveServer(Bool)
    /// This socket's long-term CURVE public key (`ZMQ_CURVE_PUBLICKEY`).
    case curvePublicKey(CurveKey)
    /// This socket's long-term CURVE secret key (`ZMQ_CURVE_SECRETKEY`).
    case curveSecretKey(CurveKey)
    /// CURVE client: the server's public key (`ZMQ_CURVE_SERVERKEY`); makes the socket a client.
    case curveServerKey(CurveKey)
    /// ZAP domain used for authentication (`ZMQ_ZAP_DOMAIN`).
    case zapDomain(String)
    /// The libzmq I/O threads that serve this socket's new connections, as a bit mask (bit i =
    /// thread i; `ZMQ_AFFINITY`); 0 = any thread.
    case affinity(UInt64)

    /// `subscribe` with the UTF-8 bytes of a string prefix.
    public static func subscribe(_ prefix: String) -> SocketOption { .subscribe(Array(prefix.utf8)) }
    /// `unsubscribe` with the UTF-8 bytes of a string prefix.
    public static func unsubscribe(_ prefix: String) -> SocketOption { .unsubscribe(Array(prefix.utf8)) }
}
