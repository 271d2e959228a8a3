import Foundation

#if canImport(Glibc)
import Glibc
private let systemWrite = Glibc.write
private let systemRename = Glibc.rename
#elseif canImport(Darwin)
import Darwin
private let systemWrite = Darwin.write
private let systemRename = Darwin.rename
#endif

/// POSIX file helpers with explicit fsync, for crash-safe writes.
enum DurableFile {
    /// Writes `bytes` to `path` (create/truncate) and fsyncs it.
    static func write(_ bytes: [UInt8], to path: String) throws(CheckpointError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw failure("cannot create \(path)") }
        defer { close(fd) }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { systemWrite(fd, $0.baseAddress! + written, bytes.count - written) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw failure("write to \(path) failed") }
            written += n
        }
        guard fsync(fd) == 0 else { throw failure("fsync \(path) failed") }
    }

    /// fsyncs a directory so renames inside it are durable.
    static func syncDirectory(_ path: String) throws(CheckpointError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { throw failure("cannot open directory \(path)") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw failure("fsync directory \(path) failed") }
    }

    /// Renames atomically (same file system).
    static func rename(_ from: String, _ to: String) throws(CheckpointError) {
        guard systemRename(from, to) == 0 else { throw failure("rename \(from) → \(to) failed") }
    }

    static func read(_ path: String) throws(CheckpointError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CheckpointError("io", "cannot read \(path)")
        }
        return [UInt8](data)
    }

    /// An "io" error for the failed call `what`, keeping `errno` as a `POSIXError`.
    private static func failure(_ what: String) -> CheckpointError {
        let code = errno
        return CheckpointError("io", "\(what): \(String(cString: strerror(code)))",
                               underlying: POSIXErrorCode(rawValue: code).map { POSIXError($0) })
    }
}
