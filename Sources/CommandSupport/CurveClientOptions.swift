import ArgumentParser
import FedMQTransport

/// The CURVE options of a broker client (aggregator, trainer): the broker's public key and
/// the process's own secret key, each inline or as a file, each also from `FEDMQ_*`.
public struct CurveClientOptions: ParsableArguments {
    @Option(help: "The broker's CURVE public key (40 Z85 characters); with a secret key, every connection to the broker is encrypted and authenticated. [env: FEDMQ_CURVE_SERVER_KEY]")
    public var curveServerKey: String?

    @Option(help: "File holding the broker's public key, e.g. keys/broker.pub. [env: FEDMQ_CURVE_SERVER_KEY_FILE]")
    public var curveServerKeyFile: String?

    @Option(help: "This process's CURVE secret key (40 Z85 characters); the public key is derived from it. [env: FEDMQ_CURVE_SECRET_KEY]")
    public var curveSecretKey: String?

    @Option(help: "File holding this process's secret key, e.g. keys/trainer-1.key. [env: FEDMQ_CURVE_SECRET_KEY_FILE]")
    public var curveSecretKeyFile: String?

    public init() {}

    /// The two key texts, or nil when neither is given (plaintext); one without the other is
    /// a validation error.
    public func keyTexts(_ env: EnvironmentValues = EnvironmentValues()) throws -> (serverKey: String, secretKey: String)? {
        let server = try env.valueOrFile(curveServerKey, file: curveServerKeyFile, variable: "FEDMQ_CURVE_SERVER_KEY")
        let secret = try env.valueOrFile(curveSecretKey, file: curveSecretKeyFile, variable: "FEDMQ_CURVE_SECRET_KEY")
        switch (server, secret) {
        case (nil, nil): return nil
        case (let server?, let secret?): return (server, secret)
        case (nil, _?): throw ValidationError("a CURVE secret key needs the broker's public key (--curve-server-key or --curve-server-key-file)")
        case (_?, nil): throw ValidationError("the broker's CURVE key needs this process's secret key (--curve-secret-key or --curve-secret-key-file)")
        }
    }

    /// The client keys (the broker's public key and this process's key pair), or nil when no
    /// key is given; keys that do not parse are a `ConfigurationError`.
    public func clientKeys(_ env: EnvironmentValues = EnvironmentValues()) throws -> CurveClientKeys? {
        try keyTexts(env).map { try CurveClientKeys(serverKey: $0.serverKey, secretKey: $0.secretKey) }
    }
}
