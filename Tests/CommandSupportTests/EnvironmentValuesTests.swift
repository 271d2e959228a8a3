import CommandSupport
import Logging
import Testing

@Suite struct EnvironmentValuesTests {
    let env = EnvironmentValues(["FEDMQ_PORT": " 5556 ", "FEDMQ_EMPTY": "", "FEDMQ_BAD": "12x", "FEDMQ_LR": "0.05"])

    @Test func readsTrimmedStringsAndTreatsEmptyAsUnset() {
        #expect(env.string("FEDMQ_PORT") == "5556")
        #expect(env.string("FEDMQ_EMPTY") == nil)
        #expect(env.string("FEDMQ_MISSING") == nil)
    }

    @Test func parsesTypedValuesAndNamesTheVariableWhenMalformed() throws {
        #expect(try env.int("FEDMQ_PORT") == 5556)
        #expect(try env.value("FEDMQ_LR", as: Double.self) == 0.05)
        #expect(try env.int("FEDMQ_MISSING") == nil)
        let error = #expect(throws: (any Error).self) { try env.int("FEDMQ_BAD") }
        #expect("\(error.map { "\($0)" } ?? "")".contains("FEDMQ_BAD"))
    }

    @Test func logLevelComesFromTheFlagThenTheEnvironment() throws {
        let quiet = EnvironmentValues(["FEDMQ_LOG_LEVEL": "WARNING"])
        #expect(try ServiceCommand.logLevel(flag: nil, environment: quiet) == .warning)
        #expect(try ServiceCommand.logLevel(flag: "debug", environment: quiet) == .debug)
        #expect(try ServiceCommand.logLevel(flag: nil, environment: EnvironmentValues([:])) == .info)
        #expect(throws: (any Error).self) { try ServiceCommand.logLevel(flag: "loud", environment: quiet) }
    }
}
