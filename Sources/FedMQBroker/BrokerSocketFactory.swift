import ZeroMQ

/// Creates the broker's bound sockets with the configured limits and security.
struct BrokerSocketFactory {
    let context: Context
    let configuration: BrokerConfiguration

    /// ZAP domain of the sockets trainers connect to.
    static let trainerDomain = "fedmq-trainers"
    /// ZAP domain of the sockets the aggregator connects to.
    static let aggregatorDomain = "fedmq-aggregator"

    /// A socket of `type` bound to `port` (0 = ephemeral), with `highWaterMark` both ways,
    /// zero linger (the broker stops promptly and drops what is in flight), the inbound frame
    /// size limit `maxMessageSize` (`nil` = none), and CURVE server mode in ZAP `domain` when a
    /// secret key is configured; served by the I/O threads of `domain` (see `affinity`).
    func bind(_ type: SocketType, port: Int, highWaterMark: Int, maxMessageSize: Int?, domain: String,
              extra: [SocketOption] = []) throws(BrokerError) -> (Socket, String) {
        let endpoint = configuration.endpoint(port: port)
        do {
            let socket = try context.socket(type)
            let options = options(highWaterMark: highWaterMark, maxMessageSize: maxMessageSize, domain: domain)
            for option in options + [.affinity(affinity(domain))] + extra { try socket.set(option) }
            try socket.bind(endpoint)
            return (socket, try socket.lastEndpoint())
        } catch {
            throw BrokerError(.socketSetupFailed, "\(type) socket on \(endpoint): \(error)", underlying: error)
        }
    }

    /// Connection events (`accepted`, `disconnected`) of `socket`, for `ChannelCounters`.
    func monitor(_ socket: Socket) throws(BrokerError) -> Socket {
        do {
            return try socket.monitor([.accepted, .disconnected])
        } catch {
            throw BrokerError(.socketSetupFailed, "cannot monitor \(socket.type) socket: \(error)", underlying: error)
        }
    }

    /// I/O thread 0 for the aggregator's domain, the others for the trainers' (any thread when
    /// there is only one): see `BrokerConfiguration.ioThreads`.
    private func affinity(_ domain: String) -> UInt64 {
        guard configuration.ioThreads >= 2 else { return 0 }
        let all = configuration.ioThreads >= 64 ? UInt64.max : (UInt64(1) << UInt64(configuration.ioThreads)) - 1
        return domain == Self.aggregatorDomain ? 1 : all & ~1
    }

    private func options(highWaterMark: Int, maxMessageSize: Int?, domain: String) -> [SocketOption] {
        var options: [SocketOption] = [
            .linger(.zero),
            .sendHighWaterMark(highWaterMark),
            .receiveHighWaterMark(highWaterMark),
            .maxMessageSize(maxMessageSize),
        ]
        if let secret = configuration.curveSecretKey {
            options += [.curveServer(true), .curveSecretKey(secret), .zapDomain(domain)]
        }
        return options
    }
}
