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
    /// zero linger (the broker stops promptly and drops what is in flight), the inbound size
    /// limit, and CURVE server mode in ZAP `domain` when a secret key is configured.
    func bind(_ type: SocketType, port: Int, highWaterMark: Int, domain: String, extra: [SocketOption] = []) throws(BrokerError) -> (Socket, String) {
        let endpoint = configuration.endpoint(port: port)
        do {
            let socket = try context.socket(type)
            for option in options(highWaterMark: highWaterMark, domain: domain) + extra { try socket.set(option) }
            try socket.bind(endpoint)
            return (socket, try socket.lastEndpoint())
        } catch {
            throw BrokerError(.socketSetupFailed, "\(type) socket on \(endpoint): \(error)")
        }
    }

    private func options(highWaterMark: Int, domain: String) -> [SocketOption] {
        var options: [SocketOption] = [
            .linger(.zero),
            .sendHighWaterMark(highWaterMark),
            .receiveHighWaterMark(highWaterMark),
            .maxMessageSize(configuration.maxMessageSize),
        ]
        if let secret = configuration.curveSecretKey {
            options += [.curveServer(true), .curveSecretKey(secret), .zapDomain(domain)]
        }
        return options
    }
}
