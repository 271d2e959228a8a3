import CZMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Readiness conditions for `Poller.poll(_:timeout:)`.
public struct PollEvents: OptionSet, Sendable, Hashable {
    public let rawValue: Int16
    public init(rawValue: Int16) { self.rawValue = rawValue }

    /// At least one whole message can be received without blocking.
    public static let readable = PollEvents(rawValue: Int16(ZMQ_POLLIN))
    /// At least one message can be sent without blocking.
    public static let writable = PollEvents(rawValue: Int16(ZMQ_POLLOUT))
}

/// One socket and the conditions to wait for.
public struct PollItem {
    public let socket: Socket
    public let events: PollEvents

    public init(_ socket: Socket, _ events: PollEvents = .readable) {
        self.socket = socket
        self.events = events
    }
}

/// Waiting on several sockets at once (`zmq_poll`). Blocking: call from a dedicated thread.
public enum Poller {
    /// Waits until at least one item is ready or `timeout` passes (`nil` = forever;
    /// `.zero` = just check). Interrupted waits (`EINTR`) resume with the remaining time.
    ///
    /// - Returns: one `PollEvents` per item, in order, with the conditions that hold
    ///   (all empty on timeout).
    public static func poll(_ items: [PollItem], timeout: Duration?) throws(ZMQError) -> [PollEvents] {
        var raw = [zmq_pollitem_t]()
        raw.reserveCapacity(items.count)
        for item in items {
            let handle = try item.socket.open("zmq_poll")
            raw.append(zmq_pollitem_t(socket: handle, fd: 0, events: item.events.rawValue, revents: 0))
        }
        let clock = ContinuousClock()
        let deadline = timeout.map { clock.now + $0 }
        while true {
            let remaining = deadline.map { max(.zero, $0 - clock.now) }
            let rc = zmq_poll(&raw, Int32(raw.count), remaining.map(milliseconds) ?? -1)
            if rc >= 0 { return raw.map { PollEvents(rawValue: $0.revents) } }
            let error = ZMQError.last("zmq_poll")
            if !error.isInterrupted { throw error }
        }
    }

    /// Whole milliseconds, rounded up so a poll never returns before `duration`.
    private static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        let ms = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int(max(ms, 0))
    }
}
