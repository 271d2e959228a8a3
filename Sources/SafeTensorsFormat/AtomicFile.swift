#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file reads and crash-safe whole-file replacement with POSIX calls.
enum AtomicFile {
    /// Writes `bytes` to a temporary file next to `path`, fsyncs it, renames it over `path`
    /// and fsyncs the directory, so readers see either the old or the new file, never a mix.
    static func write(_ bytes: [UInt8], to path: String) throws(SafeTensorsError) {
        let directory = directoryName(of: path)
        var suffix = SystemRandomNumberGenerator()
        let temporary = "\(path).tmp-\(getpid())-\(String(suffix.next() & 0xFFFF_FFFF, radix: 16))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure("cannot create \(temporary)") }
        do throws(SafeTensorsError) {
            try writeAll(bytes, to: fd, path: temporary)
            guard fsync(fd) == 0 else { throw failure("fsync \(temporary)") }
            guard close(fd) == 0 else { throw failure("close \(temporary)") }
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let error = failure("rename \(temporary) to \(path)")
            unlink(temporary)
            throw error
        }
        let directoryFD = open(directory, O_RDONLY | O_CLOEXEC)
        guard directoryFD >= 0 else { throw failure("open directory \(directory)") }
        defer { close(directoryFD) }
        guard fsync(directoryFD) == 0 else { throw failure("fsync directory \(directory)") }
    }

    /// The whole content of the regular file at `path`.
    static func read(_ path: String) throws(SafeTensorsError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure("cannot open \(path)") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw failure("stat \(path)") }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw SafeTensorsError(.io, "\(path) is not a regular file") }
        let size = Int(info.st_size)
        var readError: SafeTensorsError?
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            while initialized < size {
                let n = systemRead(fd, buffer.baseAddress! + initialized, size - initialized)
                if n > 0 { initialized += n; continue }
                if n < 0 && errno == EINTR { continue }
                readError = n == 0 ? SafeTensorsError(.io, "\(path) shrank while being read") : failure("read \(path)")
                return
            }
        }
        if let readError { throw readError }
        return bytes
    }

    private static func writeAll(_ bytes: [UInt8], to fd: Int32, path: String) throws(SafeTensorsError) {
        let failed = bytes.withUnsafeBytes { raw in
            var written = 0
            while written < raw.count {
                let n = systemWrite(fd, raw.baseAddress! + written, raw.count - written)
                if n >= 0 { written += n; continue }
                if errno == EINTR { continue }
                return true
            }
            return false
        }
        if failed { throw failure("write \(path)") }
    }

    private static func directoryName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    private static func failure(_ what: String) -> SafeTensorsError {
        SafeTensorsError(.io, "\(what): \(String(cString: strerror(errno)))")
    }
}

// File-scope wrappers: inside `AtomicFile`, `read`/`write` name its own methods.
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    read(fd, buffer, count)
}

private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, buffer, count)
}
