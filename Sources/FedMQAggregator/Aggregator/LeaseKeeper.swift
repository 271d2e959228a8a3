// One broker serves one aggregator (see `LeaseClaim`). This is the aggregator's side of the
// broker's aggregator lease, without I/O: when to send a claim or a renewal, whether the lease
// is held at a given time, and what a reply means — granted, still held by someone else (wait
// for a dead holder's lease to run out, or give up on a live one), or lost to another
// aggregator while this one was unresponsive. Time is passed in as monotonic seconds.
import FedMQProtocol

/// The aggregator's view of the broker's aggregator lease.
///
/// The lease is held until `timeout` after the send time of the claim a grant answers, which
/// is no later than when the broker heard it: the aggregator's lease runs out before the
/// broker's, so it stops publishing before another aggregator can be granted the lease.
struct LeaseKeeper {
    /// What a reply means for the intake.
    enum Outcome: Equatable {
        /// Nothing changes (a probe, or a renewal granted as expected).
        case none
        /// The first grant of this process: the aggregator may start its work.
        case granted
        /// Another aggregator holds it; this one has not held it yet and waits (the holder may be
        /// gone, its lease running out).
        case waiting(holder: LeaseClaim, silent: Double, timeout: Double)
        /// Another aggregator held the lease for longer than a dead holder could: it is alive.
        case refused(holder: LeaseClaim, silent: Double)
        /// This aggregator held the lease and another one has it now (this one was frozen or cut
        /// off longer than the timeout): it must stop at once.
        case deposed(by: LeaseClaim)
    }

    /// Who this aggregator is.
    let claim: LeaseClaim
    /// Seconds between renewals while the lease is held.
    let renewInterval: Double
    /// Seconds between claims while it is not.
    let claimInterval: Double
    /// Seconds past a refusal's announced timeout after which a holder still renewing is taken
    /// to be alive.
    let grace: Double
    /// When the lease runs out (monotonic seconds), once granted.
    private(set) var heldUntil: Double?
    /// Whether any grant arrived in this process.
    private(set) var everHeld = false
    private var lastSent: Double?
    private var firstUnanswered: Double?
    private var refusedSince: Double?

    init(claim: LeaseClaim, renewInterval: Double = 1, claimInterval: Double = 0.25, grace: Double = 3) {
        self.claim = claim
        self.renewInterval = renewInterval
        self.claimInterval = claimInterval
        self.grace = grace
    }

    /// Whether the lease is held at `now`.
    func isHeld(now: Double) -> Bool { heldUntil.map { now < $0 } ?? false }

    /// Whether a claim (or renewal) should be sent at `now`; if so, counts it as sent.
    mutating func claimDue(now: Double) -> Bool {
        let interval = isHeld(now: now) ? renewInterval : claimInterval
        if let lastSent, now - lastSent < interval { return false }
        lastSent = now
        if firstUnanswered == nil { firstUnanswered = now }
        return true
    }

    /// Takes in the broker's `reply`, received at `now`.
    mutating func receive(_ reply: LeaseReply, now: Double) -> Outcome {
        switch reply {
        case .probe:
            return .none
        case .granted(let milliseconds):
            heldUntil = (firstUnanswered ?? now) + Double(milliseconds) / 1000
            firstUnanswered = nil
            refusedSince = nil
            defer { everHeld = true }
            return everHeld ? .none : .granted
        case .refused(let holder, let silentMilliseconds, let timeoutMilliseconds):
            firstUnanswered = nil
            if everHeld {
                heldUntil = nil
                return .deposed(by: holder)
            }
            let (silent, timeout) = (Double(silentMilliseconds) / 1000, Double(timeoutMilliseconds) / 1000)
            let since = refusedSince ?? now
            refusedSince = since
            return now - since > timeout + grace ? .refused(holder: holder, silent: silent)
                : .waiting(holder: holder, silent: silent, timeout: timeout)
        }
    }
}
