// The broker has two faces: trainers connect to model-out, updates-in and control-in, the
// aggregator to model-in, updates-out and control-out. The host and port options of every
// broker client are the same apart from which three ports they name, so that choice is a
// type parameter of `BrokerEndpointOptions` and written down once here.
import FedMQTransport

/// One of the broker's three channels as a client sees it: which broker port it connects to
/// and how that port is named in flags, variables and help.
public struct BrokerChannelPort: Sendable {
    /// The port's name, e.g. `model-out`: the flag is `--model-out-port`, the variable `FEDMQ_MODEL_OUT_PORT`.
    public let name: String
    /// The broker socket behind it, e.g. `XPUB`, for help texts.
    public let socket: String
    /// The port in `BrokerPorts`.
    public let port: KeyPath<BrokerPorts, Int> & Sendable

    /// `--<name>-port`'s long name.
    public var flag: String { name + "-port" }
    /// `FEDMQ_<NAME>_PORT`.
    public var variable: String { "FEDMQ_" + name.uppercased().replacingOccurrences(of: "-", with: "_") + "_PORT" }
    /// The default port number.
    public var defaultPort: Int { BrokerPorts.defaults[keyPath: port] }
}

/// Which side of the broker a client connects to: its model, update and control ports.
public protocol BrokerSide {
    /// The port models travel through.
    static var model: BrokerChannelPort { get }
    /// The port updates travel through.
    static var update: BrokerChannelPort { get }
    /// The port of register/heartbeat requests.
    static var control: BrokerChannelPort { get }
}

/// Trainers (and `fedmq loadgen`'s simulated ones): model-out, updates-in, control-in.
public enum TrainerSide: BrokerSide {
    public static var model: BrokerChannelPort { BrokerChannelPort(name: "model-out", socket: "XPUB", port: \.modelOut) }
    public static var update: BrokerChannelPort { BrokerChannelPort(name: "updates-in", socket: "PULL", port: \.updatesIn) }
    public static var control: BrokerChannelPort { BrokerChannelPort(name: "control-in", socket: "ROUTER", port: \.controlIn) }
}

/// The aggregator: model-in, updates-out, control-out.
public enum AggregatorSide: BrokerSide {
    public static var model: BrokerChannelPort { BrokerChannelPort(name: "model-in", socket: "XSUB", port: \.modelIn) }
    public static var update: BrokerChannelPort { BrokerChannelPort(name: "updates-out", socket: "PUSH", port: \.updatesOut) }
    public static var control: BrokerChannelPort { BrokerChannelPort(name: "control-out", socket: "ROUTER", port: \.controlOut) }
}
