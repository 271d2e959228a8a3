import Foundation

/// Starts the processes of a `LaunchPlan` (broker, aggregator, trainers), watches them and
/// tears them down: SIGTERM, then SIGKILL after the grace period. Used from one task.
public final class ProcessSupervisor {
    public let plan: LaunchPlan
    /// Every child, broker first, then the aggregator, then the trainers.
    public private(set) var children: [ChildProcess] = []
    private var broker: ChildProcess? { children.first }
    private var aggregator: ChildProcess? { children.count > 1 ? children[1] : nil }
    private var trainers: ArraySlice<ChildProcess> { children.dropFirst(2) }

    public init(plan: LaunchPlan) {
        self.plan = plan
    }

    /// Creates the run directory, writes every child's command line to `commands.sh` and starts
    /// every child. On failure, the children already started are killed.
    public func start() throws(LaunchError) {
        let layout = plan.layout
        do { try layout.create() } catch {
            throw LaunchError("cannot create \(layout.directory): \(error.localizedDescription)", code: "output_directory", underlying: error)
        }
        if plan.configuration.curve {
            do { try plan.generateKeys() } catch { throw LaunchError(error.message, code: "keygen", underlying: error) }
        }
        let invocations = plan.invocations()
        for invocation in invocations { try requireExecutable(invocation.executable) }
        do {
            try plan.commandsScript(invocations).write(toFile: layout.commands, atomically: true, encoding: .utf8)
        } catch {
            throw LaunchError("cannot write \(layout.commands): \(error.localizedDescription)", code: "commands_file", underlying: error)
        }
        do {
            for invocation in invocations {
                let child = ChildProcess(invocation, logPath: layout.log(invocation.name))
                try child.start()
                children.append(child)
            }
        } catch {
            children.forEach { $0.send(SIGKILL) }
            throw error
        }
    }

    /// Polls every `interval` until the aggregator exits, a child fails or `interrupted()`
    /// holds, calling `tick` on every round (progress display).
    public func supervise(interval: Duration = .milliseconds(200), interrupted: () -> Bool, tick: () -> Void) async -> RunOutcome {
        while true {
            if interrupted() { return .interrupted }
            if let aggregator, let exit = aggregator.exit {
                return exit.isSuccess ? .finished : .failed("aggregator ended with \(exit); see \(aggregator.logPath)")
            }
            if let failed = children.first(where: { $0.exit.map { !$0.isSuccess } ?? false }), let exit = failed.exit {
                return .failed("\(failed.name) ended with \(exit); see \(failed.logPath)")
            }
            tick()
            try? await Task.sleep(for: interval)
        }
    }

    /// Stops every child: after a finished run the trainers first get the grace period to
    /// exit on the stop broadcast; then SIGTERM to aggregator and trainers, SIGKILL after the
    /// grace period; then the same for the broker. Returns the children that had to be killed.
    @discardableResult
    public func tearDown(after outcome: RunOutcome) async -> [String] {
        let grace = Duration.seconds(plan.configuration.gracePeriod)
        if outcome == .finished { await waitForExit(Array(trainers), timeout: grace) }
        var killed = await stop(children.filter { $0 !== broker }, grace: grace)
        if let broker { killed += await stop([broker], grace: grace) }
        return killed
    }

    /// Children that exited with a failure status after being asked to stop (SIGTERM is a
    /// clean stop for every FedMQ process, so any non-zero status is a real failure).
    public var failures: [String] {
        children.compactMap { child in
            guard let exit = child.exit, !exit.isSuccess, exit != .signal(SIGKILL) else { return nil }
            return "\(child.name) ended with \(exit); see \(child.logPath)"
        }
    }

    // MARK: Helpers

    private func stop(_ targets: [ChildProcess], grace: Duration) async -> [String] {
        targets.forEach { $0.send(SIGTERM) }
        await waitForExit(targets, timeout: grace)
        let stuck = targets.filter(\.isRunning)
        stuck.forEach { $0.send(SIGKILL) }
        await waitForExit(stuck, timeout: .seconds(2))
        return stuck.map(\.name)
    }

    private func waitForExit(_ targets: [ChildProcess], timeout: Duration) async {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while targets.contains(where: \.isRunning), clock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Throws unless `path` is an executable file.
    private func requireExecutable(_ path: String) throws(LaunchError) {
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw LaunchError("no executable \(path); build all products first (swift build -c release)", code: "missing_executable")
        }
    }
}
