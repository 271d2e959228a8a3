// The run's record: one JSON line per evaluation or event in `metrics.jsonl`. Writing it must
// never take the aggregator down (Foundation's FileHandle.write traps on ENOSPC, which made a
// full disk a crash loop) and never lose a line silently: a line that cannot be written is
// kept and written with the next one, and a file deleted while the run goes on is created anew.
import FedMQProtocol
import Foundation

#if canImport(Glibc)
import Glibc
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
import Darwin
private let systemWrite = Darwin.write
#endif

/// Appends `MetricsRecord`s as JSON lines to a file, one `write(2)` per line.
public final class MetricsWriter {
    public let path: String
    /// Most lines kept while the file cannot be written; older ones are dropped (and counted).
    public let pendingLimit: Int
    /// Lines not yet written (the file could not be written: full disk, I/O error).
    public private(set) var pending: [[UInt8]] = []
    /// Lines dropped because `pending` was full.
    public private(set) var droppedLines = 0
    /// Times the file was found deleted or replaced and created anew.
    public private(set) var reopenings = 0
    private var fd: Int32
    /// The (device, inode) of the file `fd` refers to.
    private var identity: (dev: UInt64, ino: UInt64)
    /// A write failed part-way: the next line starts on a fresh line so the torn one stays alone.
    private var tornLine = false
    private let encoder: JSONEncoder

    /// Opens (creating, or appending to) `path`.
    /// - Throws: `ConfigurationError` (code `metrics_io`) naming the path and the system's reason.
    public init(path: String, pendingLimit: Int = 10_000) throws(ConfigurationError) {
        self.path = path
        self.pendingLimit = max(1, pendingLimit)
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        (fd, identity) = try Self.openAppending(path)
        encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        // A process killed mid-line leaves a partial last line: start on a fresh line.
        tornLine = Self.endsWithoutNewline(path)
    }

    deinit { close(fd) }

    /// Writes one line, after any lines still pending. A failure keeps the line (and those
    /// before it) for the next call and is thrown with the system's reason.
    public func write(_ record: MetricsRecord) throws(ConfigurationError) {
        guard var line = try? encoder.encode(record) else { return }
        line.append(0x0A)
        if pending.count >= pendingLimit {
            pending.removeFirst()
            droppedLines += 1
        }
        pending.append(Array(line))
        try flush()
    }

    /// Writes every pending line; stops at the first failure.
    public func flush() throws(ConfigurationError) {
        try reopenIfReplaced()
        while let line = pending.first {
            try append(tornLine ? [0x0A] + line : line)
            tornLine = false
            pending.removeFirst()
        }
    }

    /// Reads every record from a JSON-lines file (malformed lines skipped).
    public static func read(path: String) -> [MetricsRecord] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        let decoder = JSONDecoder()
        return text.split(separator: "\n").compactMap { try? decoder.decode(MetricsRecord.self, from: Data($0.utf8)) }
    }

    // MARK: Files

    private func append(_ bytes: [UInt8]) throws(ConfigurationError) {
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { systemWrite(fd, $0.baseAddress! + written, bytes.count - written) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                tornLine = tornLine || written > 0
                throw ConfigurationError("cannot write \(path): \(String(cString: strerror(errno)))", code: "metrics_io")
            }
            written += n
        }
    }

    /// The file was deleted or replaced since it was opened (an operator cleaning up): opens
    /// `path` again, so the record goes on in the file that has the name.
    private func reopenIfReplaced() throws(ConfigurationError) {
        var info = stat()
        if stat(path, &info) == 0, (UInt64(info.st_dev), UInt64(info.st_ino)) == identity { return }
        let (newFD, newIdentity) = try Self.openAppending(path)
        close(fd)
        (fd, identity) = (newFD, newIdentity)
        tornLine = false
        reopenings += 1
    }

    private static func openAppending(_ path: String) throws(ConfigurationError) -> (Int32, (dev: UInt64, ino: UInt64)) {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        var info = stat()
        guard fd >= 0, fstat(fd, &info) == 0 else {
            let reason = String(cString: strerror(errno))
            if fd >= 0 { close(fd) }
            throw ConfigurationError("cannot open metrics file \(path): \(reason)", code: "metrics_io")
        }
        return (fd, (UInt64(info.st_dev), UInt64(info.st_ino)))
    }

    private static func endsWithoutNewline(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        guard let end = try? handle.seekToEnd(), end > 0 else { return false }
        try? handle.seek(toOffset: end - 1)
        return (try? handle.read(upToCount: 1)) != Data([0x0A])
    }
}
