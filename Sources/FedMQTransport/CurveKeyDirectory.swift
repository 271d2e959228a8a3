import FedMQProtocol
import Foundation
import ZeroMQ

#if canImport(Glibc)
import Glibc
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
import Darwin
private let systemWrite = Darwin.write
#endif

/// A directory of CURVE key files made by `fedmq keygen` (and `fedmq run --curve`):
///
/// - `NAME.key`: the secret key of NAME, 40 Z85 characters and a newline, mode 0600;
/// - `NAME.pub`: its public key, same format;
/// - `allowed_keys`: the public keys of every client (every name but `broker`), one per line
///   with `# NAME` — the broker's `--allowed-keys-file`;
/// - `trainer_keys`: the public keys of the trainers (names starting with `trainer`) — the
///   aggregator's `--trainer-keys-file`.
public struct CurveKeyDirectory: Sendable, Equatable {
    /// The directory.
    public let path: String

    public init(path: String) { self.path = path }

    /// The name whose key is the broker's (CURVE server) key; it is in no allowed list.
    public static let brokerName = "broker"

    /// `trainer-1` … `trainer-count`.
    public static func trainerNames(count: Int) -> [String] { (0..<max(0, count)).map(trainerName) }

    /// The key name of trainer `index` (0-based): `trainer-<index + 1>`.
    public static func trainerName(_ index: Int) -> String { "trainer-\(index + 1)" }

    /// Whether `name` is a trainer's (it starts with `trainer`).
    public static func isTrainer(_ name: String) -> Bool { name.hasPrefix("trainer") }

    /// `DIR/NAME.key`.
    public func secretKeyFile(_ name: String) -> String { path + "/\(name).key" }
    /// `DIR/NAME.pub`.
    public func publicKeyFile(_ name: String) -> String { path + "/\(name).pub" }
    /// `DIR/allowed_keys`.
    public var allowedKeysFile: String { path + "/allowed_keys" }
    /// `DIR/trainer_keys`.
    public var trainerKeysFile: String { path + "/trainer_keys" }

    /// Generates a fresh key pair for every name and writes the files above (the directory is
    /// created; existing files are never overwritten).
    ///
    /// - Parameter names: distinct names made of letters, digits, `-`, `_` and `.`.
    /// - Returns: the generated pairs by name.
    @discardableResult
    public func generate(names: [String]) throws(ConfigurationError) -> [String: CurveKeyPair] {
        try Self.validate(names)
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw ConfigurationError("cannot create key directory \(path): \(error.localizedDescription)", code: "keygen", underlying: error)
        }
        var pairs: [String: CurveKeyPair] = [:]
        for name in names {
            let pair: CurveKeyPair
            do { pair = try CurveKeyPair.generate() } catch {
                throw ConfigurationError("cannot generate a CURVE key pair: \(error.message)", code: "keygen", underlying: error)
            }
            try Self.write(pair.secretKey.z85 + "\n", to: secretKeyFile(name), mode: 0o600)
            try Self.write(pair.publicKey.z85 + "\n", to: publicKeyFile(name), mode: 0o644)
            pairs[name] = pair
        }
        let clients = names.filter { $0 != Self.brokerName }.map { (name: $0, key: pairs[$0]!.publicKey) }
        try Self.write(CurveKeyList.text(clients), to: allowedKeysFile, mode: 0o644)
        try Self.write(CurveKeyList.text(clients.filter { Self.isTrainer($0.name) }), to: trainerKeysFile, mode: 0o644)
        return pairs
    }

    private static func validate(_ names: [String]) throws(ConfigurationError) {
        guard !names.isEmpty else { throw ConfigurationError("give at least one key name", code: "keygen") }
        guard Set(names).count == names.count else { throw ConfigurationError("key names must be distinct: \(names)", code: "keygen") }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
        for name in names where name.isEmpty || name.hasPrefix(".") || !name.allSatisfy(allowed.contains) {
            throw ConfigurationError("key name '\(name)' must be letters, digits, '-', '_' or '.' (not starting with '.')", code: "keygen")
        }
    }

    /// Creates `path` with `mode` (never replacing a file) and writes `text`.
    private static func write(_ text: String, to path: String, mode: mode_t) throws(ConfigurationError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode)
        guard fd >= 0 else {
            throw ConfigurationError("cannot create \(path): \(String(cString: strerror(errno)))", code: "keygen")
        }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        guard fchmod(fd, mode) == 0,
              bytes.isEmpty || bytes.withUnsafeBytes({ systemWrite(fd, $0.baseAddress!, $0.count) }) == bytes.count
        else {
            throw ConfigurationError("cannot write \(path): \(String(cString: strerror(errno)))", code: "keygen")
        }
    }
}
