import ArgumentParser
import CommandSupport
import FedMQProtocol
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

    @Test func parsesEnumsAndSettingsThroughTheArgumentPath() throws {
        let env = EnvironmentValues(["FEDMQ_PARTITION": "dirichlet:0.5", "FEDMQ_NORM_POLICY": "clip:2.5", "FEDMQ_LOG_LEVEL": "Debug"])
        #expect(try env.value("FEDMQ_PARTITION", as: PartitionScheme.self) == .dirichlet(alpha: 0.5))
        #expect(try env.value("FEDMQ_NORM_POLICY", as: UpdateNormPolicy.self) == .clip(to: 2.5))
        #expect(try env.value("FEDMQ_LOG_LEVEL", as: Logger.Level.self) == .debug)
        #expect(try env.value("FEDMQ_MISSING", as: PartitionScheme.self) == nil)
    }

    /// One malformed value of each kind (integer, unsigned, floating point, Boolean, plain enum,
    /// setting with arguments) is a usage error that names the variable and the value.
    @Test func rejectsAMalformedValueOfEachKindNamingTheVariable() {
        let env = EnvironmentValues([
            "FEDMQ_SHARDS": "four", "FEDMQ_SEED": "-1", "FEDMQ_ALPHA": "0,6", "FEDMQ_WEIGHT_BY_SAMPLES": "yes",
            "FEDMQ_LOG_LEVEL": "loud", "FEDMQ_PARTITION": "zipf:2", "FEDMQ_NORM_POLICY": "clip:-1",
        ])
        let reads: [(String, () throws -> Void)] = [
            ("FEDMQ_SHARDS", { _ = try env.value("FEDMQ_SHARDS", as: Int.self) }),
            ("FEDMQ_SEED", { _ = try env.value("FEDMQ_SEED", as: UInt64.self) }),
            ("FEDMQ_ALPHA", { _ = try env.value("FEDMQ_ALPHA", as: Double.self) }),
            ("FEDMQ_WEIGHT_BY_SAMPLES", { _ = try env.value("FEDMQ_WEIGHT_BY_SAMPLES", as: Bool.self) }),
            ("FEDMQ_LOG_LEVEL", { _ = try env.value("FEDMQ_LOG_LEVEL", as: Logger.Level.self) }),
            ("FEDMQ_PARTITION", { _ = try env.value("FEDMQ_PARTITION", as: PartitionScheme.self) }),
            ("FEDMQ_NORM_POLICY", { _ = try env.value("FEDMQ_NORM_POLICY", as: UpdateNormPolicy.self) }),
        ]
        for (name, read) in reads {
            let error = #expect(throws: ValidationError.self, "\(name)") { try read() }
            let message = error?.message ?? ""
            #expect(message.contains(name) && message.contains(env.string(name) ?? "?"), "\(message)")
        }
    }

    @Test func aSettingsErrorSaysWhatIsExpected() {
        let error = #expect(throws: ValidationError.self) {
            try EnvironmentValues(["FEDMQ_PARTITION": "zipf"]).value("FEDMQ_PARTITION", as: PartitionScheme.self)
        }
        #expect(error?.message.contains("dirichlet:<α>0>") == true, "\(error?.message ?? "")")
    }

    @Test func settingsParseAsArgumentsAndListTheirForms() {
        #expect(PartitionScheme(argument: "labels:2") == .labels(classesPerShard: 2))
        #expect(PartitionScheme(argument: "labels:0") == nil)
        #expect(PartitionScheme.allValueStrings == PartitionScheme.forms)
        #expect(UpdateNormPolicy(argument: UpdateNormPolicy.reject(above: 3).description) == .reject(above: 3))
    }

    @Test func logLevelComesFromTheFlagThenTheEnvironment() throws {
        let quiet = EnvironmentValues(["FEDMQ_LOG_LEVEL": "WARNING"])
        #expect(try ServiceCommand.logLevel(flag: nil, environment: quiet) == .warning)
        #expect(try ServiceCommand.logLevel(flag: .debug, environment: quiet) == .debug)
        #expect(try ServiceCommand.logLevel(flag: nil, environment: EnvironmentValues([:])) == .info)
        #expect(throws: (any Error).self) { try ServiceCommand.logLevel(flag: nil, environment: EnvironmentValues(["FEDMQ_LOG_LEVEL": "loud"])) }
    }
}
