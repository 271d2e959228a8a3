// The wait reports that replaced silent waits (a trainer with no broker, an aggregator no
// trainer reaches): when they speak (`WaitReporter`, no clock), what they name
// (`WaitCauses`, `ConnectionProgress`, `EndpointResolution`), and, with real processes, that a
// trainer pointed at a host that does not resolve, at a port where nothing listens or in
// plaintext at a CURVE broker, and an aggregator with no broker or no trainer, say so within
// a few seconds.
import FedMQTools
import FedMQTransport
import Foundation
import Testing
import ZeroMQ

@Suite struct WaitReporterTests {
    /// The instants (whole seconds 0…`until`) at which `reporter` reports, with the seconds waited.
    private func reports(_ reporter: inout WaitReporter, from start: Int = 0, until end: Int) -> [Int: Double] {
        var out: [Int: Double] = [:]
        for t in start...end { if let waited = reporter.check(now: Double(t)) { out[t] = waited } }
        return out
    }

    @Test func reportsAfterFiveSecondsThenAtADoublingIntervalCappedAtFiveMinutes() {
        var reporter = WaitReporter(firstReport: 5, maximumInterval: 300)
        let made = reports(&reporter, until: 1000)
        #expect(made.keys.sorted() == [5, 15, 35, 75, 155, 315, 615, 915])
        #expect(made[35] == 35, "the seconds waited since the wait started")
        #expect(reporter.reports == 8)
    }

    @Test func theWaitStartsAtTheFirstCheckAndResetStartsANewOne() {
        var reporter = WaitReporter(firstReport: 5, maximumInterval: 300)
        #expect(reporter.secondsToNextReport(now: 100) == 5)
        #expect(reports(&reporter, from: 100, until: 116).keys.sorted() == [105, 115])
        #expect(reporter.secondsToNextReport(now: 116) == 19)
        reporter.reset()
        #expect(reporter.started == nil && reporter.reports == 0)
        let again = reports(&reporter, from: 200, until: 206)
        #expect(again == [205: 5], "after reset the first report comes after 5 s again, not at the slowed pace")
    }

    @Test func aLateCheckReportsOnceAndSchedulesFromThen() {
        var reporter = WaitReporter(firstReport: 5, maximumInterval: 300)
        _ = reporter.check(now: 0)
        #expect(reporter.check(now: 60) == 60, "a loop busy for a minute reports once it looks")
        #expect(reporter.check(now: 61) == nil, "not again at once")
        #expect(reporter.check(now: 70) == 70)
    }

    @Test func anUnresolvableHostIsTheOnlyCauseNamed() {
        let causes = WaitCauses.of(waitOn: "tcp://nowhere.example:5556", curve: false, others: ["the aggregator is not running"]) { _ in
            "getaddrinfo(\"nowhere.example\") failed: Name or service not known"
        }
        #expect(causes.count == 1)
        #expect(causes[0].contains("does not resolve") && causes[0].contains("tcp://nowhere.example:5556"))
        #expect(causes[0].contains("Name or service not known"))
    }

    @Test func aResolvingHostNamesTheBrokerCurveAndTheCallersCauses() {
        let plain = WaitCauses.of(waitOn: "tcp://127.0.0.1:5556", curve: false, others: ["the aggregator is not running"]) { _ in nil }
        #expect(plain.count == 3)
        #expect(plain[0].contains("not running or not reachable at tcp://127.0.0.1:5556"))
        #expect(plain[1].contains("requires CURVE but this process speaks plaintext"))
        #expect(plain[2] == "the aggregator is not running")
        let curve = WaitCauses.of(waitOn: "tcp://127.0.0.1:5556", curve: true) { _ in nil }
        #expect(curve[1].contains("uses CURVE") && curve[1].contains("plaintext"))
        #expect(WaitCauses.text(["a", "b"]) == "1) a 2) b")
    }

