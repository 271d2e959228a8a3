import FedMQProtocol
import Foundation
import FedMQTransport
import TensorCore

/// The command lines of every process of a `fedmq run`: a broker on loopback ports, the
/// aggregator and the trainers connected to it, all writing into one `RunLayout`.
public struct LaunchPlan: Sendable {
    public let configuration: LaunchConfiguration
    public let layout: RunLayout
    /// The broker's six ports on 127.0.0.1.
    public let ports: BrokerPorts
    /// Number of float32 parameters of the run's model (the broker's message size limit).
    public let modelParameterCount: Int
    /// Each child's Prometheus metrics port on 127.0.0.1, by child name ("broker",
    /// "aggregator", "trainer-1"…); empty unless `configuration.exportMetrics`.
    public let metricsPorts: [String: Int]

    /// - Parameter ports: the broker's ports; nil reserves six free loopback ports.
    public init(configuration: LaunchConfiguration, layout: RunLayout, ports: BrokerPorts? = nil) throws(ConfigurationError) {
        try configuration.validate()
        do {
            modelParameterCount = try ModelArchitecture.named(configuration.modelName).layout.count
        } catch {
            throw ConfigurationError("model \"\(configuration.modelName)\": \(error)", underlying: error)
        }
        self.configuration = configuration
        self.layout = layout
        let children = ["broker", "aggregator"] + (0..<configuration.trainers).map { "trainer-\($0 + 1)" }
        let metricsCount = configuration.exportMetrics ? children.count : 0
        // One reservation for every port, so they are all distinct.
        let free = try FreePorts.reserve((ports == nil ? 6 : 0) + metricsCount)
        metricsPorts = Dictionary(uniqueKeysWithValues: zip(children, free.suffix(metricsCount)))
        if let ports {
            self.ports = ports
        } else {
            var p = BrokerPorts()
            (p.modelIn, p.modelOut, p.updatesIn, p.updatesOut, p.controlIn, p.controlOut) =
                (free[0], free[1], free[2], free[3], free[4], free[5])
            self.ports = p
        }
    }

    private func endpoint(_ port: KeyPath<BrokerPorts, Int>) -> String { ports.endpoint(host: "127.0.0.1", port) }

    /// Where the CURVE keys of this run go (used when `configuration.curve`).
    public var keys: CurveKeyDirectory { CurveKeyDirectory(path: layout.keys) }

    /// Writes fresh CURVE keys for the broker, the aggregator and every trainer into `keys`.
    public func generateKeys() throws(ConfigurationError) {
        try keys.generate(names: [CurveKeyDirectory.brokerName, "aggregator"]
            + CurveKeyDirectory.trainerNames(count: configuration.trainers))
    }

    /// The CURVE arguments of a client called `name` (nothing without `curve`).
    private func curveClientArguments(_ name: String) -> [String] {
        guard configuration.curve else { return [] }
        return ["--curve-server-key-file", keys.publicKeyFile(CurveKeyDirectory.brokerName),
                "--curve-secret-key-file", keys.secretKeyFile(name)]
    }

    /// Every child of the run, broker first, then the aggregator, then the trainers, with the
    /// executables in the configuration's directory; each withholds the `FEDMQ_*` variables of
    /// `environment` (everything is on the command line).
    public func invocations(environment: [String: String] = ProcessInfo.processInfo.environment) -> [ChildInvocation] {
        let withheld = ChildInvocation.withheldVariables(of: environment)
        let child = { (name: String, executable: String, arguments: [String]) in
            ChildInvocation(name: name, executable: configuration.executablesDirectory + "/" + executable,
                            arguments: metricsArguments(name) + arguments, removedVariables: withheld)
        }
        return [child("broker", "broker", brokerArguments), child("aggregator", "aggregator", aggregatorArguments)]
            + (0..<configuration.trainers).map { i in child("trainer-\(i + 1)", "trainer", trainerArguments(index: i)) }
    }

    /// `--metrics-port`/`--metrics-host` of child `name` (loopback), if it exports metrics.
    public func metricsArguments(_ name: String) -> [String] {
        metricsPorts[name].map { ["--metrics-port", "\($0)", "--metrics-host", "127.0.0.1"] } ?? []
    }

    /// Where each child's metrics are, in start order: "name http://127.0.0.1:port/metrics".
    public var metricsAddresses: [String] {
        invocations(environment: [:]).compactMap { child in
            metricsPorts[child.name].map { "\(child.name) http://127.0.0.1:\($0)/metrics" }
        }
    }

