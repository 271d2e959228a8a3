// `fedmq run` builds the broker's, aggregator's and trainers' command lines as strings
// (LaunchPlan); nothing in the compiler ties those flags to the options the executables
// declare. This test asks each built executable for its options (argument-parser's
// --experimental-dump-help) and fails on any flag the plan passes that the command does not know.
import FedMQAggregator
import FedMQTools
import FedMQTrainer
import Foundation
import Testing

@Suite struct LaunchFlagTests {
    /// Every optional flag of the plan on: CURVE, a data directory, every stop condition (with checkpoints,
    /// metrics and the report, always on), in each form of local work.
    static func plans() throws -> [LaunchPlan] {
        try [LocalWork.epochs(1), .steps(5)].map { work in
            var c = LaunchConfiguration(executablesDirectory: LauncherEndToEndTests.executables.path, outputDirectory: "/tmp/run")
            c.curve = true
            (c.targetAccuracy, c.maxVersions, c.timeLimit) = (0.9, 10, 60)
            (c.mode, c.roundSize, c.localWork) = (.sync, 2, work)
            c.slowdowns = [1, 2]
            c.dataDirectory = "/data/fashion-mnist"
            return try LaunchPlan(configuration: c, layout: RunLayout(directory: "/tmp/run"), ports: .ephemeral)
        }
    }

    /// The option names (`--long`, `-s`) that `executable` declares.
    static func declaredNames(_ executable: String) throws -> Set<String> {
        let path = LauncherEndToEndTests.executables.appendingPathComponent(executable).path
        let result = try ChildCommand.run(path, ["--experimental-dump-help"], timeout: 30)
        guard result.status == 0 else { throw ChildCommandError(message: "\(executable) --experimental-dump-help: \(result.stderr)") }
        let dump = try JSONDecoder().decode(HelpDump.self, from: Data(result.stdout.utf8))
        let names: [HelpDump.Name] = dump.command.arguments.flatMap { $0.names ?? [] }
        return Set(names.map { ($0.kind == "long" ? "--" : "-") + $0.name })
    }

    /// The flags in a command line: the words that start with "--".
    static func flags(_ arguments: [String]) -> Set<String> {
        Set(arguments.filter { $0.hasPrefix("--") }.map { String($0.prefix { $0 != "=" }) })
    }

    @Test func everyFlagThePlanPassesIsDeclaredByItsCommand() throws {
        let declared = try ["broker", "aggregator", "trainer"].reduce(into: [String: Set<String>]()) {
            $0[$1] = try Self.declaredNames($1)
        }
        for plan in try Self.plans() {
            let lines = [("broker", plan.brokerArguments + plan.metricsArguments("broker")),
                         ("aggregator", plan.aggregatorArguments + plan.metricsArguments("aggregator"))]
                + (0..<plan.configuration.trainers).map {
                    ("trainer", plan.trainerArguments(index: $0) + plan.metricsArguments("trainer-\($0 + 1)"))
                }
            for (executable, arguments) in lines {
                let unknown = Self.flags(arguments).subtracting(declared[executable] ?? [])
                #expect(unknown.isEmpty, "\(executable) does not declare \(unknown.sorted())")
            }
        }
    }

    /// The part of argument-parser's `--experimental-dump-help` JSON that names options.
    struct HelpDump: Decodable {
        struct Name: Decodable { let kind: String; let name: String }
        struct Argument: Decodable { let names: [Name]?; let abstract: String? }
        struct Command: Decodable { let arguments: [Argument] }
        let command: Command
    }
}
