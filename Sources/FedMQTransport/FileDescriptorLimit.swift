#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process's open-file limit (`RLIMIT_NOFILE`). Every TCP connection and every ZeroMQ
/// socket (its mailbox) takes a descriptor, so a broker facing thousands of trainers, or a
/// load generator simulating them, needs far more than the usual soft limit of 1024.
public enum FileDescriptorLimit {
    /// The current soft and hard limits.
    public static var current: (soft: UInt64, hard: UInt64) {
        var limit = rlimit()
        guard getrlimit(resourceNoFile, &limit) == 0 else { return (0, 0) }
        return (UInt64(limit.rlim_cur), UInt64(limit.rlim_max))
    }

    /// Raises the soft limit to the hard limit (what an unprivileged process may do) and
    /// returns the limits now in force. Never lowers the limit; failures leave it unchanged.
    @discardableResult
    public static func raiseToHardLimit() -> (soft: UInt64, hard: UInt64) {
        var limit = rlimit()
        guard getrlimit(resourceNoFile, &limit) == 0, limit.rlim_cur < limit.rlim_max else { return current }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(resourceNoFile, &limit)
        return current
    }

    #if canImport(Glibc)
    private static let resourceNoFile = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    private static let resourceNoFile = RLIMIT_NOFILE
    #endif
}
