import Foundation

/// One child OS process with its output appended to a log file. Used from one task.
public final class ChildProcess {
    /// Short name for messages and the log file, e.g. "trainer-3".
    public let name: String
    /// Absolute path of the executable.
    public let executable: String
    /// Command-line arguments (without the executable).
    public let arguments: [String]
    /// Where stdout and stderr go.
    public let logPath: String
    private let process = Process()

    /// - Parameter environment: the child's whole environment; nil inherits this process's.
    public init(name: String, executable: String, arguments: [String], logPath: String, environment: [String: String]? = nil) {
        self.name = name
        self.executable = executable
        self.arguments = arguments
        self.logPath = logPath
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
    }

    /// The process `invocation` describes, in this process's environment minus the variables
    /// it withholds.
    public convenience init(_ invocation: ChildInvocation, logPath: String) {
        self.init(name: invocation.name, executable: invocation.executable, arguments: invocation.arguments, logPath: logPath,
                  environment: invocation.environment(inheriting: ProcessInfo.processInfo.environment))
    }

    /// Starts the process.
    /// - Throws: `LaunchError` if the log file cannot be created or the process cannot start.
    public func start() throws(LaunchError) {
        guard FileManager.default.createFile(atPath: logPath, contents: nil),
              let log = FileHandle(forWritingAtPath: logPath) else {
            throw LaunchError("cannot create log file \(logPath)", code: "log_file")
        }
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw LaunchError("cannot start \(name) (\(executable)): \(error.localizedDescription)", code: "spawn", underlying: error)
        }
        try? log.close()
    }

    /// Whether it was started and has not exited.
    public var isRunning: Bool { process.isRunning }

    /// Whether it was started.
    public var wasStarted: Bool { process.processIdentifier != 0 }

    /// Its process id, once started.
    public var pid: Int32? { wasStarted ? process.processIdentifier : nil }

    /// The exit status once it exited (a signal number when killed by a signal), else nil.
    public var exit: ExitStatus? {
        guard wasStarted, !process.isRunning else { return nil }
        return process.terminationReason == .uncaughtSignal
            ? .signal(process.terminationStatus) : .code(process.terminationStatus)
    }

    /// Sends `signal` (e.g. SIGTERM, SIGKILL) if it is running.
    public func send(_ signal: Int32) {
        guard isRunning else { return }
        kill(process.processIdentifier, signal)
    }

    /// How a child ended.
    public enum ExitStatus: Sendable, Equatable, CustomStringConvertible {
        /// Exited with this status code.
        case code(Int32)
        /// Killed by this signal.
        case signal(Int32)

        /// Exit code 0.
        public var isSuccess: Bool { self == .code(0) }

        public var description: String {
            switch self {
            case .code(let c): "exit status \(c)"
            case .signal(let s): "signal \(s)"
            }
        }
    }
}
