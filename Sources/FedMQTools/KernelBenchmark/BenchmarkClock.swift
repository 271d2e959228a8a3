#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Timing helpers shared by the benchmarks: seconds of repeated runs.
public enum BenchmarkClock {
    /// What the benchmarks measure.
    public enum Mode: String, Sendable, CaseIterable {
        /// Monotonic wall-clock time (the default; right on an otherwise idle machine).
        case wall
        /// CPU time of the calling thread: excludes time spent descheduled, so single-threaded
        /// figures stay meaningful on a machine shared with other work.
        case cpu
    }

    /// The clock used by `seconds` in the current task (set with `$mode.withValue(.cpu) { … }`).
    @TaskLocal public static var mode: Mode = .wall

    /// Seconds taken by `body`, on the clock selected by `mode`.
    public static func seconds(_ body: () throws -> Void) rethrows -> Double {
        switch mode {
        case .wall:
            let (s, attoseconds) = try ContinuousClock().measure(body).components
            return Double(s) + Double(attoseconds) * 1e-18
        case .cpu:
            let start = threadCPUTime()
            try body()
            return threadCPUTime() - start
        }
    }

    /// Best seconds per call of `body` over `trials` trials, each repeating `body` for at least
    /// `minimumSeconds` (after one untimed warm-up call).
    public static func bestSecondsPerCall(trials: Int = 5, minimumSeconds: Double = 0.05, _ body: () -> Void) -> Double {
        body()
        var calls = 1
        while seconds({ for _ in 0..<calls { body() } }) < minimumSeconds / 4 { calls *= 2 }
        calls = max(calls * 4, 1)
        var best = Double.infinity
        for _ in 0..<max(trials, 1) {
            best = min(best, seconds({ for _ in 0..<calls { body() } }) / Double(calls))
        }
        return best
    }

    private static func threadCPUTime() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }
}
