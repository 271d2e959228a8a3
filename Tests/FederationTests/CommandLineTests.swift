// The command lines people type, checked on the built executables: every command answers
// --version with the one version string of the build; the services' options all state their
// environment variable in the same "[env: FEDMQ_X, default: y]" form, and no help page mixes
// two ways of stating defaults; the model grammar is in the help of every command that takes
// --model; a subcommand's mistake shows that subcommand's usage, and a runtime refusal shows
// no usage at all.
import Foundation
import Testing

@Suite struct CommandLineTests {
    /// Runs the built `executable` with `arguments`.
    private func run(_ executable: String, _ arguments: [String]) throws -> ChildCommand.Result {
        let path = LauncherEndToEndTests.executables.appendingPathComponent(executable).path
        try #require(FileManager.default.isExecutableFile(atPath: path), "no \(executable) executable at \(path)")
        return try ChildCommand.run(path, arguments, timeout: 30)
    }

    @Test func everyCommandPrintsTheSameVersion() throws {
        let commands: [(String, [String])] = [("broker", []), ("aggregator", []), ("trainer", []), ("fedmq", [])]
            + ["run", "train", "bench", "keygen", "loadgen", "shards"].map { ("fedmq", [$0]) }
        var versions = Set<String>()
        for (executable, words) in commands {
            let result = try run(executable, words + ["--version"])
            #expect(result.status == 0, "\(executable) \(words) --version: \(result.stderr)")
            #expect(result.stdout.wholeMatch(of: /\d+\.\d+\.\d+/) != nil, "\(executable) \(words): '\(result.stdout)'")
            versions.insert(result.stdout)
        }
        #expect(versions.count == 1, "\(versions)")
    }

    @Test func everyServiceOptionNamesItsEnvironmentVariable() throws {
        for executable in ["broker", "aggregator", "trainer"] {
            let dump = try run(executable, ["--experimental-dump-help"])
            let help = try JSONDecoder().decode(LaunchFlagTests.HelpDump.self, from: Data(dump.stdout.utf8))
            for argument in help.command.arguments {
                let names = (argument.names ?? []).map(\.name)
                guard !names.contains(where: { ["help", "version", "h"].contains($0) }) else { continue }
                let text = argument.abstract ?? ""
                #expect(text.contains("[env: FEDMQ_") && text.hasSuffix("]"), "\(executable) \(names): \(text)")
            }
        }
    }

    /// Commands with FEDMQ_* fallbacks say "[env: …, default: …]" for every option; the others
    /// (run, bench, keygen) keep argument-parser's generated "(default: …)" throughout.
    @Test func everyHelpPageStatesDefaultsInOneStyle() throws {
        let pages: [(String, [String])] = [("broker", []), ("aggregator", []), ("trainer", [])]
            + ["run", "train", "bench", "keygen", "loadgen", "shards"].map { ("fedmq", [$0]) }
        for (executable, words) in pages {
            let help = try run(executable, words + ["--help"]).stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            if help.contains("[env: FEDMQ_") {
                #expect(!help.contains("(default:"), "\(executable) \(words) mixes (default: …) into [env: …, default: …]")
            } else {
                #expect(!help.contains("[default:"), "\(executable) \(words) mixes [default: …] into (default: …)")
            }
        }
    }

    @Test func theModelGrammarIsInTheHelpOfEveryCommandTakingAModel() throws {
        for (executable, words) in [("trainer", []), ("aggregator", []), ("fedmq", ["run"]), ("fedmq", ["train"]), ("fedmq", ["loadgen"])] {
            let help = try run(executable, words + ["--help"]).stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            #expect(help.components(separatedBy: "conv OUT K [stride S] [pad P]").count == 2, "\(executable) \(words) --help")
            #expect(help.contains("log_softmax") && help.contains("dropout P"))
        }
    }

    @Test func aSubcommandsErrorShowsItsOwnUsageAndARefusalNone() throws {
        let invalid = try run("fedmq", ["run", "--trainers", "0"])
        #expect(invalid.status != 0)
        #expect(invalid.stderr.contains("Usage: fedmq run"), "\(invalid.stderr)")

        let directory = NSTemporaryDirectory() + "fedmq-keys-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(try run("fedmq", ["keygen", "--out", directory, "--name", "trainer-1"]).status == 0)
        let refused = try run("fedmq", ["keygen", "--out", directory, "--name", "trainer-1"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("never overwrites") && !refused.stderr.contains("Usage:"), "\(refused.stderr)")
    }
}
