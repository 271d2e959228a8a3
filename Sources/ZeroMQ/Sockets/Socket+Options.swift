import CZMQ

extension Socket {
    /// Applies socket options in order; throws on the first one libzmq rejects.
    public func set(_ options: SocketOption...) throws(ZMQError) {
        for option in options { try apply(option) }
    }

    /// The endpoint most recently bound or connected, with wildcards resolved
    /// (`"tcp://127.0.0.1:41234"` after binding `"tcp://127.0.0.1:*"`).
    public func lastEndpoint() throws(ZMQError) -> String {
        let bytes = try bytesOption(ZMQ_LAST_ENDPOINT, "ZMQ_LAST_ENDPOINT", capacity: 1024)
        return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// The security mechanism in use: `"NULL"`, `"PLAIN"`, `"CURVE"` or `"GSSAPI"`.
    public func mechanism() throws(ZMQError) -> String {
        switch try intOption(ZMQ_MECHANISM, "ZMQ_MECHANISM") {
        case ZMQ_PLAIN: "PLAIN"
        case ZMQ_CURVE: "CURVE"
        case ZMQ_GSSAPI: "GSSAPI"
        default: "NULL"
        }
    }

    /// The routing id (identity) of this socket (`ZMQ_ROUTING_ID`).
    public func routingId() throws(ZMQError) -> [UInt8] {
        try bytesOption(ZMQ_ROUTING_ID, "ZMQ_ROUTING_ID", capacity: 256)
    }

    /// The outgoing queue limit in messages (`ZMQ_SNDHWM`).
    public func sendHighWaterMark() throws(ZMQError) -> Int {
        Int(try intOption(ZMQ_SNDHWM, "ZMQ_SNDHWM"))
    }

    /// The incoming queue limit in messages (`ZMQ_RCVHWM`).
    public func receiveHighWaterMark() throws(ZMQError) -> Int {
        Int(try intOption(ZMQ_RCVHWM, "ZMQ_RCVHWM"))
    }

    /// Whether another frame of the current multipart message is pending (`ZMQ_RCVMORE`).
    var hasMoreFrames: Bool {
        (try? intOption(ZMQ_RCVMORE, "ZMQ_RCVMORE")) ?? 0 != 0
    }

    /// `ZMQ_XPUB_MANUAL_LAST_VALUE`, only declared by zmq.h under `ZMQ_BUILD_DRAFT_API`.
    private static let xpubManualLastValue: Int32 = 98

    private func apply(_ option: SocketOption) throws(ZMQError) {
        switch option {
        case .linger(let d): try setInt(ZMQ_LINGER, "ZMQ_LINGER", milliseconds(d))
        case .sendHighWaterMark(let n): try setInt(ZMQ_SNDHWM, "ZMQ_SNDHWM", count(n, "sendHighWaterMark"))
        case .receiveHighWaterMark(let n): try setInt(ZMQ_RCVHWM, "ZMQ_RCVHWM", count(n, "receiveHighWaterMark"))
        case .subscribe(let prefix): try setBytes(ZMQ_SUBSCRIBE, "ZMQ_SUBSCRIBE", prefix)
        case .unsubscribe(let prefix): try setBytes(ZMQ_UNSUBSCRIBE, "ZMQ_UNSUBSCRIBE", prefix)
        case .xpubVerbose(let on): try setInt(ZMQ_XPUB_VERBOSE, "ZMQ_XPUB_VERBOSE", on ? 1 : 0)
        case .xpubManual(let on): try setInt(ZMQ_XPUB_MANUAL, "ZMQ_XPUB_MANUAL", on ? 1 : 0)
        case .xpubManualLastValue(let on): try setInt(Self.xpubManualLastValue, "ZMQ_XPUB_MANUAL_LAST_VALUE", on ? 1 : 0)
        case .maxMessageSize(let n): try setInt64(ZMQ_MAXMSGSIZE, "ZMQ_MAXMSGSIZE", n.map(Int64.init) ?? -1)
        case .conflate(let on): try setInt(ZMQ_CONFLATE, "ZMQ_CONFLATE", on ? 1 : 0)
        case .heartbeatInterval(let d): try setInt(ZMQ_HEARTBEAT_IVL, "ZMQ_HEARTBEAT_IVL", milliseconds(d))
        case .heartbeatTimeout(let d): try setInt(ZMQ_HEARTBEAT_TIMEOUT, "ZMQ_HEARTBEAT_TIMEOUT", milliseconds(d))
        case .heartbeatTimeToLive(let d): try setInt(ZMQ_HEARTBEAT_TTL, "ZMQ_HEARTBEAT_TTL", milliseconds(d))
        case .reconnectInterval(let d): try setInt(ZMQ_RECONNECT_IVL, "ZMQ_RECONNECT_IVL", milliseconds(d))
        case .reconnectIntervalMax(let d):
            try setInt(ZMQ_RECONNECT_IVL_MAX, "ZMQ_RECONNECT_IVL_MAX", d.map(milliseconds) ?? 0)
        case .receiveTimeout(let d): try setInt(ZMQ_RCVTIMEO, "ZMQ_RCVTIMEO", milliseconds(d))
        case .sendTimeout(let d): try setInt(ZMQ_SNDTIMEO, "ZMQ_SNDTIMEO", milliseconds(d))
        case .routingId(let id): try setBytes(ZMQ_ROUTING_ID, "ZMQ_ROUTING_ID", id)
        case .routerMandatory(let on): try setInt(ZMQ_ROUTER_MANDATORY, "ZMQ_ROUTER_MANDATORY", on ? 1 : 0)
        case .immediate(let on): try setInt(ZMQ_IMMEDIATE, "ZMQ_IMMEDIATE", on ? 1 : 0)
        case .tcpKeepalive(let on): try setInt(ZMQ_TCP_KEEPALIVE, "ZMQ_TCP_KEEPALIVE", on ? 1 : 0)
        case .curveServer(let on): try setInt(ZMQ_CURVE_SERVER, "ZMQ_CURVE_SERVER", on ? 1 : 0)
        case .curvePublicKey(let key): try setBytes(ZMQ_CURVE_PUBLICKEY, "ZMQ_CURVE_PUBLICKEY", key.bytes)
        case .curveSecretKey(let key): try setBytes(ZMQ_CURVE_SECRETKEY, "ZMQ_CURVE_SECRETKEY", key.bytes)
        case .curveServerKey(let key): try setBytes(ZMQ_CURVE_SERVERKEY, "ZMQ_CURVE_SERVERKEY", key.bytes)
        case .zapDomain(let domain): try setBytes(ZMQ_ZAP_DOMAIN, "ZMQ_ZAP_DOMAIN", Array(domain.utf8))
        case .affinity(let mask):
            var value = mask
            try setRaw(ZMQ_AFFINITY, "ZMQ_AFFINITY", &value, MemoryLayout<UInt64>.size)
        }
    }

    /// Milliseconds for an optional duration; `nil` means infinite (-1).
    private func milliseconds(_ duration: Duration?) -> Int32 {
        guard let duration else { return -1 }
        let (seconds, attoseconds) = duration.components
        let ms = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        return Int32(clamping: max(ms, 0))
    }

    private func count(_ value: Int, _ name: String) throws(ZMQError) -> Int32 {
        guard value >= 0 else {
            throw ZMQError.invalidArgument("\(name) must be ≥ 0, got \(value)", operation: "zmq_setsockopt")
        }
        return Int32(clamping: value)
    }

    private func setInt(_ name: Int32, _ label: String, _ value: Int32) throws(ZMQError) {
        var value = value
        try setRaw(name, label, &value, MemoryLayout<Int32>.size)
    }

    private func setInt64(_ name: Int32, _ label: String, _ value: Int64) throws(ZMQError) {
        var value = value
        try setRaw(name, label, &value, MemoryLayout<Int64>.size)
    }

    private func setBytes(_ name: Int32, _ label: String, _ value: [UInt8]) throws(ZMQError) {
        var value = value
        try setRaw(name, label, &value, value.count)
    }

    private func setRaw(_ name: Int32, _ label: String, _ value: UnsafeRawPointer, _ size: Int) throws(ZMQError) {
        let handle = try open("zmq_setsockopt(\(label))")
        _ = try retryingInterrupts("zmq_setsockopt(\(label))") { zmq_setsockopt(handle, name, value, size) }
    }

    func intOption(_ name: Int32, _ label: String) throws(ZMQError) -> Int32 {
        let handle = try open("zmq_getsockopt(\(label))")
        var value: Int32 = 0
        var size = MemoryLayout<Int32>.size
        _ = try retryingInterrupts("zmq_getsockopt(\(label))") { zmq_getsockopt(handle, name, &value, &size) }
        return value
    }

    private func bytesOption(_ name: Int32, _ label: String, capacity: Int) throws(ZMQError) -> [UInt8] {
        let handle = try open("zmq_getsockopt(\(label))")
        var buffer = [UInt8](repeating: 0, count: capacity)
        var size = capacity
        _ = try retryingInterrupts("zmq_getsockopt(\(label))") { zmq_getsockopt(handle, name, &buffer, &size) }
        return Array(buffer.prefix(size))
    }
}
