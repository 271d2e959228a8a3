/// Lets a log line that a peer can make repeat through at most once per `interval` seconds,
/// counting the ones held back in between. Time is passed in (monotonic seconds).
public struct LogThrottle {
    /// Shortest time between two lines let through, seconds.
    public let interval: Double
    private var lastLogged: Double?
    private var held = 0

    public init(interval: Double) {
        precondition(interval >= 0)
        self.interval = interval
    }

    /// Whether to log the event happening at `now`: nil to hold it back, else how many events
    /// were held back since the last line let through.
    public mutating func admit(now: Double) -> Int? {
        if let lastLogged, now - lastLogged < interval {
            held += 1
            return nil
        }
        defer { held = 0 }
        lastLogged = now
        return held
    }
}
