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
///
/// Generating into a directory that holds keys already adds the new keys to its lists.
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
    /// Whether NAME has a key file (secret or public) here already.
    public func hasKey(_ name: String) -> Bool {
        FileManager.default.fileExists(atPath: secretKeyFile(name)) || FileManager.default.fileExists(atPath: publicKeyFile(name))
    }
    /// `DIR/allowed_keys`.
    public var allowedKeysFile: String { path + "/allowed_keys" }
    /// `DIR/trainer_keys`.
    public var trainerKeysFile: String { path + "/trainer_keys" }

    /// Generates a fresh key pair for every name, writes its two files and adds its public key
    /// to the lists above (the directory is created). Lists that exist already keep their
    /// lines and get the new keys appended, each key once; each list is replaced atomically.
    /// A name whose key file exists is refused before anything is written (a secret key is
    /// never overwritten); any later failure removes what this call wrote, so the directory is
    /// left as it was.
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
        for name in names where hasKey(name) {
            throw ConfigurationError("\(secretKeyFile(name)) or \(publicKeyFile(name)) exists: keygen never overwrites a key; remove \(name)'s key files or choose another name",
                                     code: "keygen_exists")
        }
        var pairs: [String: CurveKeyPair] = [:]
        for name in names {
            do { pairs[name] = try CurveKeyPair.generate() } catch {
                throw ConfigurationError("cannot generate a CURVE key pair: \(error.message)", code: "keygen", underlying: error)
            }
        }
        let clients = names.filter { $0 != Self.brokerName }.map { (name: $0, key: pairs[$0]!.publicKey) }
        let lists = [(allowedKeysFile, clients), (trainerKeysFile, clients.filter { Self.isTrainer($0.name) })]
        let texts = try lists.map { (file, entries) throws(ConfigurationError) in (file, try Self.appending(entries, to: file)) }
        try writeAll(pairs, lists: texts)
        return pairs
    }

    /// Writes the key files of `pairs`, then puts `lists` (file, new text) in place by renaming
    /// staged copies; on a failure removes every file it created and restores replaced lists.
    private func writeAll(_ pairs: [String: CurveKeyPair], lists: [(file: String, text: String)]) throws(ConfigurationError) {
        var created: [String] = []
        var replaced: [(file: String, old: String?)] = []
        do throws(ConfigurationError) {
            for (name, pair) in pairs.sorted(by: { $0.key < $1.key }) {
                for (file, text, mode) in [(secretKeyFile(name), pair.secretKey.z85, mode_t(0o600)),
                                           (publicKeyFile(name), pair.publicKey.z85, mode_t(0o644))] {
                    try Self.write(text + "\n", to: file, mode: mode)
                    created.append(file)
                }
            }
            for (file, text) in lists {
                let old = try? String(contentsOfFile: file, encoding: .utf8)
                try Self.replace(file, with: text)
                replaced.append((file, old))
            }
        } catch {
            for (file, old) in replaced.reversed() {
                if let old { try? Self.replace(file, with: old) } else { unlink(file) }
            }
            for file in created { unlink(file) }
            throw error
        }
    }

    /// The text of the list `file` (empty when it does not exist) with a line for each entry
    /// whose key it does not hold yet; a list that does not parse is refused.
    private static func appending(_ entries: [(name: String, key: CurveKey)], to file: String) throws(ConfigurationError) -> String {
        var text = ""
        if FileManager.default.fileExists(atPath: file) {
            do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
                throw ConfigurationError("cannot read \(file): \(error.localizedDescription)", code: "keygen", underlying: error)
            }
        }
        let listed: Set<CurveKey>
        do { listed = try CurveKeyList.keys(possiblyNone: text, what: file) } catch {
            throw ConfigurationError("\(file) does not parse, so no key is added to it: \(error.message)", code: "keygen", underlying: error)
        }
        if !text.isEmpty && !text.hasSuffix("\n") { text += "\n" }
        return text + CurveKeyList.text(entries.filter { !listed.contains($0.key) })
    }

    /// Replaces `path` with `text` atomically: a staged copy next to it is renamed over it.
    private static func replace(_ path: String, with text: String) throws(ConfigurationError) {
        let staged = path + ".tmp-\(getpid())"
        unlink(staged)
        do throws(ConfigurationError) {
            try write(text, to: staged, mode: 0o644)
            guard rename(staged, path) == 0 else {
                throw ConfigurationError("cannot replace \(path): \(String(cString: strerror(errno)))", code: "keygen")
            }
        } catch {
            unlink(staged)
            throw error
        }
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
              bytes.isEmpty || bytes.withUnsafeBytes({ systemWrite(fd, $0.baseAddress!, $0.count) }) == bytes.count,
              fsync(fd) == 0
        else {
            throw ConfigurationError("cannot write \(path): \(String(cString: strerror(errno)))", code: "keygen")
        }
    }
}
