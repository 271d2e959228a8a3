import FedMQProtocol
import Foundation
import Logging
import SafeTensorsFormat
import TensorCore
import VectorKernels

/// Crash-safe checkpoints in a directory, one sub-directory per version:
///
/// ```
/// <directory>/ckpt-00000000000000000042/
///     model.safetensors   global weights (PyTorch names)
///     state.safetensors   strategy/optimizer vectors (absent if none)
///     state.json          CheckpointState
///     MANIFEST.json       {"model.safetensors":"<crc32c hex>", …} — written last
/// ```
///
/// A checkpoint is assembled in a `.tmp-…` directory (every file fsynced), renamed into place
/// (atomic), and the parent directory fsynced. Loading verifies every manifest checksum and
/// decodes against the layout. `latest()` returns the newest checkpoint that verifies,
/// logging and skipping corrupt ones. Only the newest `keep` checkpoints of the run being
/// written are retained; another run's are never pruned (they are moved into `archive/` when
/// an aggregator is told to start a new run there, see `CheckpointAdmission`). A failed save
/// leaves no temporary directory behind.
/// `registry.json` is replaced atomically (temp file, fsync, rename) before a new trainer
/// learns its id, so a crash between checkpoints does not forget who joined.
public struct CheckpointStore: Sendable {
    public let directory: String
    public let layout: ParameterLayout
    /// How many checkpoints to retain (≥ 1).
    public let keep: Int
    private let codec: any ParameterPayloadCodec
    private let logger: Logger

    public init(directory: String, layout: ParameterLayout, keep: Int = 3,
                codec: any ParameterPayloadCodec = SafeTensorsPayloadCodec(), logger: Logger) {
        self.directory = directory
        self.layout = layout
        self.keep = max(1, keep)
        self.codec = codec
        self.logger = logger
    }

    /// Writes `checkpoint` durably, prunes old ones of the same run and model; returns its
    /// directory path. On failure nothing is left behind: the temporary directory is removed,
    /// so a full disk does not fill up further with retries.
    @discardableResult
    public func save(_ checkpoint: Checkpoint) throws(CheckpointError) -> String {
        let fm = FileManager.default
        do { try fm.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw CheckpointError("io", "cannot create \(directory): \(error)", underlying: error)
        }
        let final = path(for: checkpoint.state.version)
        let temp = directory + "/.tmp-\(checkpoint.state.version)-\(ProcessInfo.processInfo.processIdentifier)"
        try? fm.removeItem(atPath: temp)
        do {
            try assemble(checkpoint, in: temp)
            if fm.fileExists(atPath: final) { try? fm.removeItem(atPath: final) }
            try DurableFile.rename(temp, final)
        } catch {
            try? fm.removeItem(atPath: temp)
            throw error
        }
        try DurableFile.syncDirectory(directory)
        prune(runID: checkpoint.state.runID)
        return final
    }

    /// Writes every file of `checkpoint` into the new directory `temp`, the manifest last.
    private func assemble(_ checkpoint: Checkpoint, in temp: String) throws(CheckpointError) {
        do { try FileManager.default.createDirectory(atPath: temp, withIntermediateDirectories: false) } catch {
            throw CheckpointError("io", "cannot create \(temp): \(error)", underlying: error)
        }
        var manifest: [String: String] = [:]
        func put(_ name: String, _ bytes: [UInt8]) throws(CheckpointError) {
            try DurableFile.write(bytes, to: temp + "/" + name)
            manifest[name] = String(CRC32C.checksum(bytes), radix: 16)
        }
        var state = checkpoint.state
        state.stateVectorCounts = checkpoint.stateVectors.mapValues(\.count)
        try put("model.safetensors", codec.encode(flat: checkpoint.model, layout: layout, metadata: ["fedmq.version": String(state.version)]))
        if let (flat, vectorLayout) = Self.flatten(checkpoint.stateVectors) {
            try put("state.safetensors", codec.encode(flat: flat, layout: vectorLayout, metadata: [:]))
        }
        try put("state.json", try Self.json(state))
        try DurableFile.write(try Self.json(manifest), to: temp + "/MANIFEST.json")
        try DurableFile.syncDirectory(temp)
    }

    /// The `state.json` of every checkpoint whose state reads, oldest first; the model files are
    /// not read (see `load(version:)`). What a checkpoint directory holds, for `CheckpointAdmission`.
    public func states() -> [CheckpointState] {
        versions().compactMap { version in try? state(version) }
    }

