#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// The last SIGINT/SIGTERM the process received, recorded by a signal handler (an atomic
/// store, async-signal-safe) so a polling loop can start an orderly teardown.
private let lastInterrupt = Atomic<Int32>(0)

/// Catches SIGINT and SIGTERM for a supervisor that tears its children down itself.
public enum InterruptSignal {
    /// Installs the handlers (idempotent).
    public static func install() {
        for s in [SIGINT, SIGTERM] {
            signal(s) { received in lastInterrupt.store(received, ordering: .relaxed) }
        }
    }

    /// The signal received, if any.
    public static var received: Int32? {
        let s = lastInterrupt.load(ordering: .relaxed)
        return s == 0 ? nil : s
    }
}
