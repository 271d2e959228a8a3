import Foundation

/// Where one run's files go inside its output directory.
public struct RunLayout: Sendable, Equatable {
    /// The run's directory.
    public let directory: String

    public init(directory: String) { self.directory = directory }

    /// The aggregator's JSON-lines metrics.
    public var metrics: String { directory + "/metrics.jsonl" }
    /// The HTML report written at the end of the run.
    public var report: String { directory + "/report.html" }
    /// Checkpoints.
    public var checkpoints: String { directory + "/checkpoints" }
    /// CURVE key files of an encrypted run (`fedmq run --curve`).
    public var keys: String { directory + "/keys" }
    /// The command line of every child, one per line, to rerun a process by hand.
    public var commands: String { directory + "/commands.sh" }
    /// One log file per child process.
    public var logs: String { directory + "/logs" }

    /// The log file of the child called `name`.
    public func log(_ name: String) -> String { logs + "/\(name).log" }

    /// Creates the directory tree.
    public func create() throws {
        for path in [directory, checkpoints, logs] {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
    }

    /// `runs/<UTC yyyyMMdd-HHmmss>` under `parent`.
    public static func timestamped(under parent: String = "runs", now: Date = Date()) -> RunLayout {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.locale = Locale(identifier: "en_US_POSIX")
        return RunLayout(directory: parent + "/" + formatter.string(from: now))
    }
}