    @Test func theCausesFollowHowFarTheConnectionGot() {
        let endpoint = "tcp://127.0.0.1:5556"
        let unresolvable: (String) -> String? = { _ in "getaddrinfo failed" }
        let handshaken = WaitCauses.of(waitOn: endpoint, curve: false, progress: ConnectionProgress(handshaken: true),
                                       others: ["the aggregator is not running"], lookup: unresolvable)
        #expect(handshaken == ["the aggregator is not running"], "a complete connection clears the broker")
        let tcpOnly = WaitCauses.of(waitOn: endpoint, curve: false, progress: ConnectionProgress(connected: true),
                                    others: ["the aggregator is not running"], lookup: unresolvable)
        #expect(tcpOnly.count == 2 && tcpOnly[0].contains("handshake never completes") && tcpOnly[0].contains("plaintext"))
        let none = WaitCauses.of(waitOn: endpoint, curve: true, progress: ConnectionProgress()) { _ in nil }
        #expect(none.count == 2 && none[0].contains("not running or not reachable"))
    }

    @Test func connectionProgressReadsMonitorEvents() {
        var progress = ConnectionProgress()
        #expect(progress.summary == "none")
        progress.record(.disconnected)
        #expect(!progress.connected)
        progress.record(.connected)
        #expect(progress.connected && !progress.handshaken && progress.summary == "tcp_only")
        progress.record(.handshakeSucceeded)
        #expect(progress.handshaken && progress.summary == "up")
        #expect(ConnectionProgress(handshaken: true).connected)
    }

    @Test func tcpEndpointsAreSplitIntoHostAndPort() {
        #expect(EndpointResolution.tcpHostAndPort(of: "tcp://broker:5556")! == ("broker", "5556"))
        #expect(EndpointResolution.tcpHostAndPort(of: "tcp://[::1]:5556")! == ("::1", "5556"))
        #expect(EndpointResolution.tcpHostAndPort(of: "tcp://eth0;broker.lan:7")! == ("broker.lan", "7"))
        #expect(EndpointResolution.tcpHostAndPort(of: "inproc://models") == nil)
        #expect(EndpointResolution.tcpHostAndPort(of: "tcp://broker") == nil)
    }

    @Test func lookupFailsForAnInvalidNameAndNotForLoopback() {
        #expect(EndpointResolution.lookupFailure(of: "tcp://127.0.0.1:5556") == nil)
        #expect(EndpointResolution.lookupFailure(of: "ipc:///tmp/broker") == nil)
        let failure = EndpointResolution.lookupFailure(of: "tcp://no-such-host.invalid:5556")
        #expect(failure?.contains("getaddrinfo(\"no-such-host.invalid\") failed") == true, "\(failure ?? "resolved")")
    }

    // MARK: Real processes

    /// Runs `executable args` for `seconds`, then stops it; its stdout and stderr together.
    private func output(of executable: String, _ args: [String], seconds: Double) async throws -> String {
        let path = LauncherEndToEndTests.executables.appendingPathComponent(executable).path
        try #require(FileManager.default.isExecutableFile(atPath: path), "no \(executable) executable at \(path)")
        let result = try await SocketThread.run { try ChildCommand.run(path, args, timeout: seconds) }
        return result.stdout + "\n" + result.stderr
    }

    @Test func aTrainerWhoseBrokerHostDoesNotResolveSaysSo() async throws {
        let endpoint = "tcp://no-such-host.invalid:5556"
        let log = try await output(of: "trainer", [
            "--model-endpoint", endpoint, "--update-endpoint", "tcp://no-such-host.invalid:5557",
            "--control-endpoint", "tcp://no-such-host.invalid:5558", "--log-level", "info",
        ], seconds: 10)
        #expect(log.contains("waiting for the first model broadcast"), "\(log)")
        #expect(log.contains("endpoint=\(endpoint)") && log.contains("does not resolve"), "\(log)")
    }

