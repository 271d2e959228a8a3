// The trainer, the aggregator and `fedmq loadgen` all find the broker the same way: a host
// name (`--broker`), a port per channel, or a full endpoint per channel, each also from a
// `FEDMQ_*` variable. One option group, parameterised by the side of the broker, gives the
// three commands the same flags, variables, precedence and errors.
import ArgumentParser
import FedMQTransport

/// The broker endpoints of a client on `Side` of the broker: `--broker`/`--broker-host`,
/// `--<port>-port` for each of its three ports and `--model-endpoint`, `--update-endpoint`,
/// `--control-endpoint` (a full endpoint wins over host and port).
public struct BrokerEndpointOptions<Side: BrokerSide>: ParsableArguments {
    @Option(name: [.customLong("broker"), .customLong("broker-host")],
            help: "Broker host name or address; the three endpoints are tcp://<host>:<port> with the ports below. [env: FEDMQ_BROKER or FEDMQ_BROKER_HOST, default: localhost]")
    public var brokerHost: String?

    @Option(name: .customLong(Side.model.flag), help: Self.portHelp(Side.model))
    public var modelPort: Int?

    @Option(name: .customLong(Side.update.flag), help: Self.portHelp(Side.update))
    public var updatePort: Int?

    @Option(name: .customLong(Side.control.flag), help: Self.portHelp(Side.control))
    public var controlPort: Int?

    @Option(help: Self.endpointHelp("model", Side.model, variable: "FEDMQ_MODEL_ENDPOINT"))
    public var modelEndpoint: String?

    @Option(help: Self.endpointHelp("update", Side.update, variable: "FEDMQ_UPDATE_ENDPOINT"))
    public var updateEndpoint: String?

    @Option(help: Self.endpointHelp("control", Side.control, variable: "FEDMQ_CONTROL_ENDPOINT"))
    public var controlEndpoint: String?

    public init() {}

    /// The three endpoints: the full endpoint (flag, then variable), else `tcp://<host>:<port>`
    /// with the host and port from flag, variable or default. A port outside 1…65535 is a
    /// validation error naming its flag or variable.
    public func endpoints(_ env: EnvironmentValues = EnvironmentValues()) throws -> (model: String, update: String, control: String) {
        let host = brokerHost ?? env.string("FEDMQ_BROKER") ?? env.string("FEDMQ_BROKER_HOST") ?? "localhost"
        func endpoint(_ explicit: String?, variable: String, port: Int?, _ channel: BrokerChannelPort) throws -> String {
            if let url = explicit ?? env.string(variable) { return url }
            let (number, source) = if let port { (port, "--" + channel.flag) } else if let port: Int = try env.value(channel.variable) {
                (port, channel.variable)
            } else { (channel.defaultPort, "") }
            guard (1...65535).contains(number) else { throw ValidationError("\(source) must be in 1…65535, got \(number)") }
            return "tcp://\(host):\(number)"
        }
        return (try endpoint(modelEndpoint, variable: "FEDMQ_MODEL_ENDPOINT", port: modelPort, Side.model),
                try endpoint(updateEndpoint, variable: "FEDMQ_UPDATE_ENDPOINT", port: updatePort, Side.update),
                try endpoint(controlEndpoint, variable: "FEDMQ_CONTROL_ENDPOINT", port: controlPort, Side.control))
    }

    private static func portHelp(_ channel: BrokerChannelPort) -> ArgumentHelp {
        "Broker \(channel.name) port (\(channel.socket)). [env: \(channel.variable), default: \(channel.defaultPort)]"
    }

    private static func endpointHelp(_ what: String, _ channel: BrokerChannelPort, variable: String) -> ArgumentHelp {
        "Full \(what) endpoint (broker \(channel.name) \(channel.socket)), overrides host and port, e.g. \(BrokerPorts.defaults.endpoint(host: "broker", channel.port)). [env: \(variable)]"
    }
}
