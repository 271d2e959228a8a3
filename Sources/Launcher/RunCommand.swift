import AggregatorCommandSupport
import ArgumentParser
import CommandSupport
import FedMQAggregator
import FedMQProtocol
import FedMQTools
import Foundation
import Logging
import TensorCore

/// `fedmq run`: a whole federated run on this machine, one OS process per role.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a broker, an aggregator and N trainers as local processes until a stop condition holds.",
        discussion: """
            The processes (the broker, aggregator and trainer executables next to this fedmq binary) talk over loopback on free ports. A live line shows the global version, the latest test accuracy, accepted updates per second and the elapsed time, read from the aggregator's metrics.

            Everything goes to the run directory (default runs/<UTC timestamp>): metrics.jsonl, report.html, checkpoints/, logs/<process>.log and commands.sh, the exact command line of every process (to start one by hand). A directory that holds checkpoints is resumed.

            Settings come from these flags only: fedmq run reads no FEDMQ_* variable and removes them all from its children's environment, so a variable meant for a hand-started process cannot change or fail a child.

            Defaults (the default job): 8 trainers, Fashion-MNIST cut by dirichlet:0.5, buffered mode (FedBuff, K = 4, staleness poly:0.5), the CNN, each update 50 local SGD steps of batch 32 at lr 0.05 with momentum 0.5, evaluation every 2 versions, stop at 85 % test accuracy.

            At the end it prints why the run stopped, the best and the final test accuracy with their versions, and where the files are. Ctrl-C (or SIGTERM) stops every child (SIGTERM, then SIGKILL after --grace-period seconds) and still writes report.html. The exit status is 0 when the run finished, 130 when interrupted, 1 when a child failed.

            \(ModelHelp.grammar)
            """
    )

    @Option(help: "Number of trainer processes.")
    var trainers = Self.defaults.trainers

    @Option(help: "Aggregation mode.")
    var mode = Self.defaults.mode

    @Option(help: "Partition of the training set, one shard per trainer.")
    var partition = Self.defaults.partition

    @Option(help: "\(ModelHelp.option)")
    var model = Self.defaults.modelName

    @Option(help: "Stop at this test accuracy in (0, 1]; 0 disables it.")
    var targetAccuracy = Self.defaults.targetAccuracy ?? 0

    @Option(help: "Stop at this global version.")
    var maxVersions: UInt64?

    @Option(help: "Stop after this many seconds.")
    var timeLimit: Double?

    @Option(help: "Seed for model initialisation, partition and mini-batches.")
    var seed = Self.defaults.seed

    @Option(help: "Run id carried by every message.")
    var runId = Self.defaults.runID

    @Option(help: "Directory of the Fashion-MNIST IDX files, for the aggregator and every trainer. (default: theirs, /usr/share/datasets/fashion-mnist)")
    var dataDir: String?

    @Option(help: "Buffered mode: updates per new version (K).")
    var bufferSize = Self.defaults.bufferSize

    @Option(help: "Sync mode: updates per round (M). (default: the number of trainers)")
    var roundSize: Int?

    @Option(help: "Async mode: base mixing rate α in (0, 1].")
    var alpha = Self.defaults.alpha

    @Option(help: "Evaluate on the test set every N versions.")
    var evalEvery = Self.defaults.evalEvery

    @Option(help: "Local epochs per update (exclusive with --local-steps).")
    var localEpochs: Int?

    @Option(help: "Local SGD steps per update. (default: \(Self.defaults.localWork))")
    var localSteps: Int?

    @Option(help: "Mini-batch size.")
    var batchSize = Self.defaults.batchSize

    @Option(help: "Trainers' SGD learning rate.")
    var lr = Self.defaults.learningRate

    @Option(help: "Trainers' SGD momentum in [0, 1).")
    var momentum = Self.defaults.momentum

    @Option(help: "FedProx μ (0 = FedAvg).")
    var proxMu = Self.defaults.proximalMu

    @Option(help: "Comma-separated slowdown factors given to the trainers in turn, e.g. 1,1,2,4 (heterogeneous devices).")
    var slowdowns: String?

    @Option(help: "Emulate devices of a fixed speed: every trainer's step lasts at least this many seconds (a straggler's, slowdown × this), so trainers keep their speeds however many share the cores; 0 runs at the machine's speed.")
    var stepTime = Self.defaults.stepTime

    @Flag(help: "Encrypt and authenticate every connection with CURVE: fresh keys for each process go to <run directory>/keys; the broker admits only those keys, the aggregator only the trainers'.")
    var curve = false

    @Flag(inversion: .prefixedNo, help: "Every child serves Prometheus metrics on a free loopback port (--metrics-port); the addresses are printed at start.")
    var metricsPorts = Self.defaults.exportMetrics

    @Option(help: "Run directory. (default: runs/<UTC yyyyMMdd-HHmmss>)")
    var outputDir: String?

    @Option(help: "Directory of the broker, aggregator and trainer executables. (default: next to fedmq)")
    var executables: String?

    @Option(help: "Seconds children get to exit before SIGKILL.")
    var gracePeriod = Self.defaults.gracePeriod

    @Option(help: "Log level of the children.")
    var logLevel = Self.defaults.logLevel

    @Option(parsing: .unconditional, help: "Extra aggregator arguments, space-separated, e.g. \"--staleness hinge:10,4\".")
    var aggregatorArgs: String?

    @Option(parsing: .unconditional, help: "Extra arguments for every trainer, space-separated, e.g. \"--sample-limit 6000\".")
    var trainerArgs: String?

    func validate() throws {
        _ = try makeConfiguration(layout: RunLayout(directory: "runs/validate"))
    }

    func run() async throws {
        let directory = outputDir ?? RunLayout.timestamped().directory
        let layout = RunLayout(directory: URL(fileURLWithPath: directory).standardizedFileURL.path)
        // Failures from here on are no usage errors (validate() checked the options): they are
        // printed alone, not with the root command's usage line as a ValidationError in run() is.
        let plan = try LaunchPlan(configuration: try makeConfiguration(layout: layout), layout: layout)
        InterruptSignal.install()
        let supervisor = ProcessSupervisor(plan: plan)
        print("run directory: \(plan.layout.directory)")
        if let resumed = checkpoints(of: plan).last {
            print("resuming the run in this directory from its checkpoint at version \(resumed.version)"
                + (resumed.stopReason.map { " (that run already ended: \($0))" } ?? ""))
        }
        if plan.configuration.curve { print("CURVE encryption on; keys in \(plan.layout.keys)") }
        print("\(plan.configuration.trainers) trainers, \(plan.configuration.mode.rawValue), \(plan.configuration.partition), \(plan.configuration.modelName); broker on 127.0.0.1 ports \(plan.ports.named.map { "\($0.name) \($0.port)" }.joined(separator: ", "))")
        if !plan.metricsAddresses.isEmpty { print("Prometheus metrics: " + plan.metricsAddresses.joined(separator: ", ")) }
        fflush(nil)
        try supervisor.start()
        var tail = MetricsTail(path: plan.layout.metrics)
        var progress = RunProgress()
        let outcome = await supervise(supervisor, tail: &tail, progress: &progress)
        print("")
        if outcome == .interrupted { print("interrupted; stopping every process…") }
        let killed = await supervisor.tearDown(after: outcome)
        if !killed.isEmpty { print("killed after the grace period: \(killed.joined(separator: ", "))") }
        progress.absorb(tail.poll())
        if outcome != .finished { writeReport(plan: plan, version: progress.version) }
        let summary = RunSummary(outcome: outcome, progress: progress,
                                 stopReason: outcome == .finished ? checkpoints(of: plan).last?.stopReason : nil, layout: plan.layout)
        summary.lines.forEach { print($0) }
        let failures = outcome == .finished ? supervisor.failures : []
        failures.forEach { print("failed: \($0)") }
        let code = failures.isEmpty ? outcome.exitCode : 1
        if code != 0 { throw ExitCode(code) }
    }

    /// Watches the children, redrawing the progress line from the metrics file.
    private func supervise(_ supervisor: ProcessSupervisor, tail: inout MetricsTail, progress: inout RunProgress) async -> RunOutcome {
        let clock = ContinuousClock()
        let start = clock.now
        let interactive = isatty(STDOUT_FILENO) == 1
        var lastPrinted = ""
        return await supervisor.supervise(interrupted: { InterruptSignal.received != nil }) {
            progress.absorb(tail.poll())
            let elapsed = start.duration(to: clock.now) / .seconds(1)
            if interactive {
                print("\r\u{1B}[K" + progress.line(elapsed: elapsed), terminator: "")
                fflush(nil)
            } else {
                let line = progress.line(elapsed: 0).components(separatedBy: " | ").dropLast().joined(separator: " | ")
                if line != lastPrinted {
                    print(progress.line(elapsed: elapsed))
                    fflush(nil)
                    lastPrinted = line
                }
            }
        }
    }

    /// The states of the checkpoints in the run directory, oldest first (none in a new run).
    private func checkpoints(of plan: LaunchPlan) -> [CheckpointState] {
        guard FileManager.default.fileExists(atPath: plan.layout.checkpoints),
              let model = try? ModelArchitecture.named(plan.configuration.modelName) else { return [] }
        return CheckpointStore(directory: plan.layout.checkpoints, layout: model.layout, logger: Logger(label: "fedmq.run")).states()
    }

    /// An interrupted or failed run's aggregator writes no report (it ends without ending the
    /// run, so a rerun resumes): draw one from the metrics so far.
    private func writeReport(plan: LaunchPlan, version: UInt64) {
        guard FileManager.default.fileExists(atPath: plan.layout.metrics) else { return }
        let c = plan.configuration
        do {
            try RunReport.write(metricsPath: plan.layout.metrics, to: plan.layout.report,
                                title: "FedMQ run \(c.runID): \(c.modelName), \(c.mode.rawValue), stopped at version \(version)")
        } catch {
            print("cannot write \(plan.layout.report): \(error)")
        }
    }

    private func makeConfiguration(layout: RunLayout) throws -> LaunchConfiguration {
        var c = LaunchConfiguration(executablesDirectory: executables ?? Self.ownDirectory, outputDirectory: layout.directory)
        c.trainers = trainers
        c.mode = mode
        c.partition = partition
        c.modelName = model
        c.targetAccuracy = targetAccuracy > 0 ? targetAccuracy : nil
        c.maxVersions = maxVersions
        c.timeLimit = timeLimit
        c.seed = seed
        c.runID = runId
        c.dataDirectory = dataDir
        c.bufferSize = bufferSize
        c.roundSize = roundSize
        c.alpha = alpha
        c.evalEvery = evalEvery
        switch (localEpochs, localSteps) {
        case (let e?, nil): c.localWork = .epochs(e)
        case (nil, let s?): c.localWork = .steps(s)
        case (nil, nil): break
        case (_?, _?): throw ValidationError("give either --local-epochs or --local-steps, not both")
        }
        c.batchSize = batchSize
        c.learningRate = lr
        c.momentum = momentum
        c.proximalMu = proxMu
        c.stepTime = stepTime
        if let slowdowns {
            c.slowdowns = try slowdowns.split(separator: ",").map {
                guard let x = Double($0.trimmingCharacters(in: .whitespaces)) else {
                    throw ValidationError("--slowdowns must be numbers like 1,1,2,4, got '\(slowdowns)'")
                }
                return x
            }
        }
        c.curve = curve
        c.exportMetrics = metricsPorts
        c.gracePeriod = gracePeriod
        c.logLevel = logLevel
        c.aggregatorArguments = aggregatorArgs.map(Self.words) ?? []
        c.trainerArguments = trainerArgs.map(Self.words) ?? []
        do { try c.validate() } catch { throw ValidationError(error.message) }
        return c
    }

    /// The default job (`LaunchConfiguration`'s defaults), which the option defaults show.
    private static let defaults = LaunchConfiguration(executablesDirectory: "", outputDirectory: "")

    private static func words(_ text: String) -> [String] {
        text.split(whereSeparator: \.isWhitespace).map(String.init)
    }

    /// The directory of the running fedmq executable.
    private static var ownDirectory: String {
        let path = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: path).deletingLastPathComponent().path
    }
}
