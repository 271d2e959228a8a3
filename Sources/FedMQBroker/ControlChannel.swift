import FedMQProtocol
import FedMQTransport
import Logging
import Synchronization
import ZeroMQ

/// The control channel: trainers' requests to the one aggregator that holds the broker's
/// aggregator lease, and its replies back. A plain ROUTER ⇄ DEALER proxy would deal requests
/// round-robin over every aggregator connected to control-out, so a second aggregator started
/// by mistake would split the trainers between two runs; here control-out is a ROUTER too, an
/// aggregator must claim the lease before it gets any request (`AggregatorLeaseTable`), and a
/// second one is refused with the holder's name (docs/PROTOCOL.md, "The aggregator lease").
///
/// Trainers → aggregator: `[trainerId, request…]` (plus the sender's User-Id frame with CURVE)
/// goes to the holder's connection; while nobody holds the lease, requests wait in the broker
/// (at most `pendingLimit`, oldest dropped first). Aggregator → trainers: `[trainerId, reply…]`
/// from the holder goes to that trainer; replies from any other aggregator are dropped.
final class ControlChannel: BrokerChannel {
    let name = "control"
    let counters = ChannelCounters()
    private let frontend: Socket
    private let backend: Socket
    private let frontendMonitor: Socket?
    private let senderProperty: String?
    private let pendingLimit: Int
    private let logger: Logger
    private let state: Mutex<AggregatorLeaseTable>
    private let refusedClaims = Atomic<Int>(0)
    private let droppedMessages = Atomic<Int>(0)

    /// - Parameters:
    ///   - frontend: the bound trainer-side ROUTER (control-in).
    ///   - backend: the bound aggregator-side ROUTER (control-out); `routerMandatory` is set here.
    ///   - leaseTimeout: seconds without a renewal after which another aggregator may take over.
    ///   - pendingLimit: trainer requests held while no aggregator holds the lease.
    init(frontend: Socket, backend: Socket, frontendMonitor: Socket?, senderProperty: String?,
         leaseTimeout: Double, pendingLimit: Int, logger: Logger) throws(ZMQError) {
        try backend.set(.routerMandatory(true))
        self.frontend = frontend
        self.backend = backend
        self.frontendMonitor = frontendMonitor
        self.senderProperty = senderProperty
        self.pendingLimit = max(1, pendingLimit)
        self.logger = logger
        state = Mutex(AggregatorLeaseTable(timeout: leaseTimeout))
    }

    /// The aggregator holding the lease, if any.
    var leaseHolder: LeaseClaim? { state.withLock { $0.holder?.claim } }
    /// Claims refused because another aggregator held the lease.
    var refused: Int { refusedClaims.load(ordering: .relaxed) }
    /// Messages dropped: requests over `pendingLimit` or to a full holder queue, replies from an
    /// aggregator without the lease, malformed lease messages.
    var dropped: Int { droppedMessages.load(ordering: .relaxed) }

    /// Forwards until the context shuts down (returns `nil`) or a socket fails (returns the
    /// error), then closes the sockets.
    func run() -> ZMQError? {
        defer {
            frontend.close(linger: .zero)
            backend.close(linger: .zero)
            frontendMonitor?.close(linger: .zero)
        }
        let items = [PollItem(frontend), PollItem(backend)] + (frontendMonitor.map { [PollItem($0)] } ?? [])
        var loop = Loop(channel: self)
        do {
            while true {
                let ready = try Poller.poll(items, timeout: nil)
                if ready[0].contains(.readable) { try loop.drainTrainers() }
                if ready[1].contains(.readable) { try loop.drainAggregators() }
                if let frontendMonitor, ready[2].contains(.readable) { try counters.countEvents(of: frontendMonitor) }
            }
        } catch where error.isContextTerminated {
            return nil
        } catch {
            return error
        }
    }

    /// The state only the channel thread touches: the clock, held requests, log throttles.
    private struct Loop {
        let channel: ControlChannel
        let clock = ContinuousClock()
        let start = ContinuousClock().now
        var pending: [[[UInt8]]] = []
        var dropLog = LogThrottle(interval: 10)
        var lastRefused: UInt64?

        init(channel: ControlChannel) { self.channel = channel }

        var now: Double { start.duration(to: clock.now) / .seconds(1) }

        mutating func drainTrainers() throws(ZMQError) {
            while let message = try receiveRequest() {
                channel.counters.received(bytes: message.byteCount)
                if let holder = channel.state.withLock({ $0.holder?.routingID }) {
                    try deliver(message, to: holder)
                } else {
                    hold(message)
                }
            }
        }

        /// A trainer request with the sender's User-Id appended as a last frame under CURVE.
        private func receiveRequest() throws(ZMQError) -> [[UInt8]]? {
            guard let property = channel.senderProperty else { return try channel.frontend.receiveMultipart(options: .dontWait) }
            guard let received = try channel.frontend.receiveMultipart(options: .dontWait, readingProperty: property) else { return nil }
            return received.frames + [received.property]
        }

