import CZMQ

/// A CURVE (Curve25519) long-term key pair.
public struct CurveKeyPair: Sendable, Hashable {
    public let publicKey: CurveKey
    public let secretKey: CurveKey

    /// Generates a fresh random key pair (`zmq_curve_keypair`; needs libzmq with CURVE).
    public static func generate() throws(ZMQError) -> CurveKeyPair {
        var publicText = [CChar](repeating: 0, count: 41)
        var secretText = [CChar](repeating: 0, count: 41)
        guard zmq_curve_keypair(&publicText, &secretText) == 0 else { throw ZMQError.last("zmq_curve_keypair") }
        return CurveKeyPair(
            publicKey: try CurveKey(z85: Self.text(publicText)),
            secretKey: try CurveKey(z85: Self.text(secretText)))
    }

    /// Re-creates the pair from a secret key, deriving the public key (`zmq_curve_public`).
    public init(secretKey: CurveKey) throws(ZMQError) {
        var publicText = [CChar](repeating: 0, count: 41)
        let secretText = secretKey.z85
        guard zmq_curve_public(&publicText, secretText) == 0 else { throw ZMQError.last("zmq_curve_public") }
        self.init(publicKey: try CurveKey(z85: Self.text(publicText)), secretKey: secretKey)
    }

    /// The NUL-terminated Z85 text written by libzmq into `buffer`.
    private static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private init(publicKey: CurveKey, secretKey: CurveKey) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }
}