    @Test func aTrainerWithNoBrokerListeningNamesTheEndpoint() async throws {
        let ports = try FreePorts.reserve(3)
        let endpoints = ports.map { "tcp://127.0.0.1:\($0)" }
        let log = try await output(of: "trainer", [
            "--model-endpoint", endpoints[0], "--update-endpoint", endpoints[1], "--control-endpoint", endpoints[2],
            "--log-level", "info",
        ], seconds: 10)
        #expect(log.contains("waiting for the first model broadcast"), "\(log)")
        #expect(log.contains("not running or not reachable at \(endpoints[0])"), "\(log)")
        #expect(log.contains("speaks plaintext"), "\(log)")
    }

    /// Runs a broker executable on six free ports while `body` runs (CURVE when `secretKeyFile`
    /// is given); `body` gets the broker's ports, in `BrokerPorts` order.
    private func withBroker<T>(secretKeyFile: String? = nil, _ body: ([Int]) async throws -> T) async throws -> T {
        let ports = try FreePorts.reserve(6)
        let flags = ["--model-in-port", "--model-out-port", "--updates-in-port", "--updates-out-port", "--control-in-port",
                     "--control-out-port"]
        let broker = Process()
        broker.executableURL = LauncherEndToEndTests.executables.appendingPathComponent("broker")
        broker.arguments = zip(flags, ports).flatMap { [$0, "\($1)"] } + (secretKeyFile.map { ["--curve-secret-key-file", $0] } ?? [])
        broker.standardOutput = FileHandle.nullDevice
        broker.standardError = FileHandle.nullDevice
        try broker.run()
        defer {
            broker.terminate()
            broker.waitUntilExit()
        }
        try await Task.sleep(for: .milliseconds(500))
        return try await body(ports)
    }

    @Test func aPlaintextTrainerAtACurveBrokerNamesTheMismatch() async throws {
        let keys = NSTemporaryDirectory() + "fedmq-wait-keys-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: keys) }
        let keygen = try await output(of: "fedmq", ["keygen", "--out", keys], seconds: 30)
        try #require(FileManager.default.fileExists(atPath: keys + "/broker.key"), "\(keygen)")
        let log = try await withBroker(secretKeyFile: keys + "/broker.key") { ports in
            try await output(of: "trainer", [
                "--broker", "127.0.0.1", "--model-out-port", "\(ports[1])", "--updates-in-port", "\(ports[2])",
                "--control-in-port", "\(ports[4])",
            ], seconds: 10)
        }
        #expect(log.contains("waiting for the first model broadcast") && log.contains("connection=tcp_only"), "\(log)")
        #expect(log.contains("handshake never completes") && log.contains("requires CURVE but this process speaks plaintext"), "\(log)")
    }

    @Test func anAggregatorWithABrokerButNoTrainerSaysSo() async throws {
        let log = try await withBroker { ports in
            try await output(of: "aggregator", [
                "--model", "mlp", "--eval-every", "0", "--model-endpoint", "tcp://127.0.0.1:\(ports[0])",
                "--update-endpoint", "tcp://127.0.0.1:\(ports[3])", "--control-endpoint", "tcp://127.0.0.1:\(ports[5])",
            ], seconds: 9)
        }
        #expect(log.contains("no trainer has registered yet") && !log.contains("no connection to the broker"), "\(log)")
    }

    @Test func anAggregatorWithNoBrokerSaysSo() async throws {
        let ports = try FreePorts.reserve(3)
        let endpoints = ports.map { "tcp://127.0.0.1:\($0)" }
        let log = try await output(of: "aggregator", [
            "--model", "mlp", "--eval-every", "0", "--model-endpoint", endpoints[0], "--update-endpoint", endpoints[1],
            "--control-endpoint", endpoints[2], "--log-level", "info",
        ], seconds: 9)
        #expect(log.contains("no connection to the broker yet"), "\(log)")
        // It claims the broker's aggregator lease on the control endpoint before anything else.
        #expect(log.contains("not running or not reachable at \(endpoints[2])"), "\(log)")
    }
}
