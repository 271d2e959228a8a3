/// A 32-byte CURVE key (public or secret), printable as 40 Z85 characters.
public struct CurveKey: Sendable, Hashable, CustomStringConvertible {
    /// The raw key, exactly 32 bytes.
    public let bytes: [UInt8]

    /// Creates a key from 32 raw bytes.
    public init(bytes: [UInt8]) throws(ZMQError) {
        guard bytes.count == 32 else {
            throw ZMQError.invalidArgument("a CURVE key has 32 bytes, got \(bytes.count)", operation: "CurveKey")
        }
        self.bytes = bytes
    }

    /// Creates a key from its 40-character Z85 text.
    public init(z85: String) throws(ZMQError) {
        guard z85.utf8.count == 40 else {
            throw ZMQError.invalidArgument("a Z85 CURVE key has 40 characters, got \(z85.utf8.count)", operation: "CurveKey")
        }
        try self.init(bytes: Z85.decode(z85))
    }

    /// The 40-character Z85 text of the key.
    public var z85: String {
        // 32 bytes is a multiple of 4, so encoding cannot fail.
        (try? Z85.encode(bytes)) ?? ""
    }

    /// The Z85 text; note that printing a secret key reveals it.
    public var description: String { z85 }
}
