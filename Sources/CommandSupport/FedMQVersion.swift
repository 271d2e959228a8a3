/// The version every FedMQ executable prints for `--version` (broker, aggregator, trainer and
/// fedmq with its subcommands), kept in this one place so the binaries of a build never
/// disagree about what they are.
public enum FedMQVersion {
    /// The release version, semantic versioning.
    public static let current = "0.9.0"
}
