// What the supervisor starts for one child of `fedmq run` — executable, arguments and
// environment — as one value, so the very same value is started and written to
// `commands.sh` for a user to rerun by hand. `fedmq run` passes every setting as a flag and
// hands its children no `FEDMQ_*` variable: a stray one in the user's shell (read by every
// executable as a fallback) would otherwise change or fail a child behind the run's back.

/// The command line and environment of one child process of a run.
public struct ChildInvocation: Sendable, Equatable {
    /// Short name for messages and the log file, e.g. "trainer-3".
    public var name: String
    /// Absolute path of the executable.
    public var executable: String
    /// Command-line arguments (without the executable).
    public var arguments: [String]
    /// Variables of the launcher's environment the child does not get (every `FEDMQ_*`).
    public var removedVariables: [String]

    public init(name: String, executable: String, arguments: [String], removedVariables: [String] = []) {
        self.name = name
        self.executable = executable
        self.arguments = arguments
        self.removedVariables = removedVariables
    }

    /// The variables of `environment` the launcher withholds from its children: every `FEDMQ_*`, sorted.
    public static func withheldVariables(of environment: [String: String]) -> [String] {
        environment.keys.filter { $0.hasPrefix("FEDMQ_") }.sorted()
    }

    /// The child's environment: `inherited` without the removed variables.
    public func environment(inheriting inherited: [String: String]) -> [String: String] {
        inherited.filter { !removedVariables.contains($0.key) }
    }

    /// The words a shell runs: `env -u VAR… executable arguments…`.
    public var words: [String] {
        ["env"] + removedVariables.flatMap { ["-u", $0] } + [executable] + arguments
    }

    /// One shell-quoted line that starts this process by hand as the supervisor did.
    public var shellLine: String { ShellWords.line(words) }
}
