import ZeroMQ

/// Creates the broker's bound sockets with the configured limits and security.
struct BrokerSocketFactory {
    let context: Context
    let configuration: BrokerConfiguration

    /// A socket of `type` bound to `port` (0 = ephemeral), with `highWaterMark` both ways,
    /// zero linger (the broker stops promptly and drops what is in flight), the inbound frame
    /// size limit `maxMessageSize` (`nil` = none), and CURVE server mode when a secret key is
    /// configured.
    func bind(_ type: SocketType, port: Int, highWaterMark: Int, maxMessageSize: Int?, side: Side,
              extra: [SocketOption] = []) throws(BrokerError) -> (Socket, String) {
        let endpoint = configuration.endpoint(port: port)
        do {
            let socket = try context.socket(type)
            let all = options(highWaterMark: highWaterMark, maxMessageSize: maxMessageSize) + [.affinity(affinity(side))] + extra
            for option in all { try socket.set(option) }
            try socket.bind(endpoint)
            return (socket, try socket.lastEndpoint())
        } catch {
            throw BrokerError(.socketSetupFailed, "\(type) socket on \(endpoint): \(error)")
        }
    }

    /// Connection events (`accepted`, `disconnected`) of `socket`, for `ChannelCounters`.
    func monitor(_ socket: Socket) throws(BrokerError) -> Socket {
        do {
            return try socket.monitor([.accepted, .disconnected])
        } catch {
            throw BrokerError(.socketSetupFailed, "cannot monitor \(socket.type) socket: \(error)")
        }
    }

    /// Which peers connect to a socket.
    enum Side {
        case aggregator, trainers
    }

    /// I/O thread 0 for the aggregator's side, the others for the trainers' (any thread when
    /// there is only one).
    private func affinity(_ side: Side) -> UInt64 {
        guard configuration.ioThreads >= 2 else { return 0 }
        let all = configuration.ioThreads >= 64 ? UInt64.max : (UInt64(1) << UInt64(configuration.ioThreads)) - 1
        return side == .aggregator ? 1 : all & ~1
    }

    private func options(highWaterMark: Int, maxMessageSize: Int?) -> [SocketOption] {
        var options: [SocketOption] = [
            .linger(.zero),
            .sendHighWaterMark(highWaterMark),
            .receiveHighWaterMark(highWaterMark),
            .maxMessageSize(maxMessageSize),
        ]
        if let secret = configuration.curveSecretKey {
            options += [.curveServer(true), .curveSecretKey(secret)]
        }
        return options
    }
}
