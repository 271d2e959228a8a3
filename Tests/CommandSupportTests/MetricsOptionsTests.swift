// `--metrics-port` and FEDMQ_METRICS_PORT: off unless given, flag before variable, 0 allowed
// (ephemeral), anything outside a TCP port a usage error that names where it came from.
import ArgumentParser
import CommandSupport
import Testing

@Suite struct MetricsOptionsTests {
    private func port(_ arguments: [String], _ variables: [String: String] = [:]) throws -> Int? {
        try MetricsOptions.parse(arguments).port(EnvironmentValues(variables))
    }

    @Test func offUnlessAFlagOrVariableGivesAPort() throws {
        #expect(try port([]) == nil)
        #expect(try port(["--metrics-port", "9100"]) == 9100)
        #expect(try port([], ["FEDMQ_METRICS_PORT": "0"]) == 0)
        #expect(try port(["--metrics-port", "9101"], ["FEDMQ_METRICS_PORT": "9102"]) == 9101)
    }

    @Test func aPortOutsideTheRangeNamesItsSource() throws {
        let flag = #expect(throws: (any Error).self) { try port(["--metrics-port", "70000"]) }
        #expect(flag.map { MetricsOptions.message(for: $0).contains("--metrics-port") } == true)
        let variable = #expect(throws: ValidationError.self) { try port([], ["FEDMQ_METRICS_PORT": "-3"]) }
        #expect(variable?.message.contains("FEDMQ_METRICS_PORT") == true)
    }
}
