import Synchronization
import ZeroMQ

/// The model channel: XSUB (publishers connect) ⇄ XPUB (subscribers connect) with a
/// last-value cache, run on its own thread.
///
/// Every published message is forwarded downstream and remembered per topic (first frame).
/// Every subscription event from XPUB is forwarded upstream; a subscribe is answered by
/// re-sending the cached messages whose topic starts with the prefix, so a late subscriber
/// gets the current model at once.
///
/// Replay goes only to the new subscriber when libzmq supports manual subscriptions with
/// `ZMQ_XPUB_MANUAL_LAST_VALUE` (stable 4.3 does): the first matching cached message is sent
/// to that subscriber alone, so N trainers joining cost N model copies, not N². Further
/// matching topics of the same subscribe (and everything without that support) are
/// broadcast to all matching subscribers, who ignore versions they already hold.
final class ModelChannel: BrokerChannel {
    let name = "model"
    let upstream: Socket
    let downstream: Socket
    let counters = ChannelCounters()
    private let topicCount = Atomic<Int>(0)
    private let subscribeCount = Atomic<Int>(0)
    /// When the cache last took a model: nanoseconds after `created` (-1: never).
    private let lastStoreNanoseconds = Atomic<Int64>(-1)
    private let created = ContinuousClock.now
    /// Whether subscriptions are applied by this channel (XPUB manual mode), which allows
    /// replaying to the new subscriber alone.
    let replaysExclusively: Bool

    /// - Parameters:
    ///   - upstream: a bound XSUB socket.
    ///   - downstream: a bound XPUB socket with `xpubVerbose(true)`; switched to manual
    ///     subscriptions here when libzmq allows.
    init(upstream: Socket, downstream: Socket) throws(ZMQError) {
        self.upstream = upstream
        self.downstream = downstream
        replaysExclusively = (try? downstream.set(.xpubManual(true))) != nil
        // Subscribe to everything upstream so publishers send every model to the broker even
        // while nobody is subscribed; that is what fills the cache.
        try upstream.send([[1]])
    }

    /// Topics currently cached.
    var cachedTopics: Int { topicCount.load(ordering: .relaxed) }
    /// Subscribe events received from downstream.
    var subscriptions: Int { subscribeCount.load(ordering: .relaxed) }
    /// How long ago the cache last took a published model; nil before the first.
    var cacheAge: Duration? {
        let stored = lastStoreNanoseconds.load(ordering: .relaxed)
        guard stored >= 0 else { return nil }
        return created.duration(to: .now) - .nanoseconds(stored)
    }

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
        while let message = try upstream.receiveHeld(options: .dontWait) {
            counters.received(bytes: message.byteCount)
            cache.store(message)
            let sinceCreated = created.duration(to: .now).components
            lastStoreNanoseconds.store(sinceCreated.seconds * 1_000_000_000 + sinceCreated.attoseconds / 1_000_000_000,
                                       ordering: .relaxed)
            topicCount.store(cache.count, ordering: .relaxed)
            try publish(message)
        }
    }

    private func drainSubscriptions(from cache: LastValueCache) throws(ZMQError) {
        while let event = try downstream.receiveMultipart(options: .dontWait) {
            guard let frame = event.first, let kind = frame.first, kind <= 1 else { continue }
            try upstream.send([frame], options: .dontWait)
            let prefix = Array(frame.dropFirst())
            if replaysExclusively {
                // Manual mode: apply the (un)subscription to the pipe it came from.
                try downstream.set(kind == 1 ? .subscribe(prefix) : .unsubscribe(prefix))
            }
            guard kind == 1 else { continue }
            subscribeCount.add(1, ordering: .relaxed)
            var replay = cache.messages(matching: prefix[...])
            if replaysExclusively, !replay.isEmpty {
                try publishToNewestSubscriber(replay.removeFirst())
            }
            for message in replay { try publish(message) }
        }
    }

    /// Sends `message` only to the subscriber whose subscription was just applied: last-value
    /// mode is on for exactly this one send, then back to plain manual mode (libzmq would
    /// otherwise keep a pending "last pipe" and send the next publication to it alone).
    private func publishToNewestSubscriber(_ message: HeldMessage) throws(ZMQError) {
        try downstream.set(.xpubManualLastValue(true))
        try publish(message)
        try downstream.set(.xpubManualLastValue(false), .xpubManual(true))
    }

    /// XPUB never blocks: at the high-water mark libzmq drops the message for that subscriber.
    /// The message is shared with the cache, not copied.
    private func publish(_ message: HeldMessage) throws(ZMQError) {
        if try downstream.send(message, options: .dontWait) { counters.sent(bytes: message.byteCount) }
    }
}
