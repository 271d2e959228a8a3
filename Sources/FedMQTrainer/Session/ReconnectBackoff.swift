/// When to open connections again that a broker refused (a CURVE key it does not admit; libzmq
/// gives such connections up): `base` seconds after the first refusal, doubling with each
/// refusal in a row, at most `maximum`; `reset()` once admitted.
public struct ReconnectBackoff: Sendable {
    /// Seconds before the first retry.
    public let base: Double
    /// Longest wait, seconds.
    public let maximum: Double
    /// Refusals in a row so far.
    public private(set) var refusals = 0
    private var due: ContinuousClock.Instant?

    public init(base: Double, maximum: Double = 60) {
        self.base = base
        self.maximum = maximum
    }

    /// Whether a retry is scheduled and not yet taken.
    public var isWaiting: Bool { due != nil }

    /// Records a refusal at `now`; returns the wait before the retry, seconds.
    public mutating func refused(now: ContinuousClock.Instant) -> Double {
        refusals += 1
        let wait = min(maximum, base * Double(1 << min(refusals - 1, 20)))
        due = now + .seconds(wait)
        return wait
    }

    /// True once, when the scheduled retry is due at `now`.
    public mutating func takeDue(now: ContinuousClock.Instant) -> Bool {
        guard let due, now >= due else { return false }
        self.due = nil
        return true
    }

    /// Admitted: the next refusal waits `base` again.
    public mutating func reset() {
        refusals = 0
        due = nil
    }
}
