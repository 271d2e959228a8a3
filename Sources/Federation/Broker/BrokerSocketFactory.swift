import ZeroMQ

/// Creates the broker's bound sockets with the configured limits and security.
struct BrokerSocketFactory {
    let context: Context
    let configuration: BrokerConfiguration

    /// A socket of `type` bound to `port` (0 = ephemeral), with `highWaterMark` both ways,
    /// zero linger (the broker stops promptly and drops what is in flight), the inbound frame
    /// size limit `maxMessageSize` (`nil` = none), and CURVE server mode when a secret key is
    /// configured.
    func bind(_ type: SocketType, port: Int, highWaterMark: Int, maxMessageSize: Int?,
              extra: [SocketOption] = []) throws(BrokerError) -> (Socket, String) {
        let endpoint = configuration.endpoint(port: port)
        do {
            let socket = try context.socket(type)
            for option in options(highWaterMark: highWaterMark, maxMessageSize: maxMessageSize) + extra { try socket.set(option) }
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