    /// The text of the run's `commands.sh`: a comment, then one line per process in start order.
    public func commandsScript(_ invocations: [ChildInvocation]) -> String {
        let header = """
            #!/bin/sh
            # The processes `fedmq run` started for \(layout.directory), one line each, in start order
            # (broker, aggregator, trainers). Run any line in its own terminal to start that process by hand;
            # `fedmq run` sent each one's output to logs/<name>.log. Every setting is a flag: the children got
            # no FEDMQ_* variable (`env -u` drops those set when the run started; unset any others).

            """
        return header + invocations.map { $0.shellLine + "\n" }.joined()
    }

    /// `broker` arguments: loopback only, the six ports, the model's size (sets its message size limit).
    public var brokerArguments: [String] {
        ["--bind", "127.0.0.1", "--model-parameters", "\(modelParameterCount)",
         "--model-in-port", "\(ports.modelIn)", "--model-out-port", "\(ports.modelOut)",
         "--updates-in-port", "\(ports.updatesIn)", "--updates-out-port", "\(ports.updatesOut)",
         "--control-in-port", "\(ports.controlIn)", "--control-out-port", "\(ports.controlOut)",
         "--log-level", configuration.logLevel.rawValue]
            + (configuration.curve
                ? ["--curve-secret-key-file", keys.secretKeyFile(CurveKeyDirectory.brokerName),
                   "--allowed-keys-file", keys.allowedKeysFile, "--aggregator-keys-file", keys.publicKeyFile("aggregator")]
                : [])
    }

    /// `aggregator` arguments: endpoints, strategy, one shard per trainer, evaluation,
    /// checkpoints, metrics and report in the run directory, stop conditions.
    public var aggregatorArguments: [String] {
        let c = configuration
        var a = ["--model-endpoint", endpoint(\.modelIn), "--update-endpoint", endpoint(\.updatesOut),
                 "--control-endpoint", endpoint(\.controlOut),
                 "--model", c.modelName, "--mode", c.mode.rawValue, "--run-id", "\(c.runID)", "--seed", "\(c.seed)",
                 "--shards", "\(c.trainers)", "--partition", c.partition.description,
                 "--buffer-size", "\(c.bufferSize)", "--round-size", "\(c.roundSize ?? c.trainers)", "--min-trainers", "\(c.trainers)", "--alpha", "\(c.alpha)",
                 "--eval-every", "\(c.evalEvery)", "--checkpoint-dir", layout.checkpoints,
                 "--metrics", layout.metrics, "--report", layout.report, "--log-level", c.logLevel.rawValue]
        if let t = c.targetAccuracy { a += ["--target-accuracy", "\(t)"] }
        if let v = c.maxVersions { a += ["--max-versions", "\(v)"] }
        if let s = c.timeLimit { a += ["--time-limit", "\(s)"] }
        if let d = c.dataDirectory { a += ["--data-dir", d] }
        a += curveClientArguments("aggregator")
        if c.curve { a += ["--trainer-keys-file", keys.trainerKeysFile] }
        return a + c.aggregatorArguments
    }

    /// Arguments of trainer `index` (0-based): endpoints, a stable identity, local work. Sync
    /// trainers train once per version; async/buffered ones train continuously.
    public func trainerArguments(index: Int) -> [String] {
        let c = configuration
        var a = ["--model-endpoint", endpoint(\.modelOut), "--update-endpoint", endpoint(\.updatesIn),
                 "--control-endpoint", endpoint(\.controlIn),
                 "--identity", "trainer-\(index + 1)", "--run-id", "\(c.runID)", "--model", c.modelName,
                 "--batch-size", "\(c.batchSize)", "--lr", "\(c.learningRate)", "--momentum", "\(c.momentum)",
                 "--prox-mu", "\(c.proximalMu)", "--slowdown", "\(c.slowdown(ofTrainer: index))",
                 "--step-time", "\(c.stepTime)",
                 "--model-wait", c.mode == .sync ? "inf" : "0", "--seed", "\(c.seed)", "--log-level", c.logLevel.rawValue]
        switch c.localWork {
        case .epochs(let n): a += ["--local-epochs", "\(n)"]
        case .steps(let n): a += ["--local-steps", "\(n)"]
        }
        if let d = c.dataDirectory { a += ["--data-dir", d] }
        return a + curveClientArguments(CurveKeyDirectory.trainerName(index)) + c.trainerArguments
    }
}
