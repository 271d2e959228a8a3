// The wait reports that replaced silent waits (a trainer with no broker, an aggregator no
// trainer reaches): when they speak (`WaitReporter`, no clock), what they name
// (`WaitCauses`, `EndpointResolution`), and, with real processes, that a trainer pointed at a
// host that does not resolve or a port where nothing listens, and an aggregator with no
// broker, say so within a few seconds.
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

    @Test func anAggregatorWithNoBrokerSaysSo() async throws {
        let ports = try FreePorts.reserve(3)
        let endpoints = ports.map { "tcp://127.0.0.1:\($0)" }
        let log = try await output(of: "aggregator", [
            "--model", "mlp", "--eval-every", "0", "--model-endpoint", endpoints[0], "--update-endpoint", endpoints[1],
            "--control-endpoint", endpoints[2], "--log-level", "info",
        ], seconds: 9)
        #expect(log.contains("no connection to the broker yet"), "\(log)")
        #expect(log.contains("not running or not reachable at \(endpoints[0])"), "\(log)")
    }
}