        private mutating func deliver(_ message: [[UInt8]], to holder: [UInt8]) throws(ZMQError) {
            do {
                if try channel.backend.send([holder] + message, options: .dontWait) {
                    channel.counters.sent(bytes: message.byteCount)
                } else {
                    drop("the aggregator's control queue is full")
                }
            } catch where error.isHostUnreachable {
                hold(message)  // the holder's connection is gone; it or its successor claims again
            }
        }

        private mutating func hold(_ message: [[UInt8]]) {
            if pending.count >= channel.pendingLimit {
                pending.removeFirst()
                drop("no aggregator holds the lease and \(channel.pendingLimit) requests already wait")
            }
            pending.append(message)
        }

        private mutating func drop(_ reason: String) {
            channel.droppedMessages.add(1, ordering: .relaxed)
            guard let held = dropLog.admit(now: now) else { return }
            channel.logger.warning("control message dropped", metadata: ["reason": "\(reason)", "dropped_since_last_log": "\(held)"])
        }

        mutating func drainAggregators() throws(ZMQError) {
            while let frames = try channel.backend.receiveMultipart(options: .dontWait) {
                guard frames.count >= 2 else { drop("a message of \(frames.count) frame from control-out"); continue }
                let routingID = frames[0]
                let body = frames.dropFirst()
                if LeaseMessage.matches(body) {
                    try handleClaim(body, from: routingID)
                } else if channel.state.withLock({ $0.isHolder(routingID) }) {
                    channel.counters.received(bytes: body.byteCount)
                    if try channel.frontend.send(Array(body), options: .dontWait) { channel.counters.sent(bytes: body.byteCount) }
                } else {
                    drop("a reply from an aggregator that does not hold the lease")
                }
            }
        }

        private mutating func handleClaim(_ body: ArraySlice<[UInt8]>, from routingID: [UInt8]) throws(ZMQError) {
            let claim: LeaseClaim
            do { claim = try LeaseMessage.claim(body) } catch {
                drop("malformed lease claim: \(error)")
                return
            }
            let t = now
            let decision = channel.state.withLock { table in
                let holder = table.holder?.routingID
                return table.claim(claim, from: routingID, now: t) { probe(holder) }
            }
            let timeout = UInt32(clamping: Int(channel.state.withLock { $0.timeout } * 1000))
            switch decision {
            case .granted(let grant):
                try reply(.granted(timeoutMilliseconds: timeout), to: routingID)
                log(grant, claim)
                flushPending(to: routingID)
            case .refused(let holder, let silent):
                channel.refusedClaims.add(1, ordering: .relaxed)
                let silentMilliseconds = UInt32(clamping: Int(silent * 1000))
                try reply(.refused(holder: holder, silentMilliseconds: silentMilliseconds, timeoutMilliseconds: timeout), to: routingID)
                if lastRefused != claim.instance {
                    lastRefused = claim.instance
                    channel.logger.error("refused a second aggregator: one broker serves one aggregator", metadata: [
                        "refused": "\(claim.summary)", "holder": "\(holder.summary)",
                        "holder_last_heard_seconds": "\(String(format: "%.1f", silent))",
                    ])
                }
            }
        }

        /// Whether the holder's connection is still open: a probe to a routing id without a
        /// connection fails at once (`routerMandatory`); a full queue still means connected.
        private func probe(_ holder: [UInt8]?) -> Bool {
            guard let holder else { return false }
            do {
                _ = try channel.backend.send([holder] + LeaseMessage.frames(.probe), options: .dontWait)
                return true
            } catch {
                return !error.isHostUnreachable
            }
        }

        private func reply(_ reply: LeaseReply, to routingID: [UInt8]) throws(ZMQError) {
            do {
                _ = try channel.backend.send([routingID] + LeaseMessage.frames(reply), options: .dontWait)
            } catch where error.isHostUnreachable {
                // The claimant left before its answer: it claims again when it comes back.
            }
        }

        private mutating func flushPending(to holder: [UInt8]) {
            let waiting = pending
            pending.removeAll()
            for message in waiting { try? deliver(message, to: holder) }
        }

        private func log(_ grant: AggregatorLeaseTable.Grant, _ claim: LeaseClaim) {
            let logger = channel.logger
            switch grant {
            case .new:
                logger.notice("aggregator lease granted", metadata: ["aggregator": "\(claim.summary)"])
            case .renewed:
                logger.trace("aggregator lease renewed", metadata: ["aggregator": "\(claim.summary)"])
            case .tookOverSilent(let previous, let silent):
                logger.warning("aggregator lease taken over from a silent aggregator", metadata: [
                    "aggregator": "\(claim.summary)", "previous": "\(previous.summary)",
                    "previous_silent_seconds": "\(String(format: "%.1f", silent))",
                ])
            case .tookOverDisconnected(let previous):
                logger.notice("aggregator lease taken over: the previous aggregator's connection is gone", metadata: [
                    "aggregator": "\(claim.summary)", "previous": "\(previous.summary)",
                ])
            }
        }
    }
}
