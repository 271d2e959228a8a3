/// Timing helpers shared by the benchmarks: wall-clock seconds of repeated runs.
public enum BenchmarkClock {
    /// Seconds taken by `body`, on the monotonic clock.
    public static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let clock = ContinuousClock()
        let elapsed = try clock.measure(body)
        let (s, attoseconds) = elapsed.components
        return Double(s) + Double(attoseconds) * 1e-18
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
}
