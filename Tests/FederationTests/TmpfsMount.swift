// A small tmpfs mounted for one test: a disk that really fills up (ENOSPC from the kernel, not
// a mock) and frees again. Needs root (CI runs as root); tests using it are skipped elsewhere.
import Foundation

struct TmpfsMount {
    let path: String

    /// Whether this process may mount file systems (root).
    static var isAvailable: Bool { geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/bin/mount") }

    /// Mounts a tmpfs of `kilobytes` at a new temporary directory.
    init(kilobytes: Int) throws {
        path = NSTemporaryDirectory() + "fedmq-tmpfs-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let result = try ChildCommand.run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(kilobytes)k", "tmpfs", path], timeout: 10)
        guard result.status == 0 else { throw ChildCommandError(message: "mount tmpfs failed: \(result.stderr)") }
    }

    /// Fills the file system with a file `filler` until the kernel says it is full.
    func fill() throws {
        let fd = open(path + "/filler", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw ChildCommandError(message: "cannot create filler") }
        defer { close(fd) }
        let chunk = [UInt8](repeating: 0xAB, count: 4096)
        while chunk.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) > 0 {}
        _ = chunk.withUnsafeBytes { write(fd, $0.baseAddress, 1) }  // the last partial block
    }

    /// Frees the space `fill` took.
    func free() throws {
        try FileManager.default.removeItem(atPath: path + "/filler")
    }

    func unmount() {
        _ = try? ChildCommand.run("/bin/umount", ["-l", path], timeout: 10)
        try? FileManager.default.removeItem(atPath: path)
    }
}
