import Synchronization
import ZeroMQ

/// Lock-free counters written by one channel thread and read by anyone.
final class ChannelCounters: Sendable {
    private let messagesIn = Atomic<Int>(0)
    private let bytesIn = Atomic<Int>(0)
    private let messagesOut = Atomic<Int>(0)
    private let bytesOut = Atomic<Int>(0)
    private let connections = Atomic<Int>(0)
    private let disconnections = Atomic<Int>(0)

    func received(bytes: Int) {
        messagesIn.add(1, ordering: .relaxed)
        bytesIn.add(bytes, ordering: .relaxed)
    }

    func sent(bytes: Int) {
        messagesOut.add(1, ordering: .relaxed)
        bytesOut.add(bytes, ordering: .relaxed)
    }

    func accepted() { connections.add(1, ordering: .relaxed) }

    func disconnected() { disconnections.add(1, ordering: .relaxed) }

    /// Counts the pending connection events (`accepted`, `disconnected`) of a socket monitor.
    func countEvents(of monitor: Socket) throws(ZMQError) {
        while let event = try monitor.receiveEvent(options: .dontWait) {
            if event.kind == .accepted { accepted() }
            if event.kind == .disconnected { disconnected() }
        }
    }

    var snapshot: ChannelStatistics {
        var statistics = ChannelStatistics()
        statistics.messagesIn = messagesIn.load(ordering: .relaxed)
        statistics.bytesIn = bytesIn.load(ordering: .relaxed)
        statistics.messagesOut = messagesOut.load(ordering: .relaxed)
        statistics.bytesOut = bytesOut.load(ordering: .relaxed)
        statistics.connections = connections.load(ordering: .relaxed)
        statistics.disconnections = disconnections.load(ordering: .relaxed)
        return statistics
    }
}

extension Collection where Element == [UInt8] {
    /// Payload bytes over all frames of a multipart message.
    var byteCount: Int { reduce(0) { $0 + $1.count } }
}
