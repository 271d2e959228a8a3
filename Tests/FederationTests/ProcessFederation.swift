import FedMQAggregator
import FedMQTools
import Foundation

/// A federation of real OS processes (the built `broker`, `aggregator` and `trainer`
/// executables) started from a `LaunchPlan`, whose members a test can kill and restart one by
/// one, as a restart policy would. Each incarnation logs to its own file (`aggregator.log`,
/// `aggregator-2.log`, …). Used from one task.
final class ProcessFederation {
    /// A member of the federation.
    enum Role: Hashable, CustomStringConvertible {
        case broker, aggregator, trainer(Int)

        var description: String {
            switch self {
            case .broker: "broker"
            case .aggregator: "aggregator"
            case .trainer(let i): "trainer-\(i + 1)"
            }
        }
    }

    let plan: LaunchPlan
    private var running: [Role: ChildProcess] = [:]
    /// Every log file written, per role, oldest incarnation first.
    private(set) var logs: [Role: [String]] = [:]

    init(_ configuration: LaunchConfiguration) throws {
        let layout = RunLayout(directory: configuration.outputDirectory)
        plan = try LaunchPlan(configuration: configuration, layout: layout)
        try layout.create()
    }

    var roles: [Role] { [.broker, .aggregator] + (0..<plan.configuration.trainers).map(Role.trainer) }

    /// Starts every member (broker first).
    func startAll() throws {
        for role in roles { try start(role) }
    }

    /// Starts a new incarnation of `role`, with `overrides` replacing the values of some of its
    /// options (e.g. `["--identity": "other"]`) and the options in `dropping` left out with
    /// their values (e.g. `["--trainer-keys-file"]`).
    func start(_ role: Role, overrides: [String: String] = [:], dropping: Set<String> = []) throws {
        let incarnation = (logs[role]?.count ?? 0) + 1
        let name = incarnation == 1 ? role.description : "\(role)-\(incarnation)"
        let (executable, arguments): (String, [String]) = switch role {
        case .broker: ("broker", plan.brokerArguments)
        case .aggregator: ("aggregator", plan.aggregatorArguments)
        case .trainer(let i): ("trainer", plan.trainerArguments(index: i))
        }
        let overridden = arguments.enumerated().compactMap { i, word -> String? in
            if dropping.contains(word) || (i > 0 && dropping.contains(arguments[i - 1])) { return nil }
            return i > 0 ? overrides[arguments[i - 1]] ?? word : word
        }
        let child = ChildProcess(name: name, executable: plan.configuration.executablesDirectory + "/" + executable,
                                 arguments: overridden, logPath: plan.layout.log(name))
        try child.start()
        running[role] = child
        logs[role, default: []].append(child.logPath)
    }

    /// Kills `role` with SIGKILL and waits until it is gone.
    func kill9(_ role: Role) async {
        guard let child = running[role] else { return }
        child.send(SIGKILL)
        while child.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
    }

    /// Sends `signal` to `role`'s current incarnation.
    func signal(_ role: Role, _ signal: Int32) { running[role]?.send(signal) }

    /// Resident memory of `role`'s current incarnation, bytes (nil if not running).
    func residentBytes(_ role: Role) -> Int? { running[role]?.pid.flatMap(ProcessMemory.residentBytes) }

    /// How `role`'s current incarnation ended, nil while it runs.
    func exit(_ role: Role) -> ChildProcess.ExitStatus? { running[role]?.exit }

    /// SIGKILLs whatever still runs (test teardown).
    func killAll() async {
        for role in roles.reversed() { await kill9(role) }
    }

    /// The text of every log of `role`, oldest incarnation first.
    func logTexts(_ role: Role) -> [String] {
        (logs[role] ?? []).map { (try? String(contentsOfFile: $0, encoding: .utf8)) ?? "" }
    }

    /// Metrics written so far by every aggregator incarnation, in file order.
    var metrics: [MetricsRecord] { MetricsWriter.read(path: plan.layout.metrics) }
}
