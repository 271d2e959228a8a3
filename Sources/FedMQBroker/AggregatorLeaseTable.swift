import FedMQProtocol

/// Who holds the broker's aggregator lease, decided without I/O (time is a parameter, the
/// liveness probe a closure) so every case is tested directly. The control channel asks it on
/// each `LeaseClaim` and forwards trainers' requests only to the holder it names.
struct AggregatorLeaseTable {
    /// The current holder: its routing id on control-out, its claim, when its last claim or
    /// renewal arrived (seconds on the broker's clock).
    struct Holder: Equatable {
        var routingID: [UInt8]
        var claim: LeaseClaim
        var lastHeard: Double
    }

    /// How a claim was granted.
    enum Grant: Equatable {
        /// Nobody held the lease.
        case new
        /// The holder renewed it (its routing id may have changed after a reconnection).
        case renewed
        /// Another aggregator held it but had been silent longer than the timeout.
        case tookOverSilent(LeaseClaim, silent: Double)
        /// Another aggregator held it but its connection is gone (the probe could not be delivered).
        case tookOverDisconnected(LeaseClaim)
    }

    enum Decision: Equatable {
        case granted(Grant)
        /// `holder` keeps the lease; it was last heard `silent` seconds ago.
        case refused(holder: LeaseClaim, silent: Double)
    }

    /// Seconds without a renewal after which another aggregator may take the lease.
    let timeout: Double
    private(set) var holder: Holder?

    init(timeout: Double) { self.timeout = timeout }

    /// Decides `claim`, sent from `routingID` at `now`. `holderReachable` is asked only when
    /// another aggregator holds an unexpired lease: whether its connection is still open.
    mutating func claim(_ claim: LeaseClaim, from routingID: [UInt8], now: Double,
                        holderReachable: () -> Bool) -> Decision {
        let grant: Grant
        if let current = holder, current.claim.instance != claim.instance {
            let silent = now - current.lastHeard
            if silent > timeout {
                grant = .tookOverSilent(current.claim, silent: silent)
            } else if !holderReachable() {
                grant = .tookOverDisconnected(current.claim)
            } else {
                return .refused(holder: current.claim, silent: silent)
            }
        } else {
            grant = holder == nil ? .new : .renewed
        }
        holder = Holder(routingID: routingID, claim: claim, lastHeard: now)
        return .granted(grant)
    }

    /// Whether `routingID` is the holder's connection.
    func isHolder(_ routingID: [UInt8]) -> Bool { holder?.routingID == routingID }
}
