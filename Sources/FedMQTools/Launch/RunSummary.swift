// When `fedmq run` ends, the terminal should answer what a user asks first — why did it
// stop, how good did the model get, where are the files — without opening a log. The lines
// are built here from values (outcome, progress, the aggregator's recorded stop reason), so
// they are tested without starting processes.
import Foundation

/// The closing lines `fedmq run` prints: why the run stopped, the best and the final test
/// accuracy with their versions, and where its files are.
public struct RunSummary: Sendable {
    /// How the supervised run ended.
    public var outcome: RunOutcome
    /// What the metrics said: versions and accuracies.
    public var progress: RunProgress
    /// The aggregator's stop reason from its newest checkpoint (nil when it did not stop on a condition).
    public var stopReason: String?
    /// The run's files.
    public var layout: RunLayout

    public init(outcome: RunOutcome, progress: RunProgress, stopReason: String?, layout: RunLayout) {
        self.outcome = outcome
        self.progress = progress
        self.stopReason = stopReason
        self.layout = layout
    }

    /// E.g. `run finished: target accuracy 0.85 reached (0.8512 at version 40)`,
    /// `best accuracy 0.8512 at version 40; final accuracy 0.8501 at version 42`, then
    /// `report: …`, `metrics: …`, `checkpoints: …`, `logs: …`, `commands: …` for the files that exist.
    public var lines: [String] {
        var lines: [String]
        switch outcome {
        case .finished: lines = ["run finished: " + (stopReason ?? "the aggregator exited")]
        case .interrupted:
            lines = ["run interrupted at version \(progress.version); the same command with --output-dir \(ShellWords.quote(layout.directory)) resumes it"]
        case .failed(let message): lines = ["run failed: \(message)"]
        }
        if let best = progress.best, let final = progress.accuracy {
            lines.append(String(format: "best accuracy %.4f at version %llu; final accuracy %.4f at version %llu",
                                best.value, best.version, final.value, final.version))
        } else {
            lines.append("no test accuracy measured (last version \(progress.version))")
        }
        let files = [("report", layout.report), ("metrics", layout.metrics), ("checkpoints", layout.checkpoints),
                     ("logs", layout.logs), ("commands", layout.commands)]
        for (what, path) in files where FileManager.default.fileExists(atPath: path) {
            lines.append("\(what): \(path)")
        }
        return lines
    }
}
