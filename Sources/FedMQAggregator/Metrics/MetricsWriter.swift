import FedMQProtocol
import Foundation

/// Appends `MetricsRecord`s as JSON lines to a file, flushing each line.
public final class MetricsWriter {
    public let path: String
    private let handle: FileHandle
    private let encoder: JSONEncoder

    /// Opens (creating, or appending to) `path`.
    public init(path: String) throws(ConfigurationError) {
        self.path = path
        let fm = FileManager.default
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try? fm.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        if !fm.fileExists(atPath: path) { fm.createFile(atPath: path, contents: nil) }
        guard let handle = FileHandle(forUpdatingAtPath: path) else {
            throw ConfigurationError("cannot open metrics file \(path)", code: "metrics_io")
        }
        // A process killed mid-line leaves a partial last line: start on a fresh line.
        if handle.seekToEndOfFile() > 0 {
            handle.seek(toFileOffset: handle.offsetInFile - 1)
            if handle.readDataToEndOfFile() != Data([0x0A]) { handle.write(Data([0x0A])) }
        }
        self.handle = handle
        encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
    }

    deinit { try? handle.close() }

    /// Writes one line.
    public func write(_ record: MetricsRecord) {
        guard var line = try? encoder.encode(record) else { return }
        line.append(0x0A)
        handle.write(line)
    }

    /// Reads every record from a JSON-lines file (malformed lines skipped).
    public static func read(path: String) -> [MetricsRecord] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        let decoder = JSONDecoder()
        return text.split(separator: "\n").compactMap { try? decoder.decode(MetricsRecord.self, from: Data($0.utf8)) }
    }
}
