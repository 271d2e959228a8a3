import CommandSupport
import FedMQTransport
import ZeroMQ

/// Where the broker's key lists come from (inline flags or files, else `FEDMQ_*` variables);
/// read at start and again on SIGHUP.
struct KeyLists: Sendable {
    var allowedKeys, allowedKeysFile, aggregatorKeys, aggregatorKeysFile: String?

    /// (allowed client keys, aggregator keys); nil where no list is given.
    func read(_ env: EnvironmentValues) throws -> (Set<CurveKey>?, Set<CurveKey>?) {
        let allowed = try env.valueOrFile(allowedKeys, file: allowedKeysFile, variable: "FEDMQ_ALLOWED_KEYS")
        let aggregator = try env.valueOrFile(aggregatorKeys, file: aggregatorKeysFile, variable: "FEDMQ_AGGREGATOR_KEYS")
        return (try allowed.map { try CurveKeyList.keys($0, what: "--allowed-keys") },
                try aggregator.map { try CurveKeyList.keys($0, what: "--aggregator-keys") })
    }
}
