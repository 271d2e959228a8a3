import Foundation

/// Resident memory of processes on this machine, read from `/proc` (Linux).
public enum ProcessMemory {
    /// Resident set size of `pid` in bytes (`VmRSS`), or nil if unreadable (no such
    /// process, not Linux).
    public static func residentBytes(pid: Int32) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 2, let kilobytes = Int(fields[1]) else { return nil }
            return kilobytes * 1024
        }
        return nil
    }

    /// Resident set size of this process in bytes.
    public static var residentBytesOfSelf: Int? { residentBytes(pid: getpid()) }
}
