import Foundation
import Synchronization
import ZeroMQ

/// One timed pass of `TransportBenchmark`: a sender and `receivers` receivers, each on its own
/// context and thread, moving `messages` messages of `payload` bytes with a credit window.
///
/// Messages are `[topic, payload]`; the topic is unique to the pass so the broker's
/// last-value cache never replays another pass's data. A 1-byte payload is a warm-up message:
/// the sender repeats it until every receiver has one (connections and subscriptions are up),
/// then starts the clock.
struct TransportFlow {
    let pattern: TransportBenchmark.Pattern
    let payload: Int
    let receivers: Int
    let messages: Int

    private static let passCounter = Atomic<Int>(0)
    private let timeout: Duration = .seconds(60)

    init(pattern: TransportBenchmark.Pattern, payload: Int, receivers: Int, messages: Int) {
        self.pattern = pattern
        self.payload = payload
        self.receivers = pattern == .updates ? 1 : max(1, receivers)
        self.messages = messages
    }

    /// Messages the sender may be ahead of the slowest receiver: enough to keep both broker
    /// hops busy, at most `TransportBenchmark.maxWindow`, about 128 MB per receiver.
    var window: Int { min(TransportBenchmark.maxWindow, max(4, (128 << 20) / payload)) }

    /// What one pass measured.
    struct Outcome {
        /// MB (10⁶ bytes) delivered to all receivers together per wall-clock second.
        var megabytesPerSecond: Double
        /// MB delivered per CPU-second of this whole process (sender, receivers, broker threads,
        /// libzmq I/O threads; user + system): what the path costs, whatever else runs.
        var megabytesPerCPUSecond: Double
    }

    /// Runs the pass directly (`route == nil`, the sender binds) or through the broker.
    func run(via route: TransportBenchmark.Route?) async throws -> Outcome {
        let topic = Array("bench-\(Self.passCounter.add(1, ordering: .relaxed).newValue)".utf8)
        let senderContext = try Context()
        let sender = try senderContext.socket(pattern == .updates ? .push : .pub)
        try sender.set(.linger(.zero), .sendHighWaterMark(TransportBenchmark.highWaterMark), .sendTimeout(timeout))
        let receiverEndpoint: String
        if let route {
            try sender.connect(route.senderEndpoint)
            receiverEndpoint = route.receiverEndpoint
        } else {
            try sender.bind("tcp://127.0.0.1:*")
            receiverEndpoint = try sender.lastEndpoint()
        }
        let progress = FlowProgress(receivers: receivers,
                                    label: "\(pattern) \(payload) B ×\(receivers) \(route == nil ? "raw" : "via broker")")
        let threads = (0..<receivers).map { index in
            SocketThread(name: "bench-receiver-\(index)") { [self] in
                receive(index, from: receiverEndpoint, topic: topic, progress: progress)
            }
        }
        let result = try await SocketThread.run(name: "bench-sender") { [self] in
            try send(on: sender, topic: topic, progress: progress)
        }
        for thread in threads { await thread.finished() }
        if let failure = progress.failure { throw failure }
        return result
    }

    /// Warm-up, then the timed stream.
    private func send(on sender: Socket, topic: [UInt8], progress: FlowProgress) throws -> Outcome {
        defer {
            // Replace this pass's data in the broker's cache with a tiny message.
            _ = try? sender.send([topic, [0]], options: .dontWait)
            sender.close(linger: .milliseconds(200))
        }
        let warm: [[UInt8]] = [topic, [0]]
        let clock = ContinuousClock()
        let setupDeadline = clock.now + timeout
        while !progress.wait(timeout: .milliseconds(20), until: { $0.warmed == receivers }) {
            guard clock.now < setupDeadline, progress.failure == nil else { throw progress.abort("receivers never connected") }
            _ = try sender.send(warm, options: .dontWait)
        }
        let data: [[UInt8]] = [topic, [UInt8](repeating: 0xA5, count: payload)]
        let start = clock.now
        let startCPU = Self.processCPUSeconds()
        for sent in 0..<messages {
            guard progress.wait(timeout: timeout, until: { sent - $0.slowest < window }) else {
                throw progress.abort("receivers stalled at \(progress.slowest) of \(messages) messages")
            }
            guard try sender.send(data) else { throw progress.abort("send timed out") }
        }
        guard progress.wait(timeout: timeout, until: { $0.slowest == messages }) else {
            throw progress.abort("receivers stalled at \(progress.slowest) of \(messages) messages")
        }
        let seconds = (clock.now - start) / .seconds(1)
        let megabytes = Double(receivers * messages * payload) / 1e6
        return Outcome(megabytesPerSecond: megabytes / seconds,
                       megabytesPerCPUSecond: megabytes / (Self.processCPUSeconds() - startCPU))
    }

