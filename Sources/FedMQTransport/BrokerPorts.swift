import FedMQProtocol

/// The six TCP ports of the broker. Port 0 binds an ephemeral port (read the actual one
/// from `BrokerService.endpoints`), which tests use to avoid collisions.
public struct BrokerPorts: Sendable, Equatable {
    /// XSUB: the aggregator's PUB connects here to publish models.
    public var modelIn = 5555
    /// XPUB: trainers' SUB sockets connect here to receive models.
    public var modelOut = 5556
    /// PULL: trainers' PUSH sockets connect here to send updates.
    public var updatesIn = 5557
    /// PUSH: the aggregator's PULL connects here to collect updates.
    public var updatesOut = 5558
    /// ROUTER: trainers' DEALER sockets connect here for register/heartbeat requests.
    public var controlIn = 5559
    /// DEALER: the aggregator's ROUTER connects here to answer control requests.
    public var controlOut = 5560

    public init() {}

    /// The default ports (5555…5560), the one place they are written down.
    public static let defaults = BrokerPorts()

    /// `tcp://host:port` for one of these ports, e.g. `endpoint(host: "broker", \.modelOut)`.
    public func endpoint(host: String, _ port: KeyPath<BrokerPorts, Int>) -> String {
        "tcp://\(host):\(self[keyPath: port])"
    }

    /// All six ports 0: every socket gets an ephemeral port (tests, benchmarks).
    public static var ephemeral: BrokerPorts {
        var ports = BrokerPorts()
        (ports.modelIn, ports.modelOut, ports.updatesIn) = (0, 0, 0)
        (ports.updatesOut, ports.controlIn, ports.controlOut) = (0, 0, 0)
        return ports
    }

    /// All ports with their names, in declaration order.
    public var named: [(name: String, port: Int)] {
        [("model-in", modelIn), ("model-out", modelOut), ("updates-in", updatesIn),
         ("updates-out", updatesOut), ("control-in", controlIn), ("control-out", controlOut)]
    }

    /// Every port must be in 0…65535 and non-zero ports must be distinct.
    public func validate() throws(ConfigurationError) {
        for (name, port) in named where !(0...65535).contains(port) {
            throw ConfigurationError("\(name) port \(port) is outside 0…65535")
        }
        var seen: [Int: String] = [:]
        for (name, port) in named where port != 0 {
            if let other = seen[port] {
                throw ConfigurationError("\(other) and \(name) both use port \(port)")
            }
            seen[port] = name
        }
    }
}
