import Synchronization
import ZeroMQ

/// The model channel: XSUB (publishers connect) ⇄ XPUB (subscribers connect) with a
/// last-value cache, run on its own thread.
///
/// Every published message is forwarded downstream and remembered per topic. Every
/// subscribe event from XPUB (verbose, so duplicates too) is forwarded upstream and
/// answered by re-sending the cached messages whose topic matches the prefix, so a late
/// subscriber gets the current model at once; existing subscribers to that topic may see
/// a duplicate and are expected to ignore versions they already hold.
final class ModelChannel: BrokerChannel {
    let name = "model"
    let upstream: Socket
    let downstream: Socket
    let counters = ChannelCounters()
    private let topicCount = Atomic<Int>(0)
    private let subscribeCount = Atomic<Int>(0)

    /// - Parameters:
    ///   - upstream: a bound XSUB socket.
    ///   - downstream: a bound XPUB socket with `xpubVerbose(true)`.
    init(upstream: Socket, downstream: Socket) throws(ZMQError) {
        self.upstream = upstream
        self.downstream = downstream
        // Subscribe to everything upstream so publishers send every model to the broker even
        // while nobody is subscribed; that is what fills the cache.
        try upstream.send([[1]])
    }

    /// Topics currently cached.
    var cachedTopics: Int { topicCount.load(ordering: .relaxed) }
    /// Subscribe events received from downstream.
    var subscriptions: Int { subscribeCount.load(ordering: .relaxed) }

    /// Forwards until the context shuts down (returns `nil`) or a socket fails (returns
    /// the error), then closes both sockets.
    func run() -> ZMQError? {
        defer {
            upstream.close(linger: .zero)
            downstream.close(linger: .zero)
        }
        var cache = LastValueCache()
        do {
            while true {
                let ready = try Poller.poll([PollItem(upstream), PollItem(downstream)], timeout: nil)
                if ready[0].contains(.readable) { try drainPublications(into: &cache) }
                if ready[1].contains(.readable) { try drainSubscriptions(from: cache) }
            }
        } catch where error.isContextTerminated {
            return nil
        } catch {
            return error
        }
    }

    private func drainPublications(into cache: inout LastValueCache) throws(ZMQError) {
        while let message = try upstream.receiveMultipart(options: .dontWait) {
            counters.received(bytes: message.byteCount)
            cache.store(message)
            topicCount.store(cache.count, ordering: .relaxed)
            try publish(message)
        }
    }

    private func drainSubscriptions(from cache: LastValueCache) throws(ZMQError) {
        while let event = try downstream.receiveMultipart(options: .dontWait) {
            counters.received(bytes: event.byteCount)
            guard let frame = event.first, let kind = frame.first else { continue }
            if try upstream.send([frame], options: .dontWait) { counters.sent(bytes: frame.count) }
            guard kind == 1 else { continue }
            subscribeCount.add(1, ordering: .relaxed)
            for message in cache.messages(matching: frame.dropFirst()) { try publish(message) }
        }
    }

    /// XPUB never blocks: at the high-water mark libzmq drops the message for that subscriber.
    private func publish(_ message: [[UInt8]]) throws(ZMQError) {
        if try downstream.send(message, options: .dontWait) { counters.sent(bytes: message.byteCount) }
    }
}
