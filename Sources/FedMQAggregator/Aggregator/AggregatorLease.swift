// The intake's handling of the broker's aggregator lease: it sends claims and renewals when
// `LeaseKeeper` says so, turns the broker's replies into log lines or a fatal error (refused
// beside a live aggregator, or deposed by one), and says at a slowing pace why the intake
// holds still while the lease is not held (waiting for a dead holder's lease to run out, or a
// broker that stopped answering). The only socket it touches is the control socket it is
// handed, on the intake thread.
import FedMQProtocol
import FedMQTransport
import Foundation
import Logging
import ZeroMQ

/// The aggregator lease as the intake loop uses it.
struct AggregatorLease {
    private(set) var keeper: LeaseKeeper
    private let endpoint: String
    private let logger: Logger
    private var wait = WaitReporter(firstReport: 2, maximumInterval: 60)
    private var lastRefusal: (holder: LeaseClaim, silent: Double, timeout: Double)?

    /// - Parameter endpoint: the broker's control-out endpoint (for log lines).
    init(claim: LeaseClaim, endpoint: String, logger: Logger) {
        keeper = LeaseKeeper(claim: claim)
        self.endpoint = endpoint
        self.logger = logger
    }

    /// A claim for this process: a random instance (below 2⁵³, exact in any JSON reader), the
    /// run, the pid and the host name.
    static func claim(runID: UInt64) -> LeaseClaim {
        LeaseClaim(instance: UInt64.random(in: 1..<(1 << 53)), runID: runID,
                   processID: ProcessInfo.processInfo.processIdentifier, host: ProcessInfo.processInfo.hostName)
    }

    /// Whether the lease is held at `now`: the intake publishes and takes updates only then.
    func isHeld(now: Double) -> Bool { keeper.isHeld(now: now) }

    /// The frames of a claim or renewal to send now, or nil.
    mutating func framesDue(now: Double) -> [[UInt8]]? {
        keeper.claimDue(now: now) ? LeaseMessage.frames(keeper.claim) : nil
    }

    /// Takes in a lease message from the broker. Returns true on this process's first grant.
    /// - Throws: `AggregatorError` when another aggregator holds or took the lease.
    mutating func receive(_ frames: [[UInt8]], now: Double) throws -> Bool {
        let reply: LeaseReply
        do { reply = try LeaseMessage.reply(frames) } catch {
            logger.warning("malformed lease reply from the broker ignored", metadata: ["error": "\(error)"])
            return false
        }
        switch keeper.receive(reply, now: now) {
        case .none:
            return false
        case .granted:
            logger.notice("aggregator lease granted by the broker: this aggregator alone serves its trainers",
                          metadata: ["endpoint": "\(endpoint)", "instance": "\(String(keeper.claim.instance, radix: 16))"])
            wait.reset()
            return true
        case .waiting(let holder, let silent, let timeout):
            lastRefusal = (holder, silent, timeout)
            return false
        case .refused(let holder, let silent):
            throw AggregatorError("""
                another aggregator is serving this broker (\(endpoint)): \(holder.summary), last heard \
                \(String(format: "%.1f", silent)) s ago. One broker serves one aggregator: stop the other one, or start \
                this one with its own broker; this aggregator took no trainer, published nothing and wrote nothing
                """)
        case .deposed(let holder):
            throw AggregatorError("""
                another aggregator took over this broker (\(endpoint)) while this one did not renew its lease \
                (frozen or cut off from the broker): \(holder.summary). Stopping at once so trainers are not split \
                between two aggregators; the versions this one published are in its checkpoints
                """)
        }
    }

    /// Called on each intake pass while the lease is not held: says, at a slowing pace, what
    /// the intake waits for. `connection`: how far the control socket's connection to the
    /// broker got, when known (before the first grant), and whether this process uses CURVE.
    mutating func reportWait(now: Double, connection: ConnectionProgress? = nil, curve: Bool = false) {
        guard let waited = wait.check(now: now) else { return }
        var metadata: Logger.Metadata = ["endpoint": "\(endpoint)", "waited_seconds": "\(Int(waited))",
                                         "next_report_seconds": "\(Int(wait.secondsToNextReport(now: now).rounded()))"]
        if let connection, !connection.handshaken {
            metadata["connection"] = "\(connection.summary)"
            metadata["likely_causes"] = "\(WaitCauses.text(WaitCauses.of(waitOn: endpoint, curve: curve, progress: connection)))"
            logger.warning("no connection to the broker yet", metadata: metadata)
        } else if let refusal = lastRefusal {
            metadata["holder"] = "\(refusal.holder.summary)"
            metadata["holder_last_heard_seconds"] = "\(String(format: "%.1f", refusal.silent))"
            metadata["lease_timeout_seconds"] = "\(Int(refusal.timeout))"
            logger.warning("waiting for the broker's aggregator lease: another aggregator holds it; if it is gone, its lease runs out after the timeout", metadata: metadata)
        } else {
            metadata["likely_causes"] = "\(WaitCauses.text(["the broker is frozen, overloaded or cut off", "the broker is older than this aggregator and has no aggregator lease"]))"
            logger.warning(keeper.everHeld ? "the broker has not renewed the aggregator lease: not publishing and not taking updates until it does"
                           : "waiting for the broker to grant the aggregator lease", metadata: metadata)
        }
    }

    /// The lease is held again: the next wait is reported afresh.
    mutating func endWait() { wait.reset() }

    /// Sends a claim or renewal on `control` when one is due, and reports the wait while the
    /// lease is not held (see `reportWait`). Returns whether it is held at `now`.
    mutating func keep(on control: Socket, now: Double, connection: ConnectionProgress? = nil, curve: Bool = false) -> Bool {
        if let frames = framesDue(now: now) {
            do { _ = try control.send(frames, options: .dontWait) } catch {
                logger.error("cannot send the lease claim", metadata: ["error": "\(error)"])
            }
        }
        let held = isHeld(now: now)
        if held { endWait() } else { reportWait(now: now, connection: connection, curve: curve) }
        return held
    }

    /// Claims the lease on the control socket and waits until it is granted (true) or
    /// `stopped()` holds (false). Reads nothing past the grant: trainers' requests the broker
    /// held for the holder follow it and are left for the intake loop.
    /// - Throws: `AggregatorError` when another, live aggregator holds the lease.
    mutating func awaitGrant(on sockets: AggregatorSockets, curve: Bool, now: () -> Double, until stopped: () -> Bool) throws -> Bool {
        let control = sockets.control
        while !stopped() {
            _ = keep(on: control, now: now(), connection: sockets.controlProgress(), curve: curve)
            guard try Poller.poll([PollItem(control)], timeout: .milliseconds(50))[0].contains(.readable) else { continue }
            while let frames = try control.receiveMultipart(options: .dontWait) {
                guard LeaseMessage.matches(frames) else {
                    logger.debug("control message before the lease was granted dropped", metadata: ["frames": "\(frames.count)"])
                    continue
                }
                if try receive(frames, now: now()) { return true }
            }
        }
        return false
    }
}