    /// User + system CPU seconds of the whole process so far.
    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        let seconds = { (t: timeval) in Double(t.tv_sec) + Double(t.tv_usec) * 1e-6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// One receiver: connect, count warm-up and data messages until `messages` data messages
    /// arrived, without copying them.
    private func receive(_ index: Int, from endpoint: String, topic: [UInt8], progress: FlowProgress) {
        do {
            let context = try Context()
            let socket = try context.socket(pattern == .updates ? .pull : .sub)
            defer { socket.close(linger: .zero) }
            try socket.set(.linger(.zero), .receiveHighWaterMark(TransportBenchmark.highWaterMark), .receiveTimeout(timeout))
            if pattern == .models { try socket.set(.subscribe(topic)) }
            try socket.connect(endpoint)
            var count = 0
            while count < messages, !progress.aborted {
                guard let message = try socket.receiveHeld() else { throw ZMQError(code: ZMQError.wouldBlockCode, message: "receive timed out", operation: "benchmark receive") }
                if message.byteCount > topic.count + 1 {
                    count += 1
                    progress.received(by: index)
                } else {
                    progress.warmed(index)
                }
            }
        } catch {
            _ = progress.abort("receiver \(index): \(error)")
        }
    }
}

/// Shared counters of one pass, with a condition to wait on.
private final class FlowProgress: @unchecked Sendable {
    struct Snapshot {
        var warmed: Int
        var slowest: Int
    }

    private let condition = NSCondition()
    private var counts: [Int]
    private var warm: [Bool]
    private var failureMessage: String?
    private let label: String

    init(receivers: Int, label: String) {
        self.label = label
        counts = [Int](repeating: 0, count: receivers)
        warm = [Bool](repeating: false, count: receivers)
    }

    var slowest: Int { locked { counts.min() ?? 0 } }
    var aborted: Bool { locked { failureMessage != nil } }
    var failure: ZMQError? {
        locked { failureMessage.map { ZMQError(code: ZMQError.wouldBlockCode, message: $0, operation: "transport benchmark") } }
    }

    func received(by index: Int) { change { counts[index] += 1 } }
    func warmed(_ index: Int) { change { warm[index] = true } }

    /// Records the first failure (everyone waiting gives up) and returns it as an error.
    func abort(_ message: String) -> ZMQError {
        change { if failureMessage == nil { failureMessage = "\(label): \(message)" } }
        return failure!
    }

    /// Waits until `predicate` holds (true) or `timeout` passes or the pass failed (false).
    func wait(timeout: Duration, until predicate: (Snapshot) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout / .seconds(1))
        condition.lock()
        defer { condition.unlock() }
        while !predicate(Snapshot(warmed: warm.filter { $0 }.count, slowest: counts.min() ?? 0)) {
            if failureMessage != nil || !condition.wait(until: deadline) { return false }
        }
        return true
    }

    private func locked<T>(_ body: () -> T) -> T {
        condition.lock()
        defer { condition.unlock() }
        return body()
    }

    private func change(_ body: () -> Void) {
        condition.lock()
        body()
        condition.broadcast()
        condition.unlock()
    }
}
