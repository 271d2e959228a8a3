#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Z85 text encoding of binary data (ZeroMQ RFC 32), used for printable CURVE keys.
/// Every 4 bytes become 5 characters; input lengths must be multiples of 4 (bytes) or 5
/// (characters).
public enum Z85 {
    static let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#".utf8)

    /// Maps an ASCII code to its digit value, or 0xFF when not in the alphabet.
    static let decoder: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, character) in alphabet.enumerated() { table[Int(character)] = UInt8(value) }
        return table
    }()

    /// Encodes `bytes` (count a multiple of 4) as Z85 text.
    public static func encode(_ bytes: [UInt8]) throws(ZMQError) -> String {
        guard bytes.count % 4 == 0 else {
            throw ZMQError.invalidArgument("Z85 input must be a multiple of 4 bytes, got \(bytes.count)", operation: "Z85.encode")
        }
        var characters = [UInt8]()
        characters.reserveCapacity(bytes.count / 4 * 5)
        for start in stride(from: 0, to: bytes.count, by: 4) {
            var value = bytes[start..<start + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            var group = [UInt8](repeating: 0, count: 5)
            for position in (0..<5).reversed() {
                group[position] = alphabet[Int(value % 85)]
                value /= 85
            }
            characters += group
        }
        return String(decoding: characters, as: UTF8.self)
    }

    /// Decodes Z85 text (length a multiple of 5, only alphabet characters) into bytes.
    public static func decode(_ text: String) throws(ZMQError) -> [UInt8] {
        let characters = Array(text.utf8)
        guard characters.count % 5 == 0 else {
            throw ZMQError.invalidArgument("Z85 text length must be a multiple of 5, got \(characters.count)", operation: "Z85.decode")
        }
        var bytes = [UInt8]()
        bytes.reserveCapacity(characters.count / 5 * 4)
        for start in stride(from: 0, to: characters.count, by: 5) {
            var value: UInt64 = 0
            for character in characters[start..<start + 5] {
                let digit = decoder[Int(character)]
                guard digit != 0xFF else {
                    throw ZMQError.invalidArgument("invalid Z85 character \(UnicodeScalar(character))", operation: "Z85.decode")
                }
                value = value * 85 + UInt64(digit)
            }
            guard value <= UInt64(UInt32.max) else {
                throw ZMQError.invalidArgument("Z85 group out of range", operation: "Z85.decode")
            }
            bytes += [UInt8(value >> 24 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
        }
        return bytes
    }
}