    /// Moves the checkpoints of `versions` (and, when no checkpoint is left, `registry.json`)
    /// into `archive/<label>/` inside the directory; returns that folder. Nothing is deleted.
    @discardableResult
    public func archive(versions: [UInt64], label: String) throws(CheckpointError) -> String {
        let folder = directory + "/archive/" + label
        do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw CheckpointError("io", "cannot create \(folder): \(error)", underlying: error)
        }
        for version in versions {
            let source = path(for: version)
            try DurableFile.rename(source, folder + "/" + (source as NSString).lastPathComponent)
        }
        if self.versions().isEmpty, FileManager.default.fileExists(atPath: registryPath) {
            try DurableFile.rename(registryPath, folder + "/registry.json")
        }
        try DurableFile.syncDirectory(directory)
        return folder
    }

    private func state(_ version: UInt64) throws(CheckpointError) -> CheckpointState {
        try Self.unjson(try DurableFile.read(path(for: version) + "/state.json"), "state.json")
    }

    /// The newest checkpoint that verifies, or nil. Corrupt ones are logged and skipped.
    public func latest() -> Checkpoint? {
        for version in versions().reversed() {
            do {
                return try load(version: version)
            } catch {
                logger.warning("skipping corrupt checkpoint", metadata: ["version": "\(version)", "reason": "\(error)"])
            }
        }
        return nil
    }

    /// Loads and verifies the checkpoint of `version`.
    public func load(version: UInt64) throws(CheckpointError) -> Checkpoint {
        let dir = path(for: version)
        let manifest: [String: String] = try Self.unjson(try DurableFile.read(dir + "/MANIFEST.json"), "MANIFEST.json")
        func file(_ name: String) throws(CheckpointError) -> [UInt8] {
            guard let expected = manifest[name] else { throw CheckpointError("format", "\(name) not in manifest") }
            let bytes = try DurableFile.read(dir + "/" + name)
            let crc = String(CRC32C.checksum(bytes), radix: 16)
            guard crc == expected else { throw CheckpointError("checksum", "\(name) CRC-32C \(crc) != manifest \(expected)") }
            return bytes
        }
        let state: CheckpointState = try Self.unjson(try file("state.json"), "state.json")
        guard state.version == version else { throw CheckpointError("format", "state.json version \(state.version) in \(dir)") }
        guard state.fingerprint == layout.fingerprint else {
            throw CheckpointError("mismatch", "checkpoint fingerprint \(state.fingerprint) != model \(layout.fingerprint)")
        }
        let model = try decode(try file("model.safetensors"), layout)
        var vectors: [String: [Float]] = [:]
        if let (_, vectorLayout) = Self.flatten(state.stateVectorCounts.mapValues { [Float](repeating: 0, count: $0) }) {
            let flat = try decode(try file("state.safetensors"), vectorLayout)
            for (spec, offset) in zip(vectorLayout.parameters, vectorLayout.offsets) {
                vectors[spec.name] = Array(flat[offset..<(offset + spec.count)])
            }
        }
        return Checkpoint(state: state, model: model, stateVectors: vectors)
    }

    /// Writes the trainer membership to `registry.json` durably (atomic replace).
    public func saveRegistry(_ registry: TrainerRegistry) throws(CheckpointError) {
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw CheckpointError("io", "cannot create \(directory): \(error)", underlying: error)
        }
        let temp = directory + "/.tmp-registry-\(ProcessInfo.processInfo.processIdentifier)"
        try DurableFile.write(try Self.json(registry), to: temp)
        try DurableFile.rename(temp, registryPath)
        try DurableFile.syncDirectory(directory)
    }

    /// The membership saved by `saveRegistry`, or nil if there is none or it cannot be read
    /// (logged).
    public func latestRegistry() -> TrainerRegistry? {
        guard FileManager.default.fileExists(atPath: registryPath) else { return nil }
        do {
            return try Self.unjson(try DurableFile.read(registryPath), "registry.json")
        } catch {
            logger.warning("ignoring unreadable trainer registry", metadata: ["reason": "\(error)"])
            return nil
        }
    }

    private var registryPath: String { directory + "/registry.json" }

    /// Versions present on disk (complete directories only), ascending.
    public func versions() -> [UInt64] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.compactMap { name -> UInt64? in
            guard name.hasPrefix("ckpt-") else { return nil }
            return UInt64(name.dropFirst(5))
        }.sorted()
    }

    /// Directory of the checkpoint of `version`.
    public func path(for version: UInt64) -> String {
        let digits = String(version)
        return directory + "/ckpt-" + String(repeating: "0", count: max(0, 20 - digits.count)) + digits
    }

    /// Removes all but the newest `keep` checkpoints of run `runID` with this layout: the
    /// checkpoints of another run or model (or whose state does not read) are never removed.
    private func prune(runID: UInt64) {
        let fm = FileManager.default
        let own = versions().filter { version in
            (try? state(version)).map { $0.runID == runID && $0.fingerprint == layout.fingerprint } ?? false
        }
        for version in own.dropLast(keep) { try? fm.removeItem(atPath: path(for: version)) }
        for name in (try? fm.contentsOfDirectory(atPath: directory)) ?? [] where name.hasPrefix(".tmp-") {
            if !name.hasSuffix("-\(ProcessInfo.processInfo.processIdentifier)") { try? fm.removeItem(atPath: directory + "/" + name) }
        }
    }

    private func decode(_ bytes: [UInt8], _ layout: ParameterLayout) throws(CheckpointError) -> [Float] {
        do {
            let flat = try codec.decode(bytes, layout: layout).flat
            guard VectorMathBridge.allFinite(flat) else { throw CheckpointError("format", "non-finite values") }
            return flat
        } catch let e as CheckpointError {
            throw e
        } catch {
            throw CheckpointError("format", "\(error)", underlying: error)
        }
    }

    /// Concatenates named vectors (sorted by name) with a matching layout; nil when empty.
    private static func flatten(_ vectors: [String: [Float]]) -> ([Float], ParameterLayout)? {
        guard !vectors.isEmpty else { return nil }
        let names = vectors.keys.sorted()
        let layout = ParameterLayout(names.map { ParameterSpec(name: $0, shape: [vectors[$0]!.count]) })
        return (names.flatMap { vectors[$0]! }, layout)
    }

    private static func json<T: Encodable>(_ value: T) throws(CheckpointError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        do { return Array(try encoder.encode(value)) } catch { throw CheckpointError("format", "cannot encode JSON: \(error)", underlying: error) }
    }

    private static func unjson<T: Decodable>(_ bytes: [UInt8], _ name: String) throws(CheckpointError) -> T {
        do { return try JSONDecoder().decode(T.self, from: Data(bytes)) } catch {
            throw CheckpointError("format", "\(name) is not valid: \(error)", underlying: error)
        }
    }
}
