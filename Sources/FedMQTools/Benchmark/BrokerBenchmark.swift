import FedMQBroker
import Logging
import ZeroMQ

/// Throughput and latency of an in-process broker over loopback TCP, for `fedmq bench`
/// style reporting (prints nothing itself; figures depend on the machine).
public enum BrokerBenchmark {
    /// Measured figures.
    public struct Result: Sendable {
        /// Update channel (PUSH → broker → PULL) with `largeBytes` messages, MB/s (10⁶ bytes).
        public var largeMegabytesPerSecond: Double
        /// Update channel with `smallBytes` messages, messages per second.
        public var smallMessagesPerSecond: Double
        /// Time from a late subscriber's connect to receiving the cached model of `modelBytes`.
        public var lateSubscriberLatency: Duration

        /// One line per figure.
        public var summary: String {
            """
            updates, large messages: \(Int(largeMegabytesPerSecond.rounded())) MB/s
            updates, small messages: \(Int(smallMessagesPerSecond.rounded())) msg/s
            late subscriber gets cached model in \(lateSubscriberLatency)
            """
        }
    }

    /// Runs the three measurements on a fresh broker.
    ///
    /// - Parameters:
    ///   - largeBytes: size of each large update message in bytes, `largeCount` of them.
    ///   - smallBytes: size of each small message in bytes, `smallCount` of them.
    ///   - modelBytes: size of the cached model served to a late subscriber.
    public static func run(
        largeBytes: Int = 4 << 20, largeCount: Int = 100,
        smallBytes: Int = 100, smallCount: Int = 100_000,
        modelBytes: Int = 16 << 20
    ) async throws -> Result {
        var configuration = BrokerConfiguration()
        configuration.bindHost = "127.0.0.1"
        configuration.ports = .ephemeral
        configuration.statisticsInterval = .seconds(3600)
        let broker = try BrokerService(configuration: configuration, logger: Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() })
        let task = Task { try await broker.run() }
        defer { task.cancel() }
        let context = try Context()
        // One puller for both runs: a PUSH socket keeps routing to a peer that just left
        // until it notices, and messages queued there are lost.
        let puller = try context.socket(.pull)
        try puller.set(.linger(.zero), .receiveTimeout(.seconds(30)))
        try puller.connect(broker.endpoints.updatesOut)
        let large = try await updateThroughput(broker.endpoints.updatesIn, puller, bytes: largeBytes, count: largeCount)
        let small = try await updateThroughput(broker.endpoints.updatesIn, puller, bytes: smallBytes, count: smallCount)
        let latency = try await lateSubscriberLatency(broker, context, bytes: modelBytes)
        task.cancel()
        try await task.value
        return Result(
            largeMegabytesPerSecond: Double(largeBytes * largeCount) / 1e6 / seconds(large),
            smallMessagesPerSecond: Double(smallCount) / seconds(small),
            lateSubscriberLatency: latency)
    }

    /// Time to move `count` messages of `bytes` from a pusher through the broker to a puller.
    private static func updateThroughput(_ updatesIn: String, _ puller: Socket, bytes: Int, count: Int) async throws -> Duration {
        let payload = [UInt8](repeating: 0xA5, count: bytes)
        let context = puller.context
        let pusher = SocketThread(name: "bench-pusher") {
            guard let push = try? context.socket(.push) else { return }
            try? push.set(.linger(.seconds(30)))
            try? push.connect(updatesIn)
            for _ in 0..<count { _ = try? push.send([payload]) }
            push.close()
        }
        let elapsed = try await SocketThread.run(name: "bench-puller") {
            let clock = ContinuousClock()
            let start = clock.now
            for _ in 0..<count {
                guard try puller.receive() != nil else { throw ZMQError(code: ZMQError.wouldBlockCode, message: "benchmark timed out", operation: "receive") }
            }
            return clock.now - start
        }
        await pusher.finished()
        return elapsed
    }

    /// Publishes one model, waits until cached, then times a new subscriber's first receive.
    private static func lateSubscriberLatency(_ broker: BrokerService, _ context: Context, bytes: Int) async throws -> Duration {
        let model = [UInt8](repeating: 0x5A, count: bytes)
        let publisher = try context.socket(.pub)
        try publisher.set(.linger(.zero))
        try publisher.connect(broker.endpoints.modelIn)
        while broker.statistics.cachedTopics == 0 {
            _ = try await SocketThread.run { try publisher.send([Array("model".utf8), model]) }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try await SocketThread.run(name: "bench-subscriber") {
            let subscriber = try context.socket(.sub)
            try subscriber.set(.linger(.zero), .receiveTimeout(.seconds(30)), .subscribe("model"))
            let clock = ContinuousClock()
            let start = clock.now
            try subscriber.connect(broker.endpoints.modelOut)
            guard try subscriber.receiveMultipart() != nil else {
                throw ZMQError(code: ZMQError.wouldBlockCode, message: "no cached model", operation: "receive")
            }
            return clock.now - start
        }
    }

    private static func seconds(_ duration: Duration) -> Double {
        let (s, atto) = duration.components
        return Double(s) + Double(atto) * 1e-18
    }
}
