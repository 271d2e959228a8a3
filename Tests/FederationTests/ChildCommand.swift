import Foundation

/// Runs a program as a child process for tests (the Python peer, the real executables).
enum ChildCommand {
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// Runs `executable args`, killing it after `timeout` seconds; returns its exit status and
    /// output. Output goes to temporary files, so a chatty child never blocks on a full pipe.
    /// - Parameters:
    ///   - environment: variables added to this process's environment for the child.
    ///   - standardOutput: a file for the child's standard output, to read while it runs (a
    ///     temporary one by default).
    ///   - interruptWhen: polled while the child runs; the first time it holds, the child gets SIGINT (Ctrl-C).
    static func run(_ executable: String, _ args: [String], timeout: TimeInterval, environment: [String: String] = [:],
                    standardOutput: String? = nil, interruptWhen: (() -> Bool)? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = args
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fedmq-child-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let outURL = standardOutput.map(URL.init(fileURLWithPath:)) ?? directory.appendingPathComponent("stdout"), errURL = directory.appendingPathComponent("stderr")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        var interrupted = false
        while process.isRunning && Date() < deadline {
            if !interrupted, let interruptWhen, interruptWhen() {
                process.interrupt()
                interrupted = true
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return Result(status: process.terminationStatus,
                      stdout: (try? String(contentsOf: outURL, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "",
                      stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "")
    }
}

struct ChildCommandError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
