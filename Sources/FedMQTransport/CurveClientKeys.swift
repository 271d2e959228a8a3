import FedMQProtocol
import ZeroMQ

/// What a CURVE client (aggregator or trainer) needs to talk to an encrypting broker: the
/// broker's public key, which authenticates the broker, and the client's own key pair, which
/// the broker checks against its allowed list.
public struct CurveClientKeys: Sendable, Equatable {
    /// The broker's long-term public key.
    public var serverKey: CurveKey
    /// This client's key pair.
    public var keyPair: CurveKeyPair

    public init(serverKey: CurveKey, keyPair: CurveKeyPair) {
        self.serverKey = serverKey
        self.keyPair = keyPair
    }

    /// Parses the broker's public key and this client's secret key (Z85 text, e.g. the
    /// contents of `broker.pub` and `trainer-1.key`); the public key is derived from the secret.
    public init(serverKey: String, secretKey: String) throws(ConfigurationError) {
        let server = try CurveKeyList.key(serverKey, what: "CURVE server key")
        let secret = try CurveKeyList.key(secretKey, what: "CURVE secret key")
        do {
            self.init(serverKey: server, keyPair: try CurveKeyPair(secretKey: secret))
        } catch {
            throw ConfigurationError("cannot derive the CURVE public key: \(error.message)", code: "curve_key", underlying: error)
        }
    }

    /// The options that make a socket a CURVE client of the broker; set them before `connect`.
    public var socketOptions: [SocketOption] {
        [.curveServerKey(serverKey), .curvePublicKey(keyPair.publicKey), .curveSecretKey(keyPair.secretKey)]
    }
}
